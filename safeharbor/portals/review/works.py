"""A registered work's ownership review, and ownership conflicts: the same calls as
``POST /api/works/{id}/review`` (approving one side of a conflict awards it the content
and settles its rival claims, as the registry decides)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from fastapi.responses import Response

from safeharbor.accounts.permissions import Perm
from safeharbor.errors import InvalidInput, NotFound, SafeharborError
from safeharbor.portals.review.common import attempt
from safeharbor.portals.review.queues import nav
from safeharbor.registry.models import OwnershipConflict, Work
from safeharbor.web.page import CheckedForm, Page, PageDep, field_text

router = APIRouter(include_in_schema=False)

WORK_ACTIONS = ("approve", "reject", "request_info")


def _work_facts(page: Page, work: Work) -> dict[str, Any]:
    holder = page.svc.accounts.get(work.holder_id)
    open_conflicts = [
        c for c in page.svc.registry.conflicts("open") if work.id in (c.work_id, c.other_work_id)
    ]
    return {"work": work, "holder": holder, "conflicts": open_conflicts}


def _render_work(page: Page, work: Work, status: int = 200, **values: Any) -> Response:
    return page.render(
        "review/work.html",
        status=status,
        nav=nav(page, "works"),
        error=values.pop("error", None),
        note=values.pop("note", ""),
        **_work_facts(page, work),
    )


@router.get("/review/works/{work_id}")
def work_page(work_id: int, page: PageDep) -> Response:
    page.require(Perm.REVIEW)
    return _render_work(page, page.svc.registry.get(work_id))


@router.post("/review/works/{work_id}/decision")
def decide_work(work_id: int, page: PageDep, form: CheckedForm) -> Response:
    user = page.require(Perm.REVIEW)
    work = page.svc.registry.get(work_id)
    action = field_text(form, "action", limit=20)
    note = field_text(form, "note", limit=2000)
    try:
        if action not in WORK_ACTIONS:
            raise InvalidInput("choose a decision")
        with attempt(page):
            page.svc.registry.review(work.id, action, user, note or None, page.ip)
    except SafeharborError as exc:
        return _render_work(page, work, status=422, error=page._(exc.message), note=note)
    done = {
        "approve": page._("Work %(id)s approved.", id=work.id),
        "reject": page._("Work %(id)s rejected.", id=work.id),
        "request_info": page._(
            "More information was asked of the holder of work %(id)s.", id=work.id
        ),
    }[action]
    page.flash(done, "ok")
    return page.redirect("/review/works")


def _conflict(page: Page, conflict_id: int) -> OwnershipConflict:
    page.require(Perm.REVIEW)
    found = page.svc.session.get(OwnershipConflict, conflict_id)
    if found is None:
        raise NotFound(f"no conflict {conflict_id}")
    return found


def _render_conflict(
    page: Page, c: OwnershipConflict, status: int = 200, error: str | None = None
) -> Response:
    sides = [_work_facts(page, page.svc.registry.get(i)) for i in (c.work_id, c.other_work_id)]
    return page.render(
        "review/conflict.html",
        status=status,
        conflict=c,
        sides=sides,
        error=error,
        nav=nav(page, "conflicts"),
    )


@router.get("/review/conflicts/{conflict_id}")
def conflict_page(conflict_id: int, page: PageDep) -> Response:
    return _render_conflict(page, _conflict(page, conflict_id))


@router.post("/review/conflicts/{conflict_id}/decision")
def decide_conflict(conflict_id: int, page: PageDep, form: CheckedForm) -> Response:
    """Award the content to one claim (approve it) or turn one claim down (reject it)."""
    user = page.require(Perm.REVIEW)
    c = _conflict(page, conflict_id)
    choice = field_text(form, "decision", limit=40)  # "approve:12" or "reject:12"
    note = field_text(form, "note", limit=2000)
    action, _, wid = choice.partition(":")
    try:
        if action not in ("approve", "reject") or not wid.isdigit():
            raise InvalidInput("choose a decision")
        if int(wid) not in (c.work_id, c.other_work_id):
            raise InvalidInput("choose a decision")
        with attempt(page):
            page.svc.registry.review(int(wid), action, user, note or None, page.ip)
    except SafeharborError as exc:
        return _render_conflict(page, _conflict(page, conflict_id), 422, page._(exc.message))
    if action == "approve":
        page.flash(page._("Ownership awarded to work %(id)s.", id=wid), "ok")
    else:
        page.flash(page._("The claim of work %(id)s was rejected.", id=wid), "ok")
    return page.redirect("/review/conflicts")
