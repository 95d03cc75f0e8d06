"""API routes of the blacklists domain (included in `safeharbor/app.py`): the list (admins)
and the link service (anyone, no account needed)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, File, Form, UploadFile
from pydantic import BaseModel

from safeharbor.accounts.permissions import Perm, require
from safeharbor.api import Caller, ClientIP, MaybeCaller, Svc
from safeharbor.blacklists.files import MAX_FILE_BYTES
from safeharbor.blacklists.service import entry_view

router = APIRouter(prefix="/api", tags=["blacklists"])


class EntryBody(BaseModel):
    pattern: str
    reason: str
    kind: str | None = None  # domain | url | app; guessed from the pattern when absent
    source: str = "platform"


@router.post("/blacklist", status_code=201)
def add_entry(body: EntryBody, svc: Svc, caller: Caller, ip: ClientIP) -> dict[str, Any]:
    e = svc.blacklists.add(
        caller, body.pattern, reason=body.reason, kind=body.kind, source=body.source, ip=ip
    )
    return entry_view(e)


@router.get("/blacklist")
def list_entries(
    svc: Svc, caller: Caller, source: str | None = None, include_removed: bool = False
) -> list[dict[str, Any]]:
    require(caller, Perm.MANAGE_BLACKLIST)
    return [
        entry_view(e)
        for e in svc.blacklists.entries(include_removed=include_removed, source=source)
    ]


@router.delete("/blacklist/{entry_id}")
def remove_entry(entry_id: int, svc: Svc, caller: Caller, ip: ClientIP) -> dict[str, Any]:
    return entry_view(svc.blacklists.remove(caller, entry_id, ip=ip))


@router.post("/blacklist/import")
def import_list(
    svc: Svc,
    caller: Caller,
    ip: ClientIP,
    file: Annotated[UploadFile, File(description="CSV or JSON list (docs: blacklists.files)")],
    source: Annotated[str, Form(description="Who issued the list, e.g. ncac-2026-07")],
) -> dict[str, Any]:
    """A file with any bad line is refused whole (422, every bad line named)."""
    data = file.file.read(MAX_FILE_BYTES + 1)
    return svc.blacklists.import_bytes(data, file.filename or "list", source, caller, ip=ip).view()


@router.get("/links/check")
def check_link(url: str, svc: Svc, caller: MaybeCaller, ip: ClientIP) -> dict[str, Any]:
    """The link service: whether a link may be followed. Open to anyone; the answer is
    ``allow`` or ``block`` with the listing's reason."""
    res = svc.blacklists.link_service(url, actor=caller, ip=ip)
    view = res.view()
    view["action"] = "block" if res.blocked else "allow"
    view["reason"] = res.entry.reason if res.entry is not None else None
    return view
