"""Screening API: uploads, scans, content state, promotion, holds and their review; and
the public address of each upload (``/c/{id}``)."""

from __future__ import annotations

import html
from typing import Annotated, Any

from fastapi import APIRouter, File, Form, UploadFile
from fastapi.responses import FileResponse, HTMLResponse
from pydantic import BaseModel

from safeharbor.accounts.permissions import Perm, has, require
from safeharbor.api import Caller, ClientIP, MaybeCaller, Svc, saved_upload
from safeharbor.audit.service import history, record_view
from safeharbor.errors import Forbidden, NotFound
from safeharbor.naming import display_name
from safeharbor.screening.models import ContentState
from safeharbor.screening.service import UPLOAD_WARNING, content_view, response_view

router = APIRouter(tags=["screening"])


@router.post("/api/uploads", status_code=201)
def upload(
    svc: Svc,
    caller: Caller,
    ip: ClientIP,
    file: Annotated[UploadFile, File()],
    title: Annotated[str | None, Form()] = None,
    accept_terms: Annotated[
        bool, Form(description="Accept the upload warning (needed once per terms version).")
    ] = False,
) -> dict[str, Any]:
    """Upload content: it is stored, screened, and published, held or blocked."""
    if accept_terms:
        svc.accounts.accept_terms(caller, svc.platform.settings.terms_version, ip)
    with saved_upload(file, svc.platform) as path:
        content, res = svc.screening.upload(
            caller,
            path,
            filename=display_name(file.filename or "upload"),
            title=title,
            ip=ip,
            client="api",
        )
    view = content_view(content, base_url=svc.platform.settings.base_url)
    view["matches"] = res.view()["matches"]
    view["notes"] = res.notes
    view["warning"] = UPLOAD_WARNING
    return view


@router.post("/api/scan")
def scan(svc: Svc, caller: Caller, file: Annotated[UploadFile, File()]) -> dict[str, Any]:
    """Screen a file as an upload would be screened, without storing it."""
    require(caller, Perm.SCAN)
    with saved_upload(file, svc.platform) as path:
        res = svc.screening.screen_file(path, uploader=None, title=file.filename)
    return res.view()


@router.get("/api/contents/{content_id}")
def get_content(content_id: str, svc: Svc, caller: Caller) -> dict[str, Any]:
    """The upload's state, its history and the uploader's answers to a hold."""
    c = svc.screening.get(content_id)
    staff = has(caller, Perm.VIEW_ALL_CONTENT)
    if c.uploader_id != caller.id and not staff:
        raise Forbidden("only the uploader and reviewers may see an upload's screening")
    view = content_view(c, base_url=svc.platform.settings.base_url)
    view["history"] = []
    for rec in history(svc.session, "content", c.public_id):
        doc = record_view(rec)
        if not staff and doc["actor"]["id"] != caller.id:
            # Which reviewer acted, and from where, is not the uploader's to see.
            doc["actor"] = {"id": None, "ip": None}
        view["history"].append(doc)
    view["responses"] = [response_view(r, c) for r in svc.screening.responses(c)]
    return view


@router.get("/api/contents/{content_id}/responses/{response_id}/document")
def response_document(content_id: str, response_id: int, svc: Svc, caller: Caller) -> FileResponse:
    """Download the licence or proof an uploader sent (reviewers)."""
    path = svc.screening.response_document(content_id, response_id, caller)
    return FileResponse(path, media_type="application/octet-stream")


class PromoteBody(BaseModel):
    kind: str  # feature | recommend | rank | chart | ads | paid


@router.post("/api/contents/{content_id}/promote")
def promote(
    content_id: str, body: PromoteBody, svc: Svc, caller: Caller, ip: ClientIP
) -> dict[str, Any]:
    """Re-screen at the stricter threshold before the platform promotes or earns from it."""
    c, res, promoted = svc.screening.promote(content_id, body.kind, caller, ip)
    return {**content_view(c), "promoted": promoted, "screen": res.view()}


@router.post("/api/contents/{content_id}/answer", status_code=201)
def answer_hold(
    content_id: str,
    svc: Svc,
    caller: Caller,
    ip: ClientIP,
    kind: Annotated[str, Form(description="licence or ownership")],
    statement: Annotated[str | None, Form()] = None,
    document: Annotated[UploadFile | None, File()] = None,
) -> dict[str, Any]:
    """The uploader answers a hold with a licence or proof of ownership."""
    if document is None:
        resp = svc.screening.answer_hold(
            content_id, caller, kind=kind, statement=statement, document=None, ip=ip
        )
    else:
        with saved_upload(document, svc.platform) as path:
            resp = svc.screening.answer_hold(
                content_id,
                caller,
                kind=kind,
                statement=statement,
                document=path,
                document_name=document.filename,
                ip=ip,
            )
    return {"id": resp.id, "status": resp.status, "kind": resp.kind}


class ContentReviewBody(BaseModel):
    action: str  # allow | block
    note: str | None = None


@router.post("/api/contents/{content_id}/review")
def review_content(
    content_id: str, body: ContentReviewBody, svc: Svc, caller: Caller, ip: ClientIP
) -> dict[str, Any]:
    c = svc.screening.review(content_id, body.action, caller, body.note, ip)
    return content_view(c, base_url=svc.platform.settings.base_url)


@router.get("/api/review/queue")
def review_queue(svc: Svc, caller: Caller) -> dict[str, Any]:
    """Everything waiting for a reviewer: ownership claims, conflicts, held uploads (with
    their risk score and reasons, riskiest first)."""
    require(caller, Perm.REVIEW)
    from safeharbor.registry.service import work_view

    return {
        "works": [
            work_view(w)
            for status in ("pending", "needs_info", "conflict")
            for w in svc.registry.list_works(caller, status)
        ],
        "conflicts": [c.id for c in svc.registry.conflicts()],
        "held": [
            {
                **content_view(c),
                "responses": [response_view(r, c) for r in svc.screening.responses(c)],
            }
            for c in svc.screening.review_queue()
        ],
    }


@router.get("/c/{public_id}", response_class=HTMLResponse, include_in_schema=False)
def public_page(public_id: str, svc: Svc, viewer: MaybeCaller) -> HTMLResponse:
    """The upload's address on the platform: shown while available; 451 once taken down."""
    try:
        c = svc.screening.get(public_id)
    except NotFound:
        return HTMLResponse("<h1>Not found</h1>", status_code=404)
    if not svc.screening.visible_to(c, viewer):
        status = 451 if c.state in (ContentState.BLOCKED, ContentState.REMOVED) else 404
        return HTMLResponse(
            "<h1>Unavailable</h1><p>This content is not available.</p>", status_code=status
        )
    return HTMLResponse(
        f"<h1>{html.escape(c.title or '')}</h1><p>{html.escape(c.mime)}, {c.size} bytes</p>"
    )
