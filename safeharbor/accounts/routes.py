"""Accounts API: create users (admins), read a user (personal data only to the entitled),
create API keys, accept the upload terms."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel, Field

from safeharbor.accounts.permissions import Perm, require
from safeharbor.accounts.service import user_view
from safeharbor.api import Caller, ClientIP, Svc
from safeharbor.errors import Forbidden
from safeharbor.screening.service import UPLOAD_WARNING

router = APIRouter(prefix="/api/users", tags=["accounts"])


class NewUser(BaseModel):
    name: str
    role: str
    email: str | None = None
    phone: str | None = None
    real_name: str | None = None
    password: str | None = None


@router.post("", status_code=201)
def create_user(body: NewUser, svc: Svc, caller: Caller, ip: ClientIP) -> dict[str, Any]:
    require(caller, Perm.MANAGE_USERS)
    user = svc.accounts.create_user(**body.model_dump(), ip=ip, actor=caller)
    return user_view(user, caller)


@router.get("/me")
def me(caller: Caller) -> dict[str, Any]:
    return user_view(caller, caller)


class ProfileBody(BaseModel):
    homepage: str | None = Field(None, max_length=500)
    bio: str | None = Field(None, max_length=2000)


@router.put("/me/profile")
def set_profile(body: ProfileBody, svc: Svc, caller: Caller, ip: ClientIP) -> dict[str, Any]:
    """Your public profile. Links in it to blacklisted sites or apps are disabled (shown
    as a marker) and listed in ``blocked_links``."""
    cleaned: dict[str, str] = {}
    blocked: dict[str, list[dict[str, Any]]] = {}
    for name, value in body.model_dump(exclude_none=True).items():
        text, hits = svc.blacklists.disable_links(value, is_html=False)
        cleaned[name] = text
        if hits:
            blocked[name] = [h.view() for h in hits]
    svc.accounts.set_profile(caller, cleaned, blocked=blocked, ip=ip)
    return {**user_view(caller, caller), "blocked_links": blocked}


@router.get("/{name}")
def get_user(name: str, svc: Svc, caller: Caller, ip: ClientIP) -> dict[str, Any]:
    return svc.accounts.view_for(svc.accounts.get(name), caller, ip)


@router.post("/{name}/keys", status_code=201)
def create_key(name: str, svc: Svc, caller: Caller, ip: ClientIP) -> dict[str, str]:
    """A new API key (shown once) for yourself, or for anyone (administrators)."""
    user = svc.accounts.get(name)
    if user.id != caller.id:
        require(caller, Perm.MANAGE_USERS)
    return {"api_key": svc.accounts.create_api_key(user, actor=caller, ip=ip)}


@router.delete("/{name}/keys/{prefix}")
def revoke_key(name: str, prefix: str, svc: Svc, caller: Caller, ip: ClientIP) -> dict[str, int]:
    """Revoke keys by their first characters (yours, or anyone's for administrators)."""
    user = svc.accounts.get(name)
    if user.id != caller.id:
        require(caller, Perm.MANAGE_USERS)
    return {"revoked": svc.accounts.revoke_api_key(user, prefix, caller, ip)}


class StatusBody(BaseModel):
    status: str  # active | suspended


@router.post("/{name}/status")
def set_status(
    name: str, body: StatusBody, svc: Svc, caller: Caller, ip: ClientIP
) -> dict[str, Any]:
    require(caller, Perm.MANAGE_USERS)
    return user_view(
        svc.accounts.set_status(svc.accounts.get(name), body.status, caller, ip), caller
    )


@router.get("/me/terms")
def terms(svc: Svc, caller: Caller) -> dict[str, Any]:
    version = svc.platform.settings.terms_version
    return {"version": version, "text": UPLOAD_WARNING, "accepted": caller.terms_version == version}


@router.post("/me/terms")
def accept_terms(svc: Svc, caller: Caller, ip: ClientIP) -> dict[str, Any]:
    if caller.role == "authority":
        raise Forbidden("authority accounts do not upload")
    svc.accounts.accept_terms(caller, svc.platform.settings.terms_version, ip)
    return {"version": caller.terms_version, "accepted": True}
