"""A held or uncertain upload: what it matched, the uploader's answers, the decision
(``POST /api/contents/{id}/review``: release or confirm the block), the side-by-side
comparison with a matched work (``safeharbor.compare``, as ``GET /api/compare``), and the
stored bytes the pages' players and pictures load."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import APIRouter
from fastapi.responses import FileResponse, Response

from safeharbor.accounts.permissions import Perm
from safeharbor.compare.report_html import passage_column
from safeharbor.compare.service import Comparison, compare_files
from safeharbor.errors import InvalidInput, NotFound, SafeharborError
from safeharbor.portals.review.common import attempt
from safeharbor.portals.review.queues import nav
from safeharbor.registry.models import OwnershipProof
from safeharbor.screening.models import Content, ContentState, Decision
from safeharbor.signals.base import SignalError
from safeharbor.web.page import CheckedForm, Page, PageDep, field_text

router = APIRouter(include_in_schema=False)

#: types a browser may show inline from this site: pictures, sound and film. Anything
#: else (HTML, SVG, PDF, text) is sent as a download, so an upload never runs as a page.
_INLINE = ("image/jpeg", "image/png", "image/gif", "image/webp", "image/bmp")
_MEDIA_CSP = "default-src 'none'; sandbox"
#: the image signal's variants the overlay can turn back without changing the shape
_UNDONE = ("flip_h", "flip_v", "rot180")


def _queue_of(content: Content) -> str:
    if content.state == ContentState.HELD and content.decision == Decision.REVIEW.value:
        return "uncertain"
    return "held"


def _matches(page: Page, content: Content) -> list[dict[str, Any]]:
    """What the latest screen found, each with the work when it still exists."""
    screening = page.svc.screening.last_screening(content)
    out = []
    for m in (screening.matches if screening else []) or []:
        wid = m.get("work_id")
        if not isinstance(wid, int) or wid <= 0:
            continue  # a stay-down entry or a partner's item: nothing registered to open
        out.append({**m, "signals": sorted((m.get("signals") or {}).keys()) or [m["signal"]]})
    return out


def _render_upload(page: Page, content: Content, status: int = 200, **values: Any) -> Response:
    uploader = page.svc.accounts.get(content.uploader_id)
    return page.render(
        "review/upload.html",
        status=status,
        content=content,
        uploader=uploader,
        responses=page.svc.screening.responses(content),
        matches=_matches(page, content),
        decidable=content.state in (ContentState.HELD, ContentState.BLOCKED),
        error=values.get("error"),
        note=values.get("note", ""),
        nav=nav(page, _queue_of(content)),
    )


@router.get("/review/uploads/{content_id}")
def upload_page(content_id: str, page: PageDep) -> Response:
    page.require(Perm.REVIEW)
    return _render_upload(page, page.svc.screening.get(content_id))


@router.post("/review/uploads/{content_id}/decision")
def decide_upload(content_id: str, page: PageDep, form: CheckedForm) -> Response:
    user = page.require(Perm.REVIEW)
    content = page.svc.screening.get(content_id)
    back = "/review/" + _queue_of(content)
    action = field_text(form, "action", limit=20)
    note = field_text(form, "note", limit=2000)
    try:
        if action not in ("allow", "block"):
            raise InvalidInput("choose a decision")
        with attempt(page):
            page.svc.screening.review(content.public_id, action, user, note or None, page.ip)
    except SafeharborError as exc:
        return _render_upload(page, content, 422, error=page._(exc.message), note=note)
    if action == "allow":
        page.flash(page._("The upload is released and published."), "ok")
    else:
        page.flash(page._("The block is confirmed."), "ok")
    return page.redirect(back)


@router.get("/review/uploads/{content_id}/compare")
def compare_page(content_id: str, page: PageDep, work: int) -> Response:
    """The upload beside a registered work, matched as the screen matches them."""
    page.require(Perm.REVIEW)
    content = page.svc.screening.get(content_id)
    ref_work = page.svc.registry.get(work)
    blobs = page.svc.platform.blobs
    ref, up = blobs.path_for(ref_work.sha256), blobs.path_for(content.sha256)
    if not ref.is_file() or not up.is_file():
        raise NotFound("the stored file of the work or of the upload is gone")
    try:
        result = compare_files(
            ref,
            up,
            reference_name=ref_work.filename or ref_work.title,
            upload_name=content.filename or content.public_id,
            signals=page.svc.platform.index.signals,
        )
    except SignalError as exc:
        raise InvalidInput(f"could not compare: {exc}") from exc
    return page.render(
        "review/compare.html",
        content=content,
        work=ref_work,
        result=result,
        image=_image_boxes(result),
        columns=_text_columns(page, result),
        nav=nav(page, _queue_of(content)),
    )


def _image_boxes(result: Comparison) -> dict[str, Any] | None:
    """The matched region of each picture, as fractions of its width and height (in
    percent, for an SVG drawn over the picture)."""
    match = next((m for m in result.matches if m.signal == "image"), None)
    if match is None:
        return None

    def box(value: Any) -> dict[str, float] | None:
        if not isinstance(value, list | tuple) or len(value) != 4:
            return None
        x0, y0, x1, y1 = (float(v) * 100 for v in value)
        return {"x": x0, "y": y0, "w": max(x1 - x0, 0.0), "h": max(y1 - y0, 0.0)}

    variant = str(match.evidence.get("query_variant") or "identity").removeprefix("untrimmed-")
    return {
        "score": match.score,
        "reference": box(match.evidence.get("reference_box")),
        "upload": box(match.evidence.get("query_box")),
        # a mirrored or upside-down copy is overlaid turned back, so the two line up
        "undo": variant if variant in _UNDONE else None,
    }


def _text_columns(page: Page, result: Comparison) -> list[Any] | None:
    """The texts side by side with each passage marked: the report ``safeharbor compare``
    writes, column by column (escaped there; the headings are ours, escaped here)."""
    from markupsafe import Markup, escape

    if not (result.reference.texts or result.upload.texts):
        return None
    ref, up = str(escape(page._("Reference"))), str(escape(page._("Upload")))
    return [
        Markup(passage_column(result.reference, result.passages, "r", ref)),
        Markup(passage_column(result.upload, result.passages, "u", up)),
    ]


# -- the stored bytes ---------------------------------------------------------------------


def _send(path: Path, mime: str, name: str | None, inline: bool) -> Response:
    if not path.is_file():
        raise NotFound("the stored file is gone")
    show = inline and (mime in _INLINE or mime.startswith(("audio/", "video/")))
    response = FileResponse(
        path,
        media_type=mime if show else "application/octet-stream",
        filename=name or "file",
        content_disposition_type="inline" if show else "attachment",
    )
    # the bytes are someone's upload: never a page of this site, never cached elsewhere
    response.headers["Content-Security-Policy"] = _MEDIA_CSP
    response.headers["Cache-Control"] = "private, no-store"
    return response


@router.get("/review/media/uploads/{content_id}")
def upload_media(content_id: str, page: PageDep) -> Response:
    page.require(Perm.VIEW_ALL_CONTENT)
    c = page.svc.screening.get(content_id)
    return _send(page.svc.platform.blobs.path_for(c.sha256), c.mime, c.filename, inline=True)


@router.get("/review/media/works/{work_id}")
def work_media(work_id: int, page: PageDep) -> Response:
    page.require(Perm.VIEW_ALL_CONTENT)
    w = page.svc.registry.get(work_id)
    return _send(page.svc.platform.blobs.path_for(w.sha256), w.mime, w.filename, inline=True)


@router.get("/review/works/{work_id}/proofs/{proof_id}")
def proof_document(work_id: int, proof_id: int, page: PageDep) -> Response:
    """A proof of ownership the holder sent, as a download (reviewers)."""
    page.require(Perm.REVIEW)
    proof = page.svc.session.get(OwnershipProof, proof_id)
    if proof is None or proof.work_id != work_id or proof.sha256 is None:
        raise NotFound(f"no document for proof {proof_id}")
    path = page.svc.platform.blobs.path_for(proof.sha256)
    return _send(path, "application/octet-stream", proof.filename, inline=False)


@router.get("/review/uploads/{content_id}/responses/{response_id}/document")
def response_document(content_id: str, response_id: int, page: PageDep) -> Response:
    """The licence or proof an uploader sent for a hold, as a download (reviewers)."""
    user = page.require(Perm.REVIEW)
    path = page.svc.screening.response_document(content_id, response_id, user)
    return _send(path, "application/octet-stream", f"response-{response_id}", inline=False)
