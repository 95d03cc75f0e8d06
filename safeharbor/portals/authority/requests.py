"""Investigation requests: disclosure requests of kind ``authority`` about named users or
uploads, with the legal ground and the investigation's reference; their status; the
records a live grant lets the authority read (each read a ledger record); and the
evidence packages of the granted subjects."""

from __future__ import annotations

import re
import tempfile
from datetime import datetime
from pathlib import Path
from typing import Any

from fastapi import APIRouter
from fastapi.responses import Response

from safeharbor.accounts.models import User
from safeharbor.accounts.permissions import Perm
from safeharbor.disclosure.models import DisclosureRequest
from safeharbor.disclosure.service import SCOPES
from safeharbor.errors import Forbidden, SafeharborError
from safeharbor.portals.authority.access import authority
from safeharbor.portals.authority.words import SCOPE_LABELS
from safeharbor.web.page import CheckedForm, Page, PageDep, field_text

router = APIRouter(include_in_schema=False)

_DATES = ("registered_at", "at", "uploaded_at", "disclosed_at")


def _names(text: str) -> list[str]:
    """Names or ids typed one per line or separated by commas."""
    return [n for n in (p.strip() for p in re.split(r"[,\n]", text)) if n]


def _state(page: Page, req: DisclosureRequest) -> str:
    if req.status == "granted" and not page.svc.disclosure.live(req):
        return "expired"
    return req.status


def _requests_page(
    page: Page,
    user: User,
    values: dict[str, Any] | None = None,
    error: str | None = None,
    status: int = 200,
) -> Response:
    requests = page.svc.disclosure.list_for(user)
    return page.render(
        "authority/requests.html",
        status=status,
        requests=list(reversed(requests)),
        states={r.id: _state(page, r) for r in requests},
        scopes=SCOPE_LABELS,
        basis=page.svc.notices.profile().disclosure.authority_basis,
        values=values or {"scope": list(SCOPES)},
        error=error,
    )


@router.get("/authority/requests")
def requests_page(page: PageDep) -> Response:
    user = authority(page, Perm.REQUEST_DISCLOSURE)
    return _requests_page(page, user)


@router.post("/authority/requests")
def request_file(page: PageDep, form: CheckedForm) -> Response:
    user = authority(page, Perm.REQUEST_DISCLOSURE)
    values: dict[str, Any] = {
        k: field_text(form, k, limit=5000)
        for k in ("users", "contents", "basis", "reference", "purpose")
    }
    values["scope"] = [s for s in form.getlist("scope") if isinstance(s, str)]
    try:
        with page.svc.session.begin_nested():
            req = page.svc.disclosure.request(
                user,
                basis=values["basis"],
                users=_names(values["users"]),
                contents=_names(values["contents"]),
                reference=values["reference"] or None,
                purpose=values["purpose"] or None,
                scope=values["scope"] or None,
                ip=page.ip,
            )
    except SafeharborError as exc:
        if isinstance(exc, Forbidden):
            raise
        return _requests_page(page, user, values, page._(exc.message), status=422)
    page.flash(page._("Request %(n)s is filed: a reviewer will decide on it.", n=req.id), "ok")
    return page.redirect(f"/authority/requests/{req.id}")


@router.get("/authority/requests/{request_id}")
def request_detail(request_id: int, page: PageDep) -> Response:
    user = authority(page, Perm.REQUEST_DISCLOSURE)
    req = page.svc.disclosure.visible(request_id, user)
    live = page.svc.disclosure.live(req)
    return page.render(
        "authority/request.html",
        req=req,
        state=_state(page, req),
        live=live,
        scopes=SCOPE_LABELS,
    )


def _dates(value: Any) -> Any:
    """The records' ISO times as datetimes, so the page shows them in the viewer's zone."""
    if isinstance(value, dict):
        return {
            k: (datetime.fromisoformat(v) if k in _DATES and isinstance(v, str) else _dates(v))
            for k, v in value.items()
        }
    if isinstance(value, list):
        return [_dates(v) for v in value]
    return value


@router.get("/authority/requests/{request_id}/records")
def request_records(request_id: int, page: PageDep) -> Response:
    user = authority(page, Perm.REQUEST_DISCLOSURE)
    page.svc.disclosure.visible(request_id, user)
    # the service checks the grant is live and the reader its requester, and records the read
    data = _dates(page.svc.disclosure.records(request_id, user, page.ip))
    return page.render("authority/records.html", data=data, request_id=request_id)


@router.post("/authority/requests/{request_id}/evidence")
def request_evidence(request_id: int, page: PageDep, form: CheckedForm) -> Response:
    """The evidence package of one person a live grant covers: what the authority is
    entitled to is decided by the evidence service (content and the uploader's records
    only under the grant), and the export is a ledger record naming them."""
    user = authority(page, Perm.REQUEST_DISCLOSURE)
    req = page.svc.disclosure.visible(request_id, user)
    if not page.svc.disclosure.live(req):
        raise Forbidden(f"disclosure request {request_id} is {_state(page, req)}")
    subject_id = field_text(form, "subject", required=True, limit=20)
    if not subject_id.isdigit() or int(subject_id) not in req.subject_ids:
        raise Forbidden("that person is not covered by this request")
    subject = page.svc.accounts.get(int(subject_id))
    home = page.svc.platform.settings.home
    home.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=home) as tmp:
        out = Path(tmp) / "evidence.zip"
        page.svc.evidence.export(out, user=subject.name, receiver=user, actor=user, ip=page.ip)
        data = out.read_bytes()
    name = f"evidence-request{req.id}-user{subject.id}.zip"
    return page.finish(
        Response(
            data,
            media_type="application/zip",
            headers={"Content-Disposition": f'attachment; filename="{name}"'},
        )
    )


@router.get("/authority/evidence")
def evidence_page(page: PageDep) -> Response:
    user = authority(page, Perm.REQUEST_DISCLOSURE)
    live = [r for r in page.svc.disclosure.list_for(user) if page.svc.disclosure.live(r)]
    return page.render("authority/evidence.html", grants=live)
