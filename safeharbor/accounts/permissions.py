"""Who may do what. Routes and CLI commands ask ``require`` before calling a service, and
the portals of a later issue ask the same table, so the rules live in one place."""

from __future__ import annotations

import enum

from safeharbor.accounts.models import Role, User
from safeharbor.errors import Forbidden


class Perm(enum.StrEnum):
    REGISTER_WORK = "register_work"
    REVIEW = "review"
    GRANT_LICENCE = "grant_licence"
    MANAGE_PRIORITY = "manage_priority"
    MANAGE_USERS = "manage_users"
    UPLOAD = "upload"
    SCAN = "scan"
    VIEW_ALL_CONTENT = "view_all_content"
    PROMOTE = "promote"
    VIEW_PERSONAL_DATA = "view_personal_data"
    VIEW_REPORTS = "view_reports"  # transparency and compliance reports
    REQUEST_DISCLOSURE = "request_disclosure"
    DECIDE_DISCLOSURE = "decide_disclosure"
    MANAGE_BLACKLIST = "manage_blacklist"  # admins only: list, remove, import sites/apps
    MANAGE_SHARING = "manage_sharing"  # admins only: partners, hash-list export/import
    VIEW_LEDGER = "view_ledger"  # inclusion and consistency proofs (staff); heads are public


_GRANTS: dict[Role, frozenset[Perm]] = {
    Role.HOLDER: frozenset(
        {Perm.REGISTER_WORK, Perm.GRANT_LICENCE, Perm.UPLOAD, Perm.REQUEST_DISCLOSURE}
    ),
    Role.UPLOADER: frozenset({Perm.UPLOAD}),
    Role.REVIEWER: frozenset(
        {
            Perm.REVIEW,
            Perm.SCAN,
            Perm.VIEW_ALL_CONTENT,
            Perm.VIEW_PERSONAL_DATA,
            Perm.PROMOTE,
            Perm.DECIDE_DISCLOSURE,
            Perm.VIEW_REPORTS,
            Perm.VIEW_LEDGER,
        }
    ),
    Role.ADMIN: frozenset(Perm),
    # Authorities receive records through reviewed disclosure requests, not by role.
    Role.AUTHORITY: frozenset({Perm.REQUEST_DISCLOSURE, Perm.VIEW_REPORTS}),
}


def has(user: User, perm: Perm) -> bool:
    if user.status != "active":
        return False
    return perm in _GRANTS.get(Role(user.role), frozenset())


def require(user: User, perm: Perm) -> None:
    if not has(user, perm):
        raise Forbidden(f"{user.role} '{user.name}' may not {perm.value.replace('_', ' ')}")
