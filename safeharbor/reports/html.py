"""The report as one self-contained HTML page: inline CSS and inline SVG charts, nothing
fetched. Every piece of text is escaped (labels and breakdown values can come from user
data: a channel or work type is stored text). Accessible: the page's ``lang``, one ``h1``
and an ``h2`` per section, tables with captions and header cells, and each chart a
``figure`` with a caption and an SVG ``role="img"`` labelled by its title."""

from __future__ import annotations

from html import escape

from safeharbor.reports.charts import svg
from safeharbor.reports.report import Report
from safeharbor.reports.sections import N_

DEFINITIONS = N_(
    "Definitions: time to act runs from the valid notice to the measure; the median is the "
    "middle value; the 95th percentile is the nearest-rank value; a figure the platform has "
    "no source for is marked not measured."
)
_CSS = """
body{font-family:"Noto Sans CJK SC","Source Han Sans SC","PingFang SC","Microsoft YaHei",
system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;color:#1b1b1b;line-height:1.45}
table{border-collapse:collapse;width:100%;margin:0 0 1.5rem}
caption{text-align:left;font-weight:600;padding:.3rem 0}
th,td{border-bottom:1px solid #ddd;padding:.3rem .5rem;text-align:left;vertical-align:top}
td.v{text-align:right;white-space:nowrap;font-variant-numeric:tabular-nums}
td.n,.meta{color:#555;font-size:.9em}
figure{margin:1rem 0 2rem}figure svg{width:100%;height:auto}
figcaption{color:#333;font-size:.9em}
"""


def render_html(report: Report) -> bytes:
    _ = report._
    e = escape
    parts = [
        "<!DOCTYPE html>",
        f'<html lang="{e(report.lang.replace("_", "-"))}">',
        '<head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{e(report.title)}</title><style>{_CSS}</style></head>",
        "<body><main>",
        f"<h1>{e(report.title)}</h1>",
        '<p class="meta">',
        f"{e(_(N_('Period')))}: {e(report.period())}<br>",
        f"{e(_(N_('Profile')))}: {e(report.profile_title)}<br>",
        f"{e(_(N_('Generated')))}: {e(report.when(report.generated_at))}",
        "</p>",
        f"<h2>{e(_(N_('Charts')))}</h2>",
    ]
    for i, chart in enumerate(report.charts):
        title_id = f"chart-{e(chart.key)}-title"
        element = svg(chart).replace(
            "<svg",
            f'<svg role="img" aria-labelledby="{title_id}"',
            1,
        )
        # the accessible name: a <title> as the SVG's first child
        close = element.index(">") + 1
        element = (
            element[:close]
            + f'<title id="{title_id}">{e(chart.title)}. {e(chart.caption)}</title>'
            + element[close:]
        )
        parts.append(f'<figure id="figure-{i + 1}">{element}')
        parts.append(f"<figcaption>{e(chart.title)}: {e(chart.caption)}</figcaption></figure>")
    for section in report.sections:
        parts.append(f'<section id="{e(section.key)}"><h2>{e(_(section.title))}</h2>')
        parts.append(f"<table><caption>{e(_(section.title))}</caption>")
        parts.append(
            f'<thead><tr><th scope="col">{e(_(N_("Metric")))}</th>'
            f'<th scope="col">{e(_(N_("Value")))}</th>'
            f'<th scope="col">{e(_(N_("Note")))}</th>'
            f'<th scope="col">{e(_(N_("Legal basis")))}</th></tr></thead><tbody>'
        )
        for m in section.metrics:
            parts.append(
                f'<tr id="{e(m.key)}"><th scope="row">{e(report.label(m))}</th>'
                f'<td class="v">{e(report.value(m))}</td>'
                f'<td class="n">{e(report.note(m))}</td>'
                f'<td class="n">{e(m.cite or "")}</td></tr>'
            )
        parts.append("</tbody></table></section>")
    parts.append(f'<p class="meta">{e(_(DEFINITIONS))}</p>')
    parts.append("</main></body></html>")
    return "\n".join(parts).encode("utf-8")
