"""Notices against my content, and my counter-notice: the same service calls as
``GET /api/notices/{id}`` (``notices.visible``) and ``POST /api/notices/{id}/counter``.

The counter-notice form asks for the fields the notice's jurisdiction profile requires;
an incomplete form is shown again with what is missing, before anything is filed (the
same check the service makes: ``validation.missing_counter_fields``)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from fastapi.responses import Response
from sqlalchemy import select

from safeharbor.accounts.models import User
from safeharbor.errors import Forbidden, SafeharborError
from safeharbor.notices.models import CounterNotice, Deadline, Notice
from safeharbor.notices.validation import clean_fields, missing_counter_fields
from safeharbor.portals.uploader import common
from safeharbor.profiles import Profile
from safeharbor.web.page import CheckedForm, Page, PageDep, field_text

router = APIRouter(include_in_schema=False)

#: counter-notice fields that are declarations (a box to tick, sent as "yes")
DECLARATIONS = ("good_faith", "consent_jurisdiction")
#: fields written at length
LONG_FIELDS = ("grounds", "address", "item", "decision")


@router.get("/uploader/notices")
def notices(page: PageDep) -> Response:
    user = common.uploader(page)
    rows = []
    for n in common.notices_against(page, user):
        items = common.my_items(page, n, user)
        rows.append({"notice": n, "mine": items, "counter": _my_counter(page, n, user)})
    return page.render("uploader/notices.html", rows=rows)


def _notice(page: Page, notice_id: int, user: User) -> Notice:
    """The notice, if the API would show it to the user and it names their content."""
    notice = page.svc.notices.visible(page.svc.notices.get(notice_id), user)
    if not common.my_items(page, notice, user):
        raise Forbidden("only the sender, the uploaders concerned and reviewers may see a notice")
    return notice


def _my_counter(page: Page, notice: Notice, user: User) -> CounterNotice | None:
    return page.svc.session.scalar(
        select(CounterNotice)
        .where(CounterNotice.notice_id == notice.id, CounterNotice.user_id == user.id)
        .order_by(CounterNotice.id.desc())
        .limit(1)
    )


def _claimant(page: Page, notice: Notice, prof: Profile) -> str | None:
    """Who sent the notice, where the profile lets the uploader know (EU: not, DSA 17(3))."""
    if not prof.forwarding.notifier_identity_to_uploader:
        return None
    return str(notice.fields.get("notifier_name") or page.svc.accounts.get(notice.sender_id).name)


def _clocks(page: Page, notice: Notice) -> list[dict[str, Any]]:
    rows = page.svc.session.scalars(
        select(Deadline).where(Deadline.notice_id == notice.id).order_by(Deadline.id)
    )
    return [{"deadline": d, "clock": page.clock(d.due_at)} for d in rows]


def _can_counter(items: list[Any], counter: CounterNotice | None) -> bool:
    acted = any(item.state == "acted" for item, _content in items)
    pending = counter is not None and counter.status in ("valid", "contested", "upheld")
    return acted and not pending


@router.get("/uploader/notices/{notice_id}")
def notice_detail(notice_id: int, page: PageDep) -> Response:
    user = common.uploader(page)
    notice = _notice(page, notice_id, user)
    prof = page.svc.notices.profile(notice.profile)
    items = common.my_items(page, notice, user)
    counter = _my_counter(page, notice, user)
    clocks = _clocks(page, notice)
    # the end of the waiting period (or of the complaint's review), while it runs
    waiting = next(
        (
            c["deadline"].due_at
            for c in clocks
            if c["deadline"].clock in ("restore", "review") and c["deadline"].status == "open"
        ),
        None,
    )
    return page.render(
        "uploader/notice.html",
        waiting=waiting,
        notice=notice,
        prof=prof,
        claimant=_claimant(page, notice, prof),
        grounds=notice.fields.get("evidence") or notice.fields.get("explanation"),
        items=items,
        counter=counter,
        clocks=clocks,
        can_counter=_can_counter(items, counter),
    )


def _counter_page(
    page: Page,
    notice: Notice,
    prof: Profile,
    values: dict[str, str],
    missing: list[str] | None = None,
    error: str | None = None,
    status: int = 200,
    problems: list[str] | None = None,
) -> Response:
    return page.render(
        "uploader/counter.html",
        problems=problems or [],
        status=status,
        notice=notice,
        prof=prof,
        fields=prof.counter.required,
        declarations=DECLARATIONS,
        long_fields=LONG_FIELDS,
        values=values,
        missing=missing or [],
        error=error,
    )


@router.get("/uploader/notices/{notice_id}/counter")
def counter_form(notice_id: int, page: PageDep) -> Response:
    user = common.uploader(page)
    notice = _notice(page, notice_id, user)
    prof = page.svc.notices.profile(notice.profile)
    # what the uploader is answering is known: the item defaults to their uploads' titles
    items = common.my_items(page, notice, user)
    values = {"item": "; ".join(c.title or c.public_id for _i, c in items)}
    if user.real_name:
        values["name"] = user.real_name
    return _counter_page(page, notice, prof, values)


@router.post("/uploader/notices/{notice_id}/counter")
def counter(notice_id: int, page: PageDep, form: CheckedForm) -> Response:
    user = common.uploader(page)
    notice = _notice(page, notice_id, user)
    prof = page.svc.notices.profile(notice.profile)
    values = {name: field_text(form, name, limit=20_000) for name in prof.counter.required}
    for name in DECLARATIONS:
        if name in values and values[name] != "yes":
            values[name] = ""
    clean, problems = clean_fields(values)
    missing = missing_counter_fields(prof, clean)
    if missing or problems:
        return _counter_page(
            page,
            notice,
            prof,
            values,
            missing=missing,
            error=page._("The counter-notice is not complete: fill in what is marked."),
            status=422,
            problems=problems,
        )
    try:
        page.svc.notices.counter(notice.id, user, values, page.ip)
    except SafeharborError as exc:
        return _counter_page(page, notice, prof, values, error=page._(exc.message), status=422)
    page.flash(page._("Your counter-notice is filed."), "ok")
    return page.redirect(f"/uploader/notices/{notice.id}")
