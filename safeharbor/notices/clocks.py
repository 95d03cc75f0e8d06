"""Calendar arithmetic for the legal clocks.

Business and working days skip Saturdays and Sundays. Public holidays are not modelled:
a deployment that needs them extends ``HOLIDAYS`` (dates), which every count honours.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

HOLIDAYS: set[date] = set()


def is_working_day(d: date) -> bool:
    return d.weekday() < 5 and d not in HOLIDAYS


def add_working_days(start: datetime, days: int) -> datetime:
    """``start`` moved forward by ``days`` working days (same time of day)."""
    current = start
    left = days
    while left > 0:
        current += timedelta(days=1)
        if is_working_day(current.date()):
            left -= 1
    return current


def reasonable_period_end(
    delivered: datetime, days: int, max_working_days: int, tolled_days: int = 0
) -> datetime:
    """CN reasonable period (LEGAL.md C5/C6): ``days`` calendar days after the declaration
    reached the holder, extended by documented delays (``tolled_days``), never past
    ``max_working_days`` working days."""
    wanted = delivered + timedelta(days=days + tolled_days)
    cap = add_working_days(delivered, max_working_days)
    return min(wanted, cap)
