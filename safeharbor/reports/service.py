"""Transparency and compliance reports: build one for a period, render it as HTML, PDF,
CSV or JSON."""

from __future__ import annotations

import dataclasses
import json
from datetime import date, datetime, time, timedelta
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from safeharbor import profiles
from safeharbor.errors import InvalidInput
from safeharbor.i18n import check_language, gettext_for
from safeharbor.reports import figures
from safeharbor.reports.charts import charts
from safeharbor.reports.report import Report
from safeharbor.reports.sections import sections

if TYPE_CHECKING:
    from safeharbor.platform import Services

FORMATS = ("html", "pdf", "csv", "json")
MEDIA_TYPES = {
    "html": "text/html; charset=utf-8",
    "pdf": "application/pdf",
    "csv": "text/csv; charset=utf-8",
    "json": "application/json",
}


def period_bound(value: str, tz: str, *, end: bool) -> datetime:
    """A date means the whole day in ``tz`` (an end date is included: the bound is the next
    midnight); a time without a zone is read in ``tz``."""
    try:
        zone = ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError):
        raise InvalidInput(f"unknown time zone {tz!r}") from None
    try:
        if len(value) == 10:
            day = date.fromisoformat(value)
            moment = datetime.combine(day + timedelta(days=1) if end else day, time(), zone)
        else:
            moment = datetime.fromisoformat(value)
    except ValueError:
        raise InvalidInput(f"invalid date {value!r}: use YYYY-MM-DD or an ISO 8601 time") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=zone)


class ReportService:
    def __init__(self, services: Services) -> None:
        self.session = services.session
        self.clock = services.platform.clock
        self.settings = services.platform.settings

    def build(
        self,
        start: datetime,
        end: datetime,
        lang: str | None = None,
        profile: str | None = None,
        tz: str = "UTC",
    ) -> Report:
        """The report of ``[start, end)``. The profile chooses the report's shape (the EU
        one adds the DSA fields) and, when ``lang`` is not given, its language; the
        figures cover every notice on the platform, whatever profile it was filed under
        (the by-profile breakdown tells them apart)."""
        if start.tzinfo is None or end.tzinfo is None:
            raise InvalidInput("the period's bounds need a time zone")
        if end <= start:
            raise InvalidInput("the period must end after it starts")
        try:
            ZoneInfo(tz)
        except (ZoneInfoNotFoundError, ValueError):
            raise InvalidInput(f"unknown time zone {tz!r}") from None
        prof = profiles.load(profile or self.settings.profile, self.settings.home / "profiles")
        language = check_language(lang or prof.language)
        figs = figures.gather(self.session, start, end, tz)
        return Report(
            figures=figs,
            sections=sections(figs, prof.name),
            charts=charts(figs, gettext_for(language)),
            lang=language,
            profile=prof.name,
            profile_title=gettext_for(language)(prof.title),
            tz=tz,
            generated_at=self.clock.now(),
        )

    def render(self, report: Report, fmt: str) -> bytes:
        if fmt == "html":
            from safeharbor.reports.html import render_html

            return render_html(report)
        if fmt == "pdf":
            from safeharbor.reports.pdf import render_pdf

            return render_pdf(report)
        if fmt == "csv":
            from safeharbor.reports.csv_out import render_csv

            return render_csv(report)
        if fmt == "json":
            return json.dumps(report_view(report), ensure_ascii=False, default=str).encode()
        raise InvalidInput(f"unknown format {fmt!r} (one of {', '.join(FORMATS)})")


def report_view(report: Report) -> dict[str, Any]:
    """The report as JSON: the figures (raw, for machines) and the rows (as shown)."""
    figs = dataclasses.asdict(report.figures)
    # the raw durations are for the charts; the distribution's figures stay
    figs["notices"]["time_to_act"].pop("hours", None)
    figs["counters"]["time_to_decide"].pop("hours", None)
    figs["disclosure"]["time_to_answer"].pop("hours", None)
    return {
        "title": report.title,
        "lang": report.lang,
        "profile": report.profile,
        "tz": report.tz,
        "start": report.figures.start.isoformat(),
        "end": report.figures.end.isoformat(),
        "generated_at": report.generated_at.isoformat(),
        "figures": figs,
        "sections": [
            {
                "key": s.key,
                "title": report._(s.title),
                "metrics": [
                    {
                        "key": m.key,
                        "label": report.label(m),
                        "value": m.value,
                        "unit": m.unit,
                        "note": report.note(m) or None,
                        "cite": m.cite,
                    }
                    for m in s.metrics
                ],
            }
            for s in report.sections
        ],
    }
