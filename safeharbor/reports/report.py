"""A built report: its figures, the rows every format shows, its charts, and how one
row's label and value read in the report's language."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from safeharbor.i18n import (
    Translate,
    format_datetime,
    format_number,
    format_period,
    format_share,
    gettext_for,
)
from safeharbor.reports.charts import Chart
from safeharbor.reports.figures import Figures
from safeharbor.reports.sections import N_, Metric, Section

TITLE = N_("Transparency and compliance report")
NOT_MEASURED = N_("not measured")


@dataclass
class Report:
    figures: Figures
    sections: list[Section]
    charts: list[Chart]
    lang: str
    profile: str
    profile_title: str
    tz: str
    generated_at: datetime
    meta: dict[str, Any] = field(default_factory=dict)

    @property
    def _(self) -> Translate:
        return gettext_for(self.lang)

    @property
    def title(self) -> str:
        return self._(TITLE)

    def when(self, dt: datetime) -> str:
        return format_datetime(dt, self.lang, self.tz)

    def period(self) -> str:
        return format_period(self.figures.start, self.figures.end, self.lang, self.tz)

    def label(self, m: Metric) -> str:
        _ = self._
        text = _(m.label)
        if m.qualifier:
            text += " " + _(m.qualifier)
        if m.detail:
            text += ": " + _(m.detail)
        return text

    def value(self, m: Metric) -> str:
        """The value as read (numbers in the language's style); ``not measured`` for None."""
        _ = self._
        v = m.value
        if v is None:
            return _(NOT_MEASURED)
        if m.unit == "text":
            return _(str(v))
        if m.unit == "share" and isinstance(v, int | float):
            return format_share(float(v), self.lang)
        if m.unit == "hours" and isinstance(v, int | float):
            return f"{format_number(v, self.lang)} {_(N_('hours'))}"
        if m.unit == "ms" and isinstance(v, int | float):
            return f"{format_number(v, self.lang, 1)} ms"
        return format_number(v, self.lang, 0) if isinstance(v, int) else str(v)

    def note(self, m: Metric) -> str:
        return self._(m.note) if m.note else ""
