"""API routes of the enforcement domain (included in `safeharbor/app.py`): an uploader's
strikes and what lifts them, appeals and their decisions, manual strikes, evasions."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel, Field

from safeharbor.api import Caller, ClientIP, RestrictedCaller, Svc
from safeharbor.enforcement.models import StrikeAppeal

router = APIRouter(prefix="/api", tags=["enforcement"])


@router.get("/strikes/me")
def my_strikes(svc: Svc, caller: RestrictedCaller) -> dict[str, Any]:
    """Your strikes, your account's level, and what lifts each strike."""
    return svc.enforcement.strikes_view(caller, caller)


@router.get("/users/{name}/strikes")
def user_strikes(name: str, svc: Svc, caller: Caller) -> dict[str, Any]:
    """A user's strikes: for the user themself, reviewers and administrators."""
    return svc.enforcement.strikes_view(svc.accounts.get(name), caller)


class AppealBody(BaseModel):
    statement: str = Field(description="Why the strike is mistaken (1 to 5,000 characters).")


@router.post("/strikes/{strike_id}/appeal", status_code=201)
def appeal(
    strike_id: int, body: AppealBody, svc: Svc, caller: RestrictedCaller, ip: ClientIP
) -> dict[str, Any]:
    return appeal_view(svc.enforcement.appeal(strike_id, caller, body.statement, ip))


class DecisionBody(BaseModel):
    uphold: bool = Field(description="true: the strike is lifted; false: it stays.")
    reason: str


@router.post("/strike-appeals/{appeal_id}/decision")
def decide(
    appeal_id: int, body: DecisionBody, svc: Svc, caller: Caller, ip: ClientIP
) -> dict[str, Any]:
    row = svc.enforcement.decide_appeal(appeal_id, caller, body.uphold, body.reason, ip)
    return appeal_view(row)


class StrikeBody(BaseModel):
    user: str
    work_id: int | None = None
    reason: str


@router.post("/strikes", status_code=201)
def add_strike(body: StrikeBody, svc: Svc, caller: Caller, ip: ClientIP) -> dict[str, Any]:
    """An administrator's manual strike."""
    strike = svc.enforcement.add_manual(body.user, body.work_id, body.reason, caller, ip)
    return {"id": strike.id, "user": body.user, "expires": strike.expires_at.isoformat()}


class RemoveBody(BaseModel):
    reason: str


@router.post("/strikes/{strike_id}/remove")
def remove_strike(
    strike_id: int, body: RemoveBody, svc: Svc, caller: Caller, ip: ClientIP
) -> dict[str, Any]:
    strike = svc.enforcement.remove_strike(strike_id, caller, body.reason, ip=ip)
    return {"id": strike.id, "removed_why": strike.removed_why}


@router.get("/strikes/evasions")
def evasions(svc: Svc, caller: Caller) -> list[dict[str, Any]]:
    """Accounts caught as evading a termination, with the account each matches."""
    return svc.enforcement.evasions(caller)


def appeal_view(row: StrikeAppeal) -> dict[str, Any]:
    return {
        "id": row.id,
        "strike_id": row.strike_id,
        "status": row.status,
        "statement": row.statement,
        "reason": row.reason,
        "created_at": row.created_at.isoformat(),
        "decided_at": row.decided_at.isoformat() if row.decided_at else None,
    }
