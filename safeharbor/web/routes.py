"""Signing in and out, creating an account, the language switch and the account page."""

from __future__ import annotations

from datetime import timedelta

from fastapi import APIRouter
from fastapi.responses import Response

from safeharbor import i18n
from safeharbor.accounts.models import Role
from safeharbor.errors import SafeharborError
from safeharbor.web.page import (
    LANG_COOKIE,
    CheckedForm,
    PageDep,
    field_text,
    safe_next,
)
from safeharbor.web.sessions import SessionService
from safeharbor.web.signin import SignIn, check_new_password

router = APIRouter(include_in_schema=False)

#: where each role lands after signing in
LANDING = {
    Role.HOLDER.value: "/holder",
    Role.UPLOADER.value: "/uploader",
    Role.REVIEWER.value: "/review",
    Role.ADMIN.value: "/admin",
    Role.AUTHORITY.value: "/authority",
}


def signin_for(page: PageDep) -> SignIn:
    s = page.svc.platform.settings
    return SignIn(
        page.svc.session,
        page.svc.platform.db,
        page.svc.platform.clock,
        per_account=s.signin_failures_per_account,
        per_address=s.signin_failures_per_address,
        window=timedelta(minutes=s.signin_window_minutes),
    )


@router.get("/")
def home(page: PageDep) -> Response:
    if page.user is not None and page.user.status == "active":
        return page.redirect(LANDING.get(page.user.role, "/account"))
    return page.render("home.html")


@router.get("/login")
def login_form(page: PageDep, next: str = "/") -> Response:
    return page.render("login.html", next=safe_next(next), name="", error=None)


@router.post("/login")
def login(page: PageDep, form: CheckedForm) -> Response:
    name = field_text(form, "name", limit=64)
    password = form.get("password")
    nxt = safe_next(field_text(form, "next", limit=500), "")
    try:
        user = signin_for(page).check(name, password if isinstance(password, str) else "", page.ip)
    except SafeharborError as exc:
        return page.render(
            "login.html", status=exc.status, next=nxt, name=name, error=page._(exc.message)
        )
    page.sign_in(user)
    return page.redirect(nxt or LANDING.get(user.role, "/"))


@router.post("/logout")
def logout(page: PageDep, form: CheckedForm) -> Response:
    page.sign_out()
    page.flash(page._("You are signed out."))
    return page.redirect("/")


@router.get("/signup")
def signup_form(page: PageDep) -> Response:
    return page.render("signup.html", values={}, error=None)


@router.post("/signup")
def signup(page: PageDep, form: CheckedForm) -> Response:
    values = {k: field_text(form, k, limit=320) for k in ("role", "name", "email", "real_name")}
    password = form.get("password")
    try:
        if values["role"] not in (Role.HOLDER.value, Role.UPLOADER.value):
            # staff and authority accounts are made by an administrator
            raise SafeharborError("choose a rights holder or an uploader account")
        check_new_password(password if isinstance(password, str) else "", values["name"])
        if not values["email"]:
            raise SafeharborError("an email address is required")
        user = page.svc.accounts.create_user(
            values["name"],
            values["role"],
            email=values["email"],
            real_name=values["real_name"] or None,
            password=str(password),
            ip=page.ip,
        )
    except SafeharborError as exc:
        return page.render("signup.html", status=422, values=values, error=page._(exc.message))
    page.sign_in(user)
    page.flash(page._("Welcome. Your account is ready."), "ok")
    return page.redirect(LANDING.get(user.role, "/"))


@router.get("/language")
def language(page: PageDep, lang: str = "zh_CN", next: str = "/") -> Response:
    try:
        chosen = i18n.check_language(lang)
    except SafeharborError:
        chosen = page.svc.platform.settings.web_language
    page.set_cookie(LANG_COOKIE, chosen)
    return page.redirect(safe_next(next))


@router.get("/account")
def account(page: PageDep) -> Response:
    page.signed_in()
    return page.render("account.html")


@router.post("/account/password")
def change_password(page: PageDep, form: CheckedForm) -> Response:
    user = page.signed_in()
    current = form.get("current")
    new = form.get("password")
    signin = signin_for(page)
    try:
        signin.check(user.name, current if isinstance(current, str) else "", page.ip)
        signin.set_password(user, new if isinstance(new, str) else "", actor=user, ip=page.ip)
    except SafeharborError as exc:
        page.flash(page._(exc.message), "error")
        return page.redirect("/account")
    # every other session of the account ends; this one is replaced by a new one
    SessionService(page.svc.session, page.svc.platform.clock).end_all(user, keep=page.session)
    page.sign_in(user)
    page.flash(page._("The password is changed. Other sessions are signed out."), "ok")
    return page.redirect("/account")
