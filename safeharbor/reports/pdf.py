"""The report as PDF (reportlab). Chinese text uses reportlab's built-in CID font
``STSong-Light`` (Adobe-GB1), which every PDF reader has, so no font file is shipped or
embedded and the text stays extractable. Latin text in a Chinese report goes through the
same font (it has Latin glyphs); an English report uses Helvetica."""

from __future__ import annotations

import io
from html import escape

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.platypus import Flowable, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from safeharbor.reports.charts import drawing
from safeharbor.reports.report import Report
from safeharbor.reports.sections import N_

CJK_FONT = "STSong-Light"


def _font(lang: str) -> str:
    if lang.startswith("zh"):
        if CJK_FONT not in pdfmetrics.getRegisteredFontNames():
            pdfmetrics.registerFont(UnicodeCIDFont(CJK_FONT))
        return CJK_FONT
    return "Helvetica"


def render_pdf(report: Report) -> bytes:
    _ = report._
    font = _font(report.lang)
    base = getSampleStyleSheet()
    # CJK text has no spaces to break at: wordWrap="CJK" breaks between characters
    wrap = "CJK" if font == CJK_FONT else None
    body = ParagraphStyle("body", parent=base["BodyText"], fontName=font, fontSize=9, wordWrap=wrap)
    small = ParagraphStyle("small", parent=body, fontSize=7.5, textColor=colors.HexColor("#555555"))
    h1 = ParagraphStyle("h1", parent=base["Title"], fontName=font, wordWrap=wrap)
    h2 = ParagraphStyle("h2", parent=base["Heading2"], fontName=font, wordWrap=wrap)

    def p(text: str, style: ParagraphStyle = body) -> Paragraph:
        return Paragraph(escape(text), style)

    story: list[Flowable] = [
        p(report.title, h1),
        p(f"{_(N_('Period'))}: {report.period()}"),
        p(f"{_(N_('Profile'))}: {report.profile_title}"),
        p(f"{_(N_('Generated'))}: {report.when(report.generated_at)}"),
        Spacer(1, 4 * mm),
        p(_(N_("Charts")), h2),
    ]
    for chart in report.charts:
        story += [drawing(chart, font), p(chart.caption, small), Spacer(1, 3 * mm)]
    for section in report.sections:
        story.append(p(_(section.title), h2))
        rows = [[p(_(N_("Metric"))), p(_(N_("Value"))), p(_(N_("Note"))), p(_(N_("Legal basis")))]]
        for m in section.metrics:
            rows.append(
                [
                    p(report.label(m)),
                    p(report.value(m)),
                    p(report.note(m), small),
                    p(m.cite or "", small),
                ]
            )
        table = Table(rows, colWidths=[70 * mm, 32 * mm, 55 * mm, 23 * mm], repeatRows=1)
        table.setStyle(
            TableStyle(
                [
                    ("LINEBELOW", (0, 0), (-1, -1), 0.25, colors.HexColor("#cccccc")),
                    ("VALIGN", (0, 0), (-1, -1), "TOP"),
                    ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#eeeeee")),
                ]
            )
        )
        story.append(table)
    buf = io.BytesIO()
    doc = SimpleDocTemplate(
        buf,
        pagesize=A4,
        title=report.title,
        author="safeharbor",
        leftMargin=15 * mm,
        rightMargin=15 * mm,
        topMargin=15 * mm,
        bottomMargin=15 * mm,
        invariant=1,  # the same report renders to the same bytes (no timestamp or random id)
        lang=report.lang.replace("_", "-"),
    )
    doc.build(story)
    return buf.getvalue()
