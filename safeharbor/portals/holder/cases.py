"""Cases: the holder's notices, and one notice followed through its steps with its clocks
(``notice_view`` and the ledger records of the notice), completing an incomplete notice,
answering a counter-notice, writing to the uploader, and the case's evidence package."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from fastapi.responses import Response

from safeharbor.accounts.models import Role, User
from safeharbor.accounts.permissions import Perm, has
from safeharbor.disclosure.service import SCOPES
from safeharbor.errors import Forbidden, InvalidInput, SafeharborError
from safeharbor.notices.messages import inbox
from safeharbor.notices.models import Notice, NoticeStatus
from safeharbor.notices.service import notice_view
from safeharbor.portals.holder.common import (
    attempt,
    holder,
    iso,
    next_clocks,
    render,
    sent_messages,
)
from safeharbor.portals.holder.evidence import download, entitlement
from safeharbor.portals.holder.filing import notice_fields
from safeharbor.web.page import CheckedForm, Page, PageDep, field_text

router = APIRouter(include_in_schema=False)

#: restoration rules under which the holder stops restoration by showing an action
#: (CN Civil Code 1196: a complaint or lawsuit; US 512(g)(2)(C): an action for a court order)
HOLDER_ANSWERS = ("civil_code", "business_days")


def my_notice(page: Page, user: User, notice_id: int) -> Notice:
    """The notice, if its sender (or a reviewer) is looking. The service also lets the
    uploaders concerned see it; they follow it in their own portal, not in this one."""
    notice = page.svc.notices.visible(page.svc.notices.get(notice_id), user)
    if notice.sender_id != user.id and not has(user, Perm.REVIEW):
        raise Forbidden("only the sender, the uploaders concerned and reviewers may see a notice")
    return notice


@router.get("/holder/cases")
def cases(page: PageDep, status: str | None = None, batch: str | None = None) -> Response:
    user = holder(page)
    notices = [
        n
        for n in page.svc.notices.list_notices(user, status or None)
        if n.sender_id == user.id and (not batch or n.batch == batch)
    ]
    notices.reverse()  # the newest first
    clocks = next_clocks(page, [n.id for n in notices])
    return render(
        page,
        "holder/cases.html",
        notices=notices,
        clocks={i: page.clock(d.due_at) | {"clock": d.clock} for i, d in clocks.items()},
        current=status or "",
        batch=batch or "",
        statuses=[s.value for s in NoticeStatus],
    )


def _who(page: Page, user: User, actor_id: int | None) -> str:
    if actor_id is None:
        return "the platform"
    if actor_id == user.id:
        return "you"
    actor = page.svc.accounts.get(actor_id)
    return "the uploader" if actor.role in (Role.UPLOADER, Role.HOLDER) else "the copyright team"


def _case_page(
    page: Page,
    user: User,
    notice: Notice,
    *,
    errors: dict[str, str] | None = None,
    values: dict[str, str] | None = None,
) -> Response:
    view = notice_view(page.svc, notice)
    prof = page.svc.notices.profile(notice.profile)
    steps = [
        {"step": s["step"], "at": iso(s["at"]), "by": _who(page, user, s["by"])}
        for s in view["steps"]
    ]
    deadlines = []
    for d in view["deadlines"]:
        due = iso(d["due"])
        running = d["status"] in ("open", "overdue")
        deadlines.append({**d, "due": due, "clock_view": page.clock(due) if running else None})
    items = view["items"]
    work = page.svc.registry.get(notice.work_id) if notice.work_id else None
    received = [m for m in inbox(page.svc.session, user) if m.notice_id == notice.id]
    requests = [r for r in page.svc.disclosure.list_for(user) if r.notice_id == notice.id]
    has_uploader = any(i["content_id"] for i in items)
    missing_fields = [
        f for f in notice_fields(prof) if f["name"] in notice.missing and f["name"] != "location"
    ]
    return render(
        page,
        "holder/case.html",
        status=422 if errors else 200,
        notice=notice,
        view=view,
        prof=prof,
        work=work,
        steps=steps,
        deadlines=deadlines,
        items=items,
        received=received,
        sent=sent_messages(page, user, notice.id),
        requests=requests,
        scopes=list(SCOPES),
        has_uploader=has_uploader,
        can_answer=notice.status == NoticeStatus.COUNTERED
        and prof.clocks.restoration in HOLDER_ANSWERS,
        missing_fields=missing_fields,
        needs_location="location" in notice.missing,
        entitled=entitlement(page, user, notice_id=notice.id) if has_uploader else None,
        errors=errors or {},
        values=values or {},
    )


@router.get("/holder/cases/{notice_id}")
def case(notice_id: int, page: PageDep) -> Response:
    user = holder(page)
    return _case_page(page, user, my_notice(page, user, notice_id))


@router.post("/holder/cases/{notice_id}/complete")
def complete(notice_id: int, page: PageDep, form: CheckedForm) -> Response:
    """Complete an incomplete notice: the service files it anew with what is added."""
    user = holder(page)
    notice = my_notice(page, user, notice_id)
    prof = page.svc.notices.profile(notice.profile)
    names = [f["name"] for f in notice_fields(prof) if f["name"] in notice.missing]
    declared = set(prof.notice.declarations)
    try:
        with attempt(page):
            added = {n: field_text(form, n, limit=20_000) for n in names}
            added = {n: ("yes" if n in declared and v else v) for n, v in added.items() if v}
            urls = field_text(form, "urls", limit=200_000).split()
            if urls:
                added["location"] = "\n".join(urls)
            if not added:
                raise InvalidInput("fill in at least one of the missing fields")
            res = page.svc.notices.complete(notice_id, user, added, page.ip)
    except SafeharborError as exc:
        return _case_page(page, user, notice, errors={"complete": page._(exc.message)})
    if res.notice.missing:
        page.flash(page._("Still incomplete: the notice is kept until every field is given."))
    else:
        page.flash(page._("Notice completed and filed."), "ok")
    return page.redirect(f"/holder/cases/{res.notice.id}")


@router.post("/holder/cases/{notice_id}/holder-action")
def holder_action(notice_id: int, page: PageDep, form: CheckedForm) -> Response:
    """The holder shows the complaint or lawsuit they filed: the measure stays."""
    user = holder(page)
    notice = my_notice(page, user, notice_id)
    try:
        with attempt(page):
            text = field_text(form, "text", limit=5000)
            if not text:
                raise InvalidInput(
                    "write what you filed (the complaint or lawsuit, its number, "
                    "the court or authority)"
                )
            page.svc.notices.holder_action(notice_id, user, text, page.ip)
    except SafeharborError as exc:
        return _case_page(
            page, user, notice, errors={"answer": page._(exc.message)}, values=_typed(form)
        )
    page.flash(page._("Recorded: the measure stays and the content is not restored."), "ok")
    return page.redirect(f"/holder/cases/{notice_id}")


@router.post("/holder/cases/{notice_id}/messages")
def relay(notice_id: int, page: PageDep, form: CheckedForm) -> Response:
    """Write to the uploader through the platform: neither side learns the other's address."""
    user = holder(page)
    notice = my_notice(page, user, notice_id)
    try:
        with attempt(page):
            sent = page.svc.notices.relay(
                notice_id, user, field_text(form, "message", limit=5000), page.ip
            )
    except SafeharborError as exc:
        return _case_page(
            page, user, notice, errors={"message": page._(exc.message)}, values=_typed(form)
        )
    page.flash(page._("Message sent to %(n)s uploader(s) through the platform.", n=sent), "ok")
    return page.redirect(f"/holder/cases/{notice_id}#messages")


@router.post("/holder/cases/{notice_id}/evidence")
def evidence(notice_id: int, page: PageDep, form: CheckedForm) -> Response:
    user = holder(page)
    my_notice(page, user, notice_id)
    return download(page, user, notice_id=notice_id)


def _typed(form: Any) -> dict[str, str]:
    return {k: v for k, v in form.items() if isinstance(v, str) and k != "csrf_token"}
