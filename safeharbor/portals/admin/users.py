"""Users and roles: the list (public fields only), creating an account with a password
(staff and authorities are not signed up, an administrator makes them), an account's
details (personal data, each showing recorded as the API records it), and suspending or
reactivating an account, which is what the accounts service allows."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from fastapi import APIRouter
from fastapi.responses import Response
from sqlalchemy import select

from safeharbor.accounts.models import Role, User
from safeharbor.accounts.permissions import Perm
from safeharbor.portals.admin.common import attempt
from safeharbor.web.page import CheckedForm, Page, PageDep, field_text
from safeharbor.web.signin import check_new_password

router = APIRouter(include_in_schema=False)

#: the roles offered when creating an account, staff and authorities first
ROLES = [Role.REVIEWER.value, Role.ADMIN.value, Role.AUTHORITY.value, Role.HOLDER.value]
ROLES += [Role.UPLOADER.value]


def _users(page: Page, role: str | None) -> list[User]:
    # a read-only listing (the accounts service has no list method yet)
    q = select(User).order_by(User.name)
    if role:
        q = q.where(User.role == role)
    return list(page.svc.session.scalars(q))


def _users_page(
    page: Page,
    values: dict[str, str] | None = None,
    error: str | None = None,
    status: int = 200,
    role: str | None = None,
) -> Response:
    page.require(Perm.MANAGE_USERS)
    return page.render(
        "admin/users.html",
        status=status,
        users=_users(page, role if role in ROLES else None),
        roles=ROLES,
        role=role or "",
        values=values or {},
        error=error,
    )


@router.get("/admin/users")
def users_page(page: PageDep, role: str | None = None) -> Response:
    return _users_page(page, role=role)


@router.post("/admin/users")
def user_create(page: PageDep, form: CheckedForm) -> Response:
    admin = page.require(Perm.MANAGE_USERS)
    values = {
        k: field_text(form, k, limit=320) for k in ("name", "role", "email", "real_name", "phone")
    }
    password = form.get("password")

    def create() -> User:
        check_new_password(password if isinstance(password, str) else "", values["name"])
        return page.svc.accounts.create_user(
            values["name"],
            values["role"],
            email=values["email"] or None,
            phone=values["phone"] or None,
            real_name=values["real_name"] or None,
            password=str(password),
            ip=page.ip,
            actor=admin,
        )

    user, error = attempt(page, create)
    if user is None:
        return _users_page(page, values, error, status=422)
    page.flash(page._("Account %(n)s is made (%(r)s).", n=user.name, r=page._(user.role)), "ok")
    return page.redirect("/admin/users")


@router.get("/admin/users/{name}")
def user_detail(name: str, page: PageDep) -> Response:
    admin = page.require(Perm.MANAGE_USERS)
    subject = page.svc.accounts.get(name)
    # the API's own view: personal data to the entitled, each showing a ledger record
    view: dict[str, Any] = page.svc.accounts.view_for(subject, admin, page.ip)
    return page.render("admin/user.html", subject=subject, view=view)


@router.post("/admin/users/{name}/status")
def user_status(name: str, page: PageDep, form: CheckedForm) -> Response:
    admin = page.require(Perm.MANAGE_USERS)
    subject = page.svc.accounts.get(name)
    status = field_text(form, "status", required=True, limit=20)
    page.svc.accounts.set_status(subject, status, admin, page.ip)
    page.flash(page._("%(n)s is now %(s)s.", n=subject.name, s=page._(subject.status)), "ok")
    return page.redirect(f"/admin/users/{quote(subject.name)}")
