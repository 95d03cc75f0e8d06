"""What the admin console's pages share: reading a time typed in the viewer's zone, and
running a form's action so that a refused one leaves nothing behind."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import TypeVar
from zoneinfo import ZoneInfo

from safeharbor.errors import InvalidInput, SafeharborError
from safeharbor.web.page import Page

T = TypeVar("T")


def attempt(page: Page, action: Callable[[], T]) -> tuple[T | None, str | None]:
    """Run ``action`` in a savepoint: its result, or (None, the message in the viewer's
    language) with everything it wrote undone, so the page can show the form again."""
    try:
        with page.svc.session.begin_nested():
            return action(), None
    except SafeharborError as exc:
        return None, page._(exc.message)


def local_time(page: Page, value: str, name: str) -> datetime | None:
    """A ``datetime-local`` (or date) field, read in the viewer's time zone."""
    value = value.strip()
    if not value:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise InvalidInput(f"{name}: use a date and time such as 2026-12-31T18:00") from None
    local = moment if moment.tzinfo else moment.replace(tzinfo=ZoneInfo(page.tz))
    # stored times are UTC (SQLite keeps no zone)
    return local.astimezone(UTC)
