"""Errors on a page: an HTML page in the viewer's language, with the message the service
gave and a way back (the API answers JSON for the same errors)."""

from __future__ import annotations

from fastapi import Request
from fastapi.responses import HTMLResponse

from safeharbor import i18n
from safeharbor.errors import Forbidden, NotFound, SafeharborError
from safeharbor.platform import Platform
from safeharbor.web import templating
from safeharbor.web.page import language_of, safe_next


def error_page(
    request: Request, platform: Platform, exc: SafeharborError, status: int | None = None
) -> HTMLResponse:
    lang = language_of(request, platform.settings.web_language)
    _ = i18n.gettext_for(lang)
    if isinstance(exc, Forbidden):
        heading = _("Not allowed")
    elif isinstance(exc, NotFound):
        heading = _("Not found")
    else:
        heading = _("That did not work")
    referer = request.headers.get("referer", "")
    host = f"{request.url.scheme}://{request.url.netloc}"
    back = safe_next(referer[len(host) :] if referer.startswith(host) else "/")
    body = templating.render(
        lang,
        "error.html",
        {"page": None, "user": None, "heading": heading, "message": _(exc.message), "back": back},
    )
    return HTMLResponse(body, status_code=status or exc.status)
