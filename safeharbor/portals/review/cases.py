"""Cases a person decides: a notice's items that could not be located (take down a
candidate, dismiss, or record the notice as unfounded), an EU complaint against a takedown,
a disclosure request, a strike appeal. The same service calls as the API routes
(``/api/notice-items/{id}/review``, ``/api/notices/{id}/unfounded``,
``/api/notices/{id}/complaint-decision``, ``/api/disclosures/{id}/decision``,
``/api/strike-appeals/{id}/decision``)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from fastapi.responses import Response

from safeharbor.accounts.permissions import Perm
from safeharbor.errors import InvalidInput, NotFound, SafeharborError
from safeharbor.notices.models import CounterNotice, Notice, NoticeItem
from safeharbor.portals.review.common import attempt
from safeharbor.portals.review.queues import nav
from safeharbor.screening.models import Content
from safeharbor.web.page import CheckedForm, Page, PageDep, field_text

router = APIRouter(include_in_schema=False)

#: the item states a reviewer still has to place
_TO_PLACE = ("unlocated", "candidate", "located")


def _name(page: Page, user_id: int | None) -> str:
    try:
        return page.svc.accounts.get(user_id).name if user_id is not None else "–"
    except NotFound:
        return "–"


def _clocks(page: Page, notice: Notice) -> list[dict[str, Any]]:
    return [
        {"row": d, "clock": page.clock(d.due_at if d.status in ("open", "overdue") else None)}
        for d in page.svc.notices.deadlines(notice)
    ]


# -- notices that could not be located ------------------------------------------------------


def _render_notice(page: Page, notice: Notice, status: int = 200, **values: Any) -> Response:
    items = []
    for i in notice.items:
        c = page.svc.session.get(Content, i.content_id) if i.content_id else None
        items.append({"item": i, "content": c, "open": i.state in _TO_PLACE})
    return page.render(
        "review/notice.html",
        status=status,
        notice=notice,
        sender=_name(page, notice.sender_id),
        items=items,
        clocks=_clocks(page, notice),
        error=values.get("error"),
        reason=values.get("reason", ""),
        nav=nav(page, "unlocated"),
    )


@router.get("/review/notices/{notice_id}")
def notice_page(notice_id: int, page: PageDep) -> Response:
    page.require(Perm.REVIEW)
    return _render_notice(page, page.svc.notices.get(notice_id))


@router.post("/review/notice-items/{item_id}/decision")
def decide_item(item_id: int, page: PageDep, form: CheckedForm) -> Response:
    user = page.require(Perm.REVIEW)
    item = page.svc.session.get(NoticeItem, item_id)
    if item is None:
        raise NotFound(f"no notice item {item_id}")
    notice = item.notice
    action = field_text(form, "action", limit=20)
    try:
        if action not in ("take_down", "dismiss"):
            raise InvalidInput("choose a decision")
        with attempt(page):
            page.svc.notices.review_item(item.id, action, user, page.ip)
    except SafeharborError as exc:
        return _render_notice(page, notice, 422, error=page._(exc.message))
    if action == "take_down":
        page.flash(page._("The item is taken down."), "ok")
    else:
        page.flash(page._("The item is dismissed."), "ok")
    if notice.status == "review":
        return page.redirect(f"/review/notices/{notice.id}")
    return page.redirect("/review/unlocated")


@router.post("/review/notice-items/{item_id}/locate")
def locate_item(item_id: int, page: PageDep, form: CheckedForm) -> Response:
    user = page.require(Perm.REVIEW)
    item = page.svc.session.get(NoticeItem, item_id)
    if item is None:
        raise NotFound(f"no notice item {item_id}")
    notice = item.notice
    try:
        content_id = field_text(form, "content_id", required=True, limit=64)
        with attempt(page):
            page.svc.notices.locate_item(item.id, content_id, user, page.ip)
    except SafeharborError as exc:
        return _render_notice(page, notice, 422, error=page._(exc.message))
    page.flash(page._("The item is located: decide whether to take it down."), "ok")
    return page.redirect(f"/review/notices/{notice.id}")


@router.post("/review/notices/{notice_id}/unfounded")
def notice_unfounded(notice_id: int, page: PageDep, form: CheckedForm) -> Response:
    user = page.require(Perm.REVIEW)
    notice = page.svc.notices.get(notice_id)
    reason = field_text(form, "reason", limit=2000)
    try:
        if not reason:
            raise InvalidInput("reason is required")
        with attempt(page):
            flagged = page.svc.notices.mark_unfounded(notice.id, reason, user, page.ip)
    except SafeharborError as exc:
        return _render_notice(page, notice, 422, error=page._(exc.message), reason=reason)
    page.flash(page._("The notice is recorded as unfounded against its sender."), "ok")
    if flagged:
        page.flash(page._("The sender is now flagged for often sending unfounded notices."))
    return page.redirect("/review/unlocated")


# -- complaints against a takedown (EU human review) ----------------------------------------


def _open_counter(page: Page, notice: Notice) -> CounterNotice | None:
    for c, _d in page.svc.notices.counters_for_review():
        if c.notice_id == notice.id:
            return c
    return None


def _render_counter(page: Page, notice: Notice, status: int = 200, **values: Any) -> Response:
    counter = _open_counter(page, notice)
    items = []
    for i in notice.items:
        c = page.svc.session.get(Content, i.content_id) if i.content_id else None
        items.append({"item": i, "content": c})
    return page.render(
        "review/counter.html",
        status=status,
        notice=notice,
        counter=counter,
        uploader=_name(page, counter.user_id) if counter else "–",
        sender=_name(page, notice.sender_id),
        items=items,
        clocks=_clocks(page, notice),
        error=values.get("error"),
        note=values.get("note", ""),
        nav=nav(page, "counters"),
    )


@router.get("/review/counters/{notice_id}")
def counter_page(notice_id: int, page: PageDep) -> Response:
    page.require(Perm.REVIEW)
    return _render_counter(page, page.svc.notices.get(notice_id))


@router.post("/review/counters/{notice_id}/decision")
def decide_counter(notice_id: int, page: PageDep, form: CheckedForm) -> Response:
    user = page.require(Perm.REVIEW)
    notice = page.svc.notices.get(notice_id)
    choice = field_text(form, "decision", limit=20)
    note = field_text(form, "note", limit=2000)
    try:
        if choice not in ("uphold", "reject"):
            raise InvalidInput("choose a decision")
        if not note:
            raise InvalidInput("note is required")
        with attempt(page):
            page.svc.notices.decide_complaint(notice.id, choice == "uphold", user, note, page.ip)
    except SafeharborError as exc:
        return _render_counter(page, notice, 422, error=page._(exc.message), note=note)
    if choice == "uphold":
        page.flash(page._("The complaint is upheld: the content is restored."), "ok")
    else:
        page.flash(page._("The complaint is not upheld: the measure stays."), "ok")
    return page.redirect("/review/counters")


# -- disclosure requests ----------------------------------------------------------------------


def _render_disclosure(page: Page, request_id: int, status: int = 200, **values: Any) -> Response:
    user = page.require(Perm.DECIDE_DISCLOSURE)
    req = page.svc.disclosure.visible(request_id, user)
    subjects = [_name(page, uid) for uid in req.subject_ids]
    return page.render(
        "review/disclosure.html",
        status=status,
        req=req,
        requester=_name(page, req.requester_id),
        subjects=subjects,
        grant_days=page.svc.notices.profile().disclosure.grant_days,
        error=values.get("error"),
        values=values.get("values", {}),
        nav=nav(page, "disclosures"),
    )


@router.get("/review/disclosures/{request_id}")
def disclosure_page(request_id: int, page: PageDep) -> Response:
    return _render_disclosure(page, request_id)


@router.post("/review/disclosures/{request_id}/decision")
def decide_disclosure(request_id: int, page: PageDep, form: CheckedForm) -> Response:
    user = page.require(Perm.DECIDE_DISCLOSURE)
    req = page.svc.disclosure.visible(request_id, user)
    values = {
        "decision": field_text(form, "decision", limit=20),
        "reason": field_text(form, "reason", limit=2000),
        "days": field_text(form, "days", limit=4),
    }
    try:
        if values["decision"] not in ("grant", "refuse"):
            raise InvalidInput("choose a decision")
        if values["days"] and not values["days"].isdigit():
            raise InvalidInput("days must be a whole number")
        days = int(values["days"]) if values["days"] else None
        with attempt(page):
            page.svc.disclosure.decide(
                req.id,
                user,
                grant=values["decision"] == "grant",
                reason=values["reason"],
                days=days,
                ip=page.ip,
            )
    except SafeharborError as exc:
        return _render_disclosure(page, request_id, 422, error=page._(exc.message), values=values)
    if values["decision"] == "grant":
        page.flash(page._("Disclosure request %(id)s is granted.", id=req.id), "ok")
    else:
        page.flash(page._("Disclosure request %(id)s is refused.", id=req.id), "ok")
    return page.redirect("/review/disclosures")


# -- strike appeals ---------------------------------------------------------------------------


def _render_appeal(page: Page, appeal_id: int, status: int = 200, **values: Any) -> Response:
    page.require(Perm.REVIEW)
    appeal = page.svc.enforcement.get_appeal(appeal_id)
    strike = page.svc.enforcement.get(appeal.strike_id)
    content = page.svc.session.get(Content, strike.content_id) if strike.content_id else None
    return page.render(
        "review/appeal.html",
        status=status,
        appeal=appeal,
        strike=strike,
        content=content,
        user_name=_name(page, appeal.user_id),
        active=len(page.svc.enforcement.active_strikes(page.svc.accounts.get(appeal.user_id))),
        error=values.get("error"),
        reason=values.get("reason", ""),
        nav=nav(page, "appeals"),
    )


@router.get("/review/appeals/{appeal_id}")
def appeal_page(appeal_id: int, page: PageDep) -> Response:
    return _render_appeal(page, appeal_id)


@router.post("/review/appeals/{appeal_id}/decision")
def decide_appeal(appeal_id: int, page: PageDep, form: CheckedForm) -> Response:
    user = page.require(Perm.REVIEW)
    choice = field_text(form, "decision", limit=20)
    reason = field_text(form, "reason", limit=2000)
    try:
        if choice not in ("uphold", "refuse"):
            raise InvalidInput("choose a decision")
        with attempt(page):
            page.svc.enforcement.decide_appeal(appeal_id, user, choice == "uphold", reason, page.ip)
    except SafeharborError as exc:
        return _render_appeal(page, appeal_id, 422, error=page._(exc.message), reason=reason)
    if choice == "uphold":
        page.flash(page._("The appeal is upheld: the strike is lifted."), "ok")
    else:
        page.flash(page._("The appeal is refused: the strike stays."), "ok")
    return page.redirect("/review/appeals")
