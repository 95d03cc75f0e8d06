"""Disclosure: a holder asks for the identity of the uploader named in one of their notices,
follows the request, and reads what a live grant discloses (each read a ledger record, as
``GET /api/disclosures/{id}/records``)."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import Response

from safeharbor.disclosure.service import SCOPES
from safeharbor.errors import InvalidInput, SafeharborError
from safeharbor.portals.holder.cases import _case_page, _typed, my_notice
from safeharbor.portals.holder.common import attempt, holder, iso, render
from safeharbor.web.page import CheckedForm, PageDep, field_text

router = APIRouter(include_in_schema=False)


@router.post("/holder/cases/{notice_id}/disclosure")
def ask(notice_id: int, page: PageDep, form: CheckedForm) -> Response:
    user = holder(page)
    notice = my_notice(page, user, notice_id)
    scope = [s for s in form.getlist("scope") if isinstance(s, str)]
    try:
        with attempt(page):
            if not scope:
                # the service reads no scope as every scope: an empty choice is a mistake
                raise InvalidInput("choose at least one kind of record")
            req = page.svc.disclosure.request(
                user,
                basis=field_text(form, "basis", limit=5000),
                notice_id=notice_id,
                purpose=field_text(form, "purpose", limit=5000) or None,
                scope=scope,
                ip=page.ip,
            )
    except SafeharborError as exc:
        return _case_page(
            page, user, notice, errors={"disclosure": page._(exc.message)}, values=_typed(form)
        )
    page.flash(page._("Disclosure request sent: the copyright team will decide."), "ok")
    return page.redirect(f"/holder/disclosures/{req.id}")


@router.get("/holder/disclosures")
def requests(page: PageDep) -> Response:
    user = holder(page)
    rows = [r for r in page.svc.disclosure.list_for(user) if r.requester_id == user.id]
    rows.reverse()
    return render(page, "holder/disclosures.html", requests=rows)


@router.get("/holder/disclosures/{request_id}")
def request(request_id: int, page: PageDep) -> Response:
    user = holder(page)
    req = page.svc.disclosure.visible(request_id, user)
    return render(
        page,
        "holder/disclosure.html",
        req=req,
        live=page.svc.disclosure.live(req),
        mine=req.requester_id == user.id,
        scopes=SCOPES,
    )


@router.get("/holder/disclosures/{request_id}/records")
def records(request_id: int, page: PageDep) -> Response:
    """What the grant discloses; the service refuses anyone but the requester, and any
    grant that has expired or been revoked."""
    user = holder(page)
    page.svc.disclosure.visible(request_id, user)
    data = page.svc.disclosure.records(request_id, user, page.ip)
    subjects = []
    for s in data["subjects"]:
        s = dict(s)
        if s.get("registered_at"):
            s["registered_at"] = iso(s["registered_at"])
        for key in ("upload_ips", "uploads"):
            for row in s.get(key, []):
                for k in ("at", "uploaded_at"):
                    if row.get(k):
                        row[k] = iso(row[k])
        subjects.append(s)
    return render(
        page,
        "holder/disclosure_records.html",
        req=page.svc.disclosure.get(request_id),
        subjects=subjects,
        disclosed_at=iso(data["disclosed_at"]),
    )
