"""What the holder portal's pages share: who may use them, reading dates typed in the
viewer's zone, and the few read-only lookups the pages make beside the services' views."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import AbstractContextManager, contextmanager
from datetime import datetime, time
from pathlib import Path
from typing import Any, cast
from zoneinfo import ZoneInfo

from fastapi import UploadFile as ApiUpload
from fastapi.responses import Response
from sqlalchemy import select
from starlette.datastructures import UploadFile

from safeharbor.accounts.models import User
from safeharbor.accounts.permissions import Perm
from safeharbor.api import saved_upload
from safeharbor.clock import as_utc
from safeharbor.errors import InvalidInput, SafeharborError
from safeharbor.notices.models import Deadline, Message
from safeharbor.web.page import Page

#: the clocks still running on a case (the ones a holder waits on)
RUNNING = ("open", "overdue")


def render(page: Page, template: str, status: int = 200, **values: Any) -> Response:
    """``page.render`` with the label tables of ``words.py`` the templates look words up in."""
    from safeharbor.portals.holder import words

    return page.render(
        template,
        status=status,
        field_labels=words.FIELD_LABELS,
        step_labels=words.STEP_LABELS,
        clock_labels=words.CLOCK_LABELS,
        scope_labels=words.SCOPE_LABELS,
        **values,
    )


def holder(page: Page) -> User:
    """The signed-in rights holder (or administrator): the portal is theirs. Registering
    works is what makes someone a rights holder in the permission table."""
    return page.require(Perm.REGISTER_WORK)


def saved(upload: UploadFile, page: Page) -> AbstractContextManager[Path]:
    """``api.saved_upload`` for a file of a posted form: the form gives Starlette's
    ``UploadFile``, of which FastAPI's (the type ``saved_upload`` names) is a subclass
    adding nothing ``saved_upload`` reads."""
    return saved_upload(cast(ApiUpload, upload), page.svc.platform)


@contextmanager
def attempt(page: Page) -> Iterator[None]:
    """A service call whose refusal the page shows in its form: in a savepoint, so a
    refused call leaves nothing behind while the page's own unit (the session, its
    flash) still commits. (The API needs none: its error rolls the whole unit back.)"""
    savepoint = page.svc.session.begin_nested()
    try:
        yield
    except SafeharborError:
        savepoint.rollback()
        raise
    savepoint.commit()


def parse_day(text: str, tz: str, name: str) -> datetime | None:
    """A date typed in a form (YYYY-MM-DD), as the start of that day in the viewer's zone,
    in UTC; None when left empty."""
    if not text:
        return None
    try:
        day = datetime.strptime(text, "%Y-%m-%d").date()
    except ValueError:
        raise InvalidInput(f"{name} is not a date (YYYY-MM-DD)") from None
    return datetime.combine(day, time(0), tzinfo=ZoneInfo(tz)).astimezone(ZoneInfo("UTC"))


def iso(text: str | None) -> datetime | None:
    """A moment as a service view gives it (ISO text), back to a datetime for page.when."""
    return as_utc(datetime.fromisoformat(text)) if text else None


def next_clocks(page: Page, notice_ids: Iterable[int]) -> dict[int, Deadline]:
    """The nearest running clock of each notice (read-only; one query for a whole list,
    where ``notice_view`` would read each case's history)."""
    ids = list(notice_ids)
    if not ids:
        return {}
    rows = page.svc.session.scalars(
        select(Deadline)
        .where(Deadline.notice_id.in_(ids), Deadline.status.in_(RUNNING))
        .order_by(Deadline.due_at)
    )
    out: dict[int, Deadline] = {}
    for d in rows:
        out.setdefault(d.notice_id, d)
    return out


def sent_messages(page: Page, user: User, notice_id: int) -> list[Message]:
    """What ``user`` wrote to the uploaders of a notice through the platform."""
    return list(
        page.svc.session.scalars(
            select(Message)
            .where(
                Message.notice_id == notice_id,
                Message.from_user_id == user.id,
                Message.kind == "relay",
            )
            .order_by(Message.id)
        )
    )


def form_values(form: Any, names: Iterable[str]) -> dict[str, str]:
    """The values typed into a form, to show it again after an error."""
    out: dict[str, str] = {}
    for n in names:
        v = form.get(n)
        out[n] = v if isinstance(v, str) else ""
    return out
