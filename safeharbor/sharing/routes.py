"""API routes of the sharing domain (included in `safeharbor/app.py`): partners, and
signed hash-list packages out and in (administrators)."""

from __future__ import annotations

import tempfile
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, File, Form, UploadFile
from fastapi.responses import Response
from pydantic import BaseModel

from safeharbor.accounts.permissions import Perm, require
from safeharbor.api import Caller, ClientIP, Svc, saved_upload
from safeharbor.sharing.service import partner_view

router = APIRouter(prefix="/api", tags=["sharing"])


class PartnerBody(BaseModel):
    name: str
    public_key: str  # PEM (what the partner's `safeharbor ledger key --public` prints)
    trust: str = "review"


class TrustBody(BaseModel):
    trust: str


@router.post("/share/partners", status_code=201)
def add_partner(body: PartnerBody, svc: Svc, caller: Caller, ip: ClientIP) -> dict[str, Any]:
    return partner_view(
        svc.sharing.add_partner(caller, body.name, body.public_key, body.trust, ip=ip)
    )


@router.get("/share/partners")
def list_partners(svc: Svc, caller: Caller) -> list[dict[str, Any]]:
    require(caller, Perm.MANAGE_SHARING)
    return [partner_view(p) for p in svc.sharing.partners()]


@router.post("/share/partners/{name}/trust")
def set_trust(name: str, body: TrustBody, svc: Svc, caller: Caller, ip: ClientIP) -> dict[str, Any]:
    return partner_view(svc.sharing.set_trust(caller, name, body.trust, ip=ip))


@router.get("/share/export")
def export(
    svc: Svc, caller: Caller, ip: ClientIP, what: str = "all", since: datetime | None = None
) -> Response:
    """The signed package (ZIP; docs/sharing-format.md)."""
    with tempfile.TemporaryDirectory(dir=svc.platform.settings.home) as tmp:
        out = Path(tmp) / "share.zip"
        svc.sharing.export(caller, out, what=what, since=since, ip=ip)
        data = out.read_bytes()
    return Response(
        data,
        media_type="application/zip",
        headers={"Content-Disposition": 'attachment; filename="safeharbor-share.zip"'},
    )


@router.post("/share/import")
def import_package(
    svc: Svc,
    caller: Caller,
    ip: ClientIP,
    file: Annotated[UploadFile, File(description="A partner's signed package (ZIP).")],
    partner: Annotated[str, Form(description="The partner it comes from.")],
) -> dict[str, Any]:
    """A package with a bad signature, a changed part or a bad row is refused (422)."""
    with saved_upload(file, svc.platform) as path:
        return svc.sharing.import_package(caller, path, partner, ip=ip)
