"""Comparison API: a registered work beside a stored upload (what a reviewer opens from
a queue), or any two files; JSON, or the side-by-side HTML report."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, Literal

from fastapi import APIRouter, File, Query, UploadFile
from fastapi.responses import HTMLResponse, JSONResponse

from safeharbor.accounts.permissions import Perm, require
from safeharbor.api import Caller, Svc, saved_upload
from safeharbor.compare.report_html import render
from safeharbor.compare.service import compare_files
from safeharbor.errors import InvalidInput, NotFound
from safeharbor.naming import display_name
from safeharbor.platform import Services
from safeharbor.signals.base import SignalError

router = APIRouter(tags=["review"])

Format = Annotated[Literal["json", "html"], Query(description="json, or the HTML report")]


def _answer(
    svc: Services, ref: Path, up: Path, names: tuple[str, str], fmt: str, title: str
) -> Any:
    """Compare with the signals the screen runs; unreadable content is a 400."""
    try:
        result = compare_files(
            ref,
            up,
            reference_name=names[0],
            upload_name=names[1],
            signals=svc.platform.index.signals,
        )
    except SignalError as exc:
        raise InvalidInput(f"could not compare: {exc}") from exc
    if fmt == "html":
        return HTMLResponse(render(result, title=title))
    return JSONResponse(result.view())


@router.get("/api/compare")
def compare_stored(
    svc: Svc,
    caller: Caller,
    work_id: Annotated[int, Query()],
    content_id: Annotated[str, Query()],
    format: Format = "json",
) -> Any:
    """A registered work beside a stored upload, matched as the screen matches them."""
    require(caller, Perm.REVIEW)
    work = svc.registry.get(work_id)
    content = svc.screening.get(content_id)
    blobs = svc.platform.blobs
    ref, up = blobs.path_for(work.sha256), blobs.path_for(content.sha256)
    if not ref.is_file() or not up.is_file():
        raise NotFound("the stored file of the work or of the upload is gone")
    names = (work.filename or work.title, content.filename or content.public_id)
    title = f"{work.title} / {content.title or content.public_id}"
    return _answer(svc, ref, up, names, format, title)


@router.post("/api/compare")
def compare_uploaded(
    svc: Svc,
    caller: Caller,
    reference: Annotated[UploadFile, File()],
    upload: Annotated[UploadFile, File()],
    format: Format = "json",
) -> Any:
    """Any two files: ``reference`` as if registered, ``upload`` as if uploaded. Nothing
    is stored."""
    require(caller, Perm.REVIEW)
    rname = display_name(reference.filename or "reference")
    uname = display_name(upload.filename or "upload")
    with saved_upload(reference, svc.platform) as ref, saved_upload(upload, svc.platform) as up:
        return _answer(svc, ref, up, (rname, uname), format, f"{rname} / {uname}")
