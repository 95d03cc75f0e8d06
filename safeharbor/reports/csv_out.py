"""The report's data as CSV: one row per metric, the same rows every format shows.

Columns: ``section, key, label, value, unit, note, cite``. ``key`` is stable across
languages (``acting.time_to_act.median``); ``value`` is machine-readable (plain numbers
with a dot, shares as fractions 0..1, hours as decimal hours, text as text) and empty
where the platform has no source for the figure (the ``note`` then says why), so an empty
cell is never a zero. ``label`` and ``note`` are in the report's language. A second block
is not added: per-notice rows would carry personal data a transparency report must not."""

from __future__ import annotations

import csv
import io

from safeharbor.reports.report import Report

COLUMNS = ("section", "key", "label", "value", "unit", "note", "cite")


def render_csv(report: Report) -> bytes:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(COLUMNS)
    for section in report.sections:
        for m in section.metrics:
            value = "" if m.value is None else m.value
            if isinstance(value, float):
                value = repr(round(value, 6))
            w.writerow(
                [section.key, m.key, report.label(m), value, m.unit, report.note(m), m.cite or ""]
            )
    # a BOM so that spreadsheet programs read the Chinese labels as UTF-8
    return ("\ufeff" + buf.getvalue()).encode("utf-8")
