"""The report's charts: notices over the period, the time-to-act distribution against the
24-hour line, and automated against human decisions.

Each chart is first reduced to a ``Chart`` (title, bar labels, values, an optional marker
between two bars), so the HTML (SVG from matplotlib) and the PDF (a reportlab drawing)
show the same bars. SVG keeps its words as text (``svg.fonttype = 'none'``): the browser
renders Chinese with its own fonts. The PDF drawing writes its words with the PDF's CJK
font (matplotlib has none on a bare server, and would draw empty boxes).
"""

from __future__ import annotations

import io
import logging
import re
import warnings
from dataclasses import dataclass

import matplotlib

matplotlib.use("Agg")  # no display on a server

from matplotlib import pyplot as plt  # noqa: E402
from matplotlib.ticker import MaxNLocator  # noqa: E402
from reportlab.graphics.charts.barcharts import VerticalBarChart  # noqa: E402
from reportlab.graphics.shapes import Drawing, Line, String  # noqa: E402
from reportlab.lib import colors  # noqa: E402

from safeharbor.i18n import Translate  # noqa: E402
from safeharbor.reports.figures import Figures  # noqa: E402
from safeharbor.reports.sections import N_  # noqa: E402

#: time-to-act bins, in hours: (upper bound, label); the 24 h line falls after "12-24 h"
TIME_BINS: tuple[tuple[float, str], ...] = (
    (1, "<1 h"),
    (4, "1-4 h"),
    (12, "4-12 h"),
    (24, "12-24 h"),
    (48, "24-48 h"),
    (72, "48-72 h"),
    (float("inf"), ">72 h"),
)
#: CSS font families the browser tries, CJK ones first (the SVG names them, not a file)
FONT_FAMILIES = [
    "Noto Sans CJK SC",
    "Source Han Sans SC",
    "PingFang SC",
    "Microsoft YaHei",
    "DejaVu Sans",
    "sans-serif",
]
BAR = "#3b6ea5"
MARK = "#c0392b"


@dataclass
class Chart:
    key: str
    title: str  # translated
    caption: str  # translated: what the chart shows, for figure captions and alt text
    labels: list[str]
    values: list[int]
    y_label: str
    marker_after: int | None = None  # a line after this bar's index
    marker_label: str | None = None


def charts(f: Figures, _: Translate) -> list[Chart]:
    per = f.notices.per_bucket
    fmt = "%m-%d" if per.bucket == "day" else "%Y-%m-%d"
    received = Chart(
        key="notices",
        title=_(
            N_("Notices received per day")
            if per.bucket == "day"
            else N_("Notices received per week")
        ),
        caption=_(N_("Bar chart of the notices received in each day or week of the period."))
        + " "
        + _(N_("Total"))
        + f": {f.notices.received}",
        labels=[d.strftime(fmt) for d, _n in per.points],
        values=[n for _d, n in per.points],
        y_label=_(N_("Notices")),
    )
    bins = [0] * len(TIME_BINS)
    for h in f.notices.time_to_act.hours:
        bins[
            next(i for i, (top, _l) in enumerate(TIME_BINS) if h < top or top == float("inf"))
        ] += 1
    tta = f.notices.time_to_act
    time_to_act = Chart(
        key="time_to_act",
        title=_(N_("Time to act on notice items")),
        caption=_(
            N_(
                "Items acted on, by hours from the valid notice to the measure; "
                "the line marks 24 hours."
            )
        )
        + " "
        + _(N_("Within 24 hours"))
        + f": {tta.within_24h} / {tta.count}",
        labels=[label for _t, label in TIME_BINS],
        values=bins,
        y_label=_(N_("Items")),
        marker_after=3,
        marker_label="24 h",
    )
    d = f.decisions
    decisions = Chart(
        key="decisions",
        title=_(N_("Automated and human decisions")),
        caption=_(N_("Decisions recorded in the period, automated and taken by a person."))
        + f" {_(N_('Automated decisions'))}: {d.automated}; {_(N_('Human decisions'))}: {d.human}",
        labels=[_(N_("Automated")), _(N_("Human"))],
        values=[d.automated, d.human],
        y_label=_(N_("Decisions")),
    )
    return [received, time_to_act, decisions]


# -- SVG for HTML --------------------------------------------------------------------------


def svg(chart: Chart) -> str:
    """The chart as an inline ``<svg>`` element (no XML prolog, no fixed size)."""
    # the CJK families are for the browser; their absence here is expected, not news
    # (nor the missing glyphs: only the layout estimate suffers, the text stays text)
    fm_log = logging.getLogger("matplotlib.font_manager")
    level = fm_log.level
    fm_log.setLevel(logging.ERROR)
    try:
        with warnings.catch_warnings():
            warnings.filterwarnings(
                "ignore", message="Glyph .* missing from font", category=UserWarning
            )
            return _svg(chart)
    finally:
        fm_log.setLevel(level)


def _svg(chart: Chart) -> str:
    with plt.rc_context(
        {"svg.fonttype": "none", "font.family": FONT_FAMILIES, "svg.hashsalt": "safeharbor"}
    ):
        fig, ax = plt.subplots(figsize=(7, 3.2), dpi=100)
        try:
            xs = list(range(len(chart.values)))
            ax.bar(xs, chart.values, color=BAR)
            ax.set_xticks(
                xs,
                chart.labels,
                rotation=45 if len(xs) > 10 else 0,
                ha="right" if len(xs) > 10 else "center",
                fontsize=8,
            )
            step = max(1, len(xs) // 20)
            for i, tick in enumerate(ax.get_xticklabels()):
                tick.set_visible(i % step == 0)
            ax.set_ylabel(chart.y_label)
            ax.set_title(chart.title)
            ax.yaxis.set_major_locator(MaxNLocator(integer=True))
            if chart.marker_after is not None:
                ax.axvline(chart.marker_after + 0.5, color=MARK, linestyle="--")
                if chart.marker_label:
                    ax.text(
                        chart.marker_after + 0.55,
                        ax.get_ylim()[1] * 0.92,
                        chart.marker_label,
                        color=MARK,
                    )
            ax.spines[["top", "right"]].set_visible(False)
            fig.tight_layout()
            buf = io.StringIO()
            fig.savefig(buf, format="svg", metadata={"Date": None})
        finally:
            plt.close(fig)
    text = buf.getvalue()
    start = text.index("<svg")
    element = text[start:]
    # sized by the page, not in points (html.py adds the role and accessible name)
    return re.sub(r'\swidth="[^"]*"\sheight="[^"]*"', "", element, count=1)


# -- reportlab drawing for PDF -------------------------------------------------------------


def drawing(chart: Chart, font: str, width: float = 460, height: float = 200) -> Drawing:
    d = Drawing(width, height)
    bc = VerticalBarChart()
    bc.x, bc.y = 40, 40
    bc.width, bc.height = width - 60, height - 75
    bc.data = [chart.values or [0]]
    bc.bars[0].fillColor = colors.HexColor(BAR)
    bc.valueAxis.valueMin = 0
    top = max(chart.values or [0])
    bc.valueAxis.valueMax = max(1, top)
    bc.valueAxis.valueStep = max(1, -(-top // 5))
    bc.valueAxis.labels.fontName = font
    step = max(1, len(chart.labels) // 15)
    bc.categoryAxis.categoryNames = [
        label if i % step == 0 else "" for i, label in enumerate(chart.labels)
    ]
    bc.categoryAxis.labels.fontName = font
    bc.categoryAxis.labels.fontSize = 7
    if len(chart.labels) > 10:
        bc.categoryAxis.labels.angle = 45
        bc.categoryAxis.labels.boxAnchor = "ne"
    d.add(bc)
    d.add(
        String(width / 2, height - 15, chart.title, fontName=font, fontSize=11, textAnchor="middle")
    )
    if chart.marker_after is not None and chart.labels:
        x = bc.x + bc.width * (chart.marker_after + 1) / len(chart.labels)
        d.add(
            Line(
                x,
                bc.y,
                x,
                bc.y + bc.height,
                strokeColor=colors.HexColor(MARK),
                strokeDashArray=[4, 3],
            )
        )
        if chart.marker_label:
            d.add(
                String(
                    x + 3,
                    bc.y + bc.height - 10,
                    chart.marker_label,
                    fontName=font,
                    fontSize=8,
                    fillColor=colors.HexColor(MARK),
                )
            )
    return d
