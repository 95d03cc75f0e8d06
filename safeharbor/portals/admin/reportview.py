"""The transparency and compliance report as the portals show it (the admin's dashboard,
the authority's reports): the period from a form, the report the reports service builds,
its SVG charts as images, its rows, and its downloads, exactly as
``GET /api/reports/transparency`` gives them.

The charts are ``data:`` images rather than inline SVG: matplotlib styles its SVG with
``style`` attributes, which the pages' Content-Security-Policy (no inline styles) would
strip; an image keeps its own styles and has the chart's caption as its text.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from datetime import UTC, date, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from fastapi.responses import Response

from safeharbor.errors import InvalidInput
from safeharbor.i18n import format_number, format_share
from safeharbor.portals.admin.words import N_
from safeharbor.reports.charts import svg
from safeharbor.reports.report import Report
from safeharbor.reports.service import MEDIA_TYPES, period_bound
from safeharbor.web.page import Page

DOWNLOADS = ("pdf", "csv", "html")
#: the report's own HTML keeps its inline styles; nothing else may run in it
_DOWNLOAD_CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; sandbox"


@dataclass
class Period:
    start: str  # YYYY-MM-DD, as typed
    end: str  # YYYY-MM-DD, included

    @property
    def query(self) -> str:
        return f"from={self.start}&to={self.end}"


def period_of(page: Page, start: str | None, end: str | None, days: int = 30) -> Period:
    """The period a form asked for; by default the last ``days`` days, today included, in
    the viewer's time zone. Bad dates are refused with the reports service's message."""
    today = page.now.astimezone(ZoneInfo(page.tz)).date()  # page.tz is a known zone
    p = Period(
        (start or (today - timedelta(days=days - 1)).isoformat()).strip(),
        (end or today.isoformat()).strip(),
    )
    for value in (p.start, p.end):
        if len(value) != 10:
            raise InvalidInput(f"invalid date {value!r}: use YYYY-MM-DD")
        try:
            date.fromisoformat(value)
        except ValueError:
            raise InvalidInput(f"invalid date {value!r}: use YYYY-MM-DD") from None
    return p


def build(page: Page, p: Period) -> Report:
    """The report of the period, in the viewer's language and time zone."""
    return page.svc.reports.build(
        period_bound(p.start, page.tz, end=False),
        period_bound(p.end, page.tz, end=True),
        lang=page.lang,
        tz=page.tz,
    )


def charts(report: Report) -> list[dict[str, str]]:
    out = []
    for chart in report.charts:
        data = base64.b64encode(svg(chart).encode("utf-8")).decode("ascii")
        out.append(
            {
                "key": chart.key,
                "title": chart.title,
                "caption": chart.caption,
                "src": f"data:image/svg+xml;base64,{data}",
            }
        )
    return out


def sections(report: Report) -> list[dict[str, Any]]:
    return [
        {
            "key": s.key,
            "title": report._(s.title),
            "rows": [
                {
                    "key": m.key,
                    "label": report.label(m),
                    "value": report.value(m),
                    "note": report.note(m),
                    "cite": m.cite or "",
                }
                for m in s.metrics
            ],
        }
        for s in report.sections
    ]


def key_figures(report: Report) -> list[tuple[str, str]]:
    """The few figures the dashboard leads with (msgid, value as read)."""
    n = report.figures.notices
    tta = n.time_to_act
    lang = report.lang

    def hours(v: float | None) -> str:
        return report._("not measured") if v is None else f"{format_number(v, lang)} h"

    share = (
        report._("not measured")
        if tta.share_within_24h is None
        else format_share(tta.share_within_24h, lang)
    )
    return [
        (N_("Notices received"), format_number(n.received, lang, 0)),
        (N_("Valid notices"), format_number(n.valid, lang, 0)),
        (N_("Items acted on"), format_number(n.items_acted, lang, 0)),
        (N_("Acted on within 24 hours"), share),
        (N_("Time to act (median)"), hours(tta.median_hours)),
        (N_("Time to act (95th percentile)"), hours(tta.p95_hours)),
        (N_("Notices past their deadline"), format_number(n.overdue, lang, 0)),
    ]


def download(page: Page, p: Period, fmt: str) -> Response:
    """The report file, as the API's ``format=pdf|csv|html`` answers it."""
    if fmt not in DOWNLOADS:
        raise InvalidInput(f"unknown format {fmt!r} (one of {', '.join(DOWNLOADS)})")
    report = build(page, p)
    body = page.svc.reports.render(report, fmt)
    stamp = report.figures.start.astimezone(UTC).strftime("%Y%m%d")
    headers = {
        "Content-Disposition": (
            f'attachment; filename="transparency-{report.profile}-{stamp}.{fmt}"'
        ),
        "Content-Security-Policy": _DOWNLOAD_CSP,
    }
    return page.finish(Response(body, media_type=MEDIA_TYPES[fmt], headers=headers))
