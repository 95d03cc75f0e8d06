"""Disclosure API: ask (holders with a notice, authorities with a reference), review,
grant or refuse with a reason, and read what a live grant covers."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel, Field

from safeharbor.api import Caller, ClientIP, Svc
from safeharbor.disclosure.service import SCOPES, request_view

router = APIRouter(prefix="/api/disclosures", tags=["disclosure"])


class RequestBody(BaseModel):
    basis: str = Field("", description="The legal ground (a subpoena, an order, Reg 13...).")
    notice_id: int | None = Field(None, description="Rights holders: your notice.")
    users: list[str] = Field(default_factory=list, description="Authorities: user names.")
    contents: list[str] = Field(default_factory=list, description="Authorities: upload ids.")
    reference: str | None = Field(None, description="Authorities: the investigation's number.")
    purpose: str | None = None
    scope: list[str] = Field(default_factory=lambda: list(SCOPES), description=", ".join(SCOPES))


@router.post("", status_code=201)
def ask(body: RequestBody, svc: Svc, caller: Caller, ip: ClientIP) -> dict[str, Any]:
    req = svc.disclosure.request(
        caller,
        basis=body.basis,
        notice_id=body.notice_id,
        users=body.users,
        contents=body.contents,
        reference=body.reference,
        purpose=body.purpose,
        scope=body.scope,
        ip=ip,
    )
    return request_view(req)


@router.get("")
def list_requests(svc: Svc, caller: Caller, status: str | None = None) -> list[dict[str, Any]]:
    """Your requests; reviewers see every request."""
    return [request_view(r) for r in svc.disclosure.list_for(caller, status)]


@router.get("/{request_id}")
def show(request_id: int, svc: Svc, caller: Caller) -> dict[str, Any]:
    return request_view(svc.disclosure.visible(request_id, caller))


class DecisionBody(BaseModel):
    grant: bool
    reason: str
    days: int | None = Field(None, description="How long a grant lasts (profile default).")


@router.post("/{request_id}/decision")
def decide(
    request_id: int, body: DecisionBody, svc: Svc, caller: Caller, ip: ClientIP
) -> dict[str, Any]:
    req = svc.disclosure.decide(
        request_id, caller, grant=body.grant, reason=body.reason, days=body.days, ip=ip
    )
    return request_view(req)


class RevokeBody(BaseModel):
    reason: str


@router.post("/{request_id}/revoke")
def revoke(
    request_id: int, body: RevokeBody, svc: Svc, caller: Caller, ip: ClientIP
) -> dict[str, Any]:
    return request_view(svc.disclosure.revoke(request_id, caller, body.reason, ip))


@router.get("/{request_id}/records")
def records(request_id: int, svc: Svc, caller: Caller, ip: ClientIP) -> dict[str, Any]:
    """What a live grant discloses, to its requester; each read is a ledger record."""
    return svc.disclosure.records(request_id, caller, ip)
