"""What every portal page shares: the browser session, the signed-in user, the viewer's
language and time zone, CSRF-checked forms, and rendering.

A page route takes ``page: PageDep`` (and ``form: CheckedForm`` for a POST), asks
``page.require(Perm.X)``, the same permission table as the API, calls a domain service
through ``page.svc``, and returns ``page.render(...)`` or ``page.redirect(...)``.
"""

from __future__ import annotations

import hmac
import ipaddress
from dataclasses import dataclass, field
from datetime import datetime
from typing import Annotated, Any
from urllib.parse import quote, urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from fastapi import Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from markupsafe import Markup
from starlette.datastructures import FormData, UploadFile

from safeharbor import i18n
from safeharbor.accounts.models import User
from safeharbor.accounts.permissions import Perm, has
from safeharbor.api import Svc
from safeharbor.clock import as_utc
from safeharbor.errors import Forbidden, InvalidInput, Unauthorized
from safeharbor.platform import Services
from safeharbor.portals import PORTALS
from safeharbor.web import templating
from safeharbor.web.models import WebSession
from safeharbor.web.sessions import COOKIE, SessionService

LANG_COOKIE = "sh_lang"
#: public pages whose address is not their portal's name
_PATH_DOMAINS = {"complaints": "public", "contact": "public"}
TZ_COOKIE = "sh_tz"


class SignInRequired(Unauthorized):
    """Raised by a page for a visitor who is not signed in: answered by a redirect to the
    sign-in page, which comes back here afterwards."""


def safe_next(url: str | None, default: str = "/") -> str:
    """A place to go back to that stays on this site (no open redirect)."""
    if not url or not url.startswith("/") or url.startswith("//") or "\\" in url:
        return default
    parts = urlsplit(url)
    return url if not parts.scheme and not parts.netloc else default


def language_of(request: Request, default: str) -> str:
    chosen = request.cookies.get(LANG_COOKIE)
    if chosen in i18n.LANGUAGES:
        return chosen
    for item in request.headers.get("accept-language", "").split(","):
        tag = item.split(";")[0].strip().lower()
        if tag.startswith("zh"):
            return "zh_CN"
        if tag.startswith("en"):
            return "en"
    return default


def zone_of(request: Request, default: str) -> str:
    tz = request.cookies.get(TZ_COOKIE, "")
    if tz and len(tz) < 64:
        try:
            return ZoneInfo(tz).key
        except (ZoneInfoNotFoundError, ValueError):
            pass
    return default


def secure_cookie(request: Request, setting: str) -> bool:
    """Secure unless plain http to a loopback address (a local trial, and the tests)."""
    if setting == "always" or request.url.scheme == "https":
        return True
    host = (request.url.hostname or "").strip("[]")
    if host == "localhost":
        return False
    try:
        return not ipaddress.ip_address(host).is_loopback
    except ValueError:
        return True


@dataclass
class Page:
    request: Request
    svc: Services
    session: WebSession
    user: User | None
    lang: str
    tz: str
    _cookie_token: str | None = None
    _extra_cookies: dict[str, str] = field(default_factory=dict)

    # -- who is looking -------------------------------------------------------------
    def can(self, perm: Perm) -> bool:
        return self.user is not None and has(self.user, perm)

    def signed_in(self) -> User:
        if self.user is None:
            raise SignInRequired("sign in to see this page")
        return self.user

    def require(self, perm: Perm) -> User:
        """The signed-in user if the permission table lets them ``perm`` (as the API)."""
        user = self.signed_in()
        if not has(user, perm):
            raise Forbidden(f"{user.role} '{user.name}' may not {perm.value.replace('_', ' ')}")
        return user

    @property
    def ip(self) -> str | None:
        return self.request.client.host if self.request.client else None

    @property
    def now(self) -> datetime:
        return self.svc.platform.clock.now()

    # -- words and times ------------------------------------------------------------
    @property
    def domain(self) -> str | None:
        """The portal this page belongs to (its catalogue is looked up first)."""
        head = self.request.url.path.strip("/").split("/", 1)[0]
        head = _PATH_DOMAINS.get(head, head)
        return head if head in PORTALS else None

    def _(self, message: str, **values: Any) -> str:
        text = i18n.gettext_for(self.lang, self.domain)(message)
        return text % values if values else text

    def when(self, dt: datetime | None) -> Markup:
        return templating.when(dt, self.lang, self.tz)

    def clock(self, deadline: datetime | None) -> dict[str, Any]:
        """A deadline as a clock: hours left (negative when overdue), for sorting and for
        the visible 24-hour countdown."""
        if deadline is None:
            return {"deadline": None, "hours_left": None, "overdue": False}
        left = (as_utc(deadline) - self.now).total_seconds() / 3600
        return {"deadline": deadline, "hours_left": left, "overdue": left < 0}

    # -- the session ----------------------------------------------------------------
    def flash(self, text: str, kind: str = "info") -> None:
        self.session.flash = [*self.session.flash, {"kind": kind, "text": text}]

    def take_flash(self) -> list[dict[str, str]]:
        items = list(self.session.flash or [])
        if items:
            self.session.flash = []
        return items

    def sign_in(self, user: User) -> None:
        """A new session for ``user``: the old token (which may have been planted) dies."""
        sessions = SessionService(self.svc.session, self.svc.platform.clock, self._hours())
        sessions.end(self.session)
        self._cookie_token, self.session = sessions.start(user)
        self.user = user

    def sign_out(self) -> None:
        sessions = SessionService(self.svc.session, self.svc.platform.clock, self._hours())
        sessions.end(self.session)
        self._cookie_token, self.session = sessions.start(None)
        self.user = None

    def set_cookie(self, name: str, value: str) -> None:
        self._extra_cookies[name] = value

    def _hours(self) -> float:
        return self.svc.platform.settings.session_hours

    # -- answers ----------------------------------------------------------------------
    def context(self, **values: Any) -> dict[str, Any]:
        return {"page": self, "user": self.user, "Perm": Perm, "_": self._, **values}

    def render(self, template: str, status: int = 200, **values: Any) -> Response:
        ctx = self.context(flashes=self.take_flash(), **values)
        domain = templating.domain_of(template) or self.domain

        def translate(message: str, **kw: Any) -> str:
            text = i18n.gettext_for(self.lang, domain)(message)
            return text % kw if kw else text

        ctx["_"] = translate
        body = templating.render(self.lang, template, ctx)
        return self.finish(HTMLResponse(body, status_code=status))

    def redirect(self, url: str, status: int = 303) -> Response:
        return self.finish(RedirectResponse(safe_next(url), status_code=status))

    def finish(self, response: Response) -> Response:
        secure = secure_cookie(self.request, self.svc.platform.settings.secure_cookies)
        if self._cookie_token is not None:
            response.set_cookie(
                COOKIE, self._cookie_token, httponly=True, secure=secure, samesite="lax", path="/"
            )
        for name, value in self._extra_cookies.items():
            response.set_cookie(
                name, value, max_age=365 * 86400, secure=secure, samesite="lax", path="/"
            )
        response.headers.setdefault("Cache-Control", "no-store")
        return response

    def login_url(self) -> str:
        return "/login?next=" + quote(self.request.url.path)


def get_page(request: Request, svc: Svc) -> Page:
    settings = svc.platform.settings
    sessions = SessionService(svc.session, svc.platform.clock, settings.session_hours)
    row = sessions.load(request.cookies.get(COOKIE))
    token = None
    if row is None:
        token, row = sessions.start(None)
    user = svc.session.get(User, row.user_id) if row.user_id is not None else None
    if user is not None and user.status not in ("active", "suspended", "terminated"):
        user = None
    return Page(
        request=request,
        svc=svc,
        session=row,
        user=user,
        lang=language_of(request, settings.web_language),
        tz=zone_of(request, settings.web_timezone),
        _cookie_token=token,
    )


PageDep = Annotated[Page, Depends(get_page)]


async def checked_form(request: Request, page: PageDep) -> FormData:
    """The posted form, if it carries this session's CSRF token (synchroniser token) and,
    where the browser says where it came from, was posted from this site."""
    origin = request.headers.get("origin")
    if origin and origin != "null":
        expected = f"{request.url.scheme}://{request.url.netloc}"
        if origin.rstrip("/") != expected:
            raise Forbidden("this form was posted from another site")
    form = await request.form()
    token = form.get("csrf_token")
    if not isinstance(token, str) or not hmac.compare_digest(token, page.session.csrf_token):
        raise Forbidden(
            "the form has expired or did not come from this site: reload the page and try again"
        )
    return form


CheckedForm = Annotated[FormData, Depends(checked_form)]


def field_text(form: FormData, name: str, *, required: bool = False, limit: int = 10_000) -> str:
    """A text field of ``form``, stripped; a clear error when required and empty."""
    value = form.get(name)
    text = value.strip() if isinstance(value, str) else ""
    if required and not text:
        raise InvalidInput(f"{name.replace('_', ' ')} is required")
    if len(text) > limit:
        raise InvalidInput(f"{name.replace('_', ' ')} is too long (at most {limit} characters)")
    return text


def field_file(form: FormData, name: str) -> UploadFile | None:
    value = form.get(name)
    if isinstance(value, UploadFile) and value.filename:
        return value
    return None


def field_files(form: FormData, name: str) -> list[UploadFile]:
    return [v for v in form.getlist(name) if isinstance(v, UploadFile) and v.filename]
