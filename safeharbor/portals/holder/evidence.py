"""Evidence packages for a holder: what they are entitled to, and the ZIP itself (written
by ``EvidenceService.export`` with the holder as receiver, then streamed and deleted)."""

from __future__ import annotations

import secrets

from fastapi.responses import FileResponse, Response
from starlette.background import BackgroundTask

from safeharbor.accounts.models import User
from safeharbor.evidence.package import Entitlement
from safeharbor.web.page import Page


def entitlement(
    page: Page, user: User, *, notice_id: int | None = None, work_id: int | None = None
) -> Entitlement:
    """What a package of this case would hold for ``user`` (shown before downloading)."""
    case = page.svc.evidence.case(notice_id=notice_id, work_id=work_id)
    return page.svc.evidence.entitlement(case, user)


def download(
    page: Page, user: User, *, notice_id: int | None = None, work_id: int | None = None
) -> Response:
    """The package as a download. The export is a ledger record naming the receiver, so it
    is a POST (CSRF-checked), answered with the file rather than a redirect."""
    tmp = page.svc.platform.settings.home / "tmp"
    tmp.mkdir(parents=True, exist_ok=True)
    out = tmp / f"evidence-{secrets.token_hex(8)}.zip"
    page.svc.evidence.export(
        out, notice_id=notice_id, work_id=work_id, receiver=user, actor=user, ip=page.ip
    )
    name = f"evidence-notice-{notice_id}.zip" if notice_id else f"evidence-work-{work_id}.zip"
    response = FileResponse(
        out,
        media_type="application/zip",
        filename=name,
        background=BackgroundTask(out.unlink, missing_ok=True),
    )
    return page.finish(response)
