"""The FastAPI application: API routers of every domain, and the service's pages."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.exception_handlers import (
    http_exception_handler,
    request_validation_exception_handler,
)
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException

from safeharbor import __version__, portals
from safeharbor.accounts.routes import router as accounts_router
from safeharbor.blacklists.routes import router as blacklists_router
from safeharbor.compare.routes import router as compare_router
from safeharbor.disclosure.routes import router as disclosure_router
from safeharbor.enforcement.routes import router as enforcement_router
from safeharbor.errors import InvalidInput, NotFound, SafeharborError
from safeharbor.evidence.routes import router as evidence_router
from safeharbor.notices.routes import router as notices_router
from safeharbor.platform import Platform
from safeharbor.registry.routes import router as registry_router
from safeharbor.reports.routes import router as reports_router
from safeharbor.screening.routes import router as screening_router
from safeharbor.sharing.routes import router as sharing_router
from safeharbor.web.errors import error_page
from safeharbor.web.page import SignInRequired
from safeharbor.web.routes import router as web_router

STATIC = Path(__file__).parent / "web" / "static"

# The portals' pages run only this site's own scripts and load only its own media; no page
# may be framed (clickjacking of a takedown or a grant). Inline styles are allowed: the
# charts are SVG with style attributes, and a style cannot run code.
_PAGE_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; img-src 'self' data: blob:; media-src 'self' blob:; "
        "style-src 'self' 'unsafe-inline'; script-src 'self'; object-src 'none'; base-uri 'none'; "
        "form-action 'self'; frame-ancestors 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
}


def _is_api(request: Request) -> bool:
    path = request.url.path
    return path.startswith(("/api/", "/healthz", "/docs", "/openapi", "/redoc"))


def create_app(platform: Platform | None = None) -> FastAPI:
    platform = platform or Platform.open()
    app = FastAPI(
        title="safeharbor",
        version=__version__,
        description="Rights registry and upload screening for an online platform.",
    )
    app.state.platform = platform

    @app.exception_handler(SafeharborError)
    async def _domain_error(request: Request, exc: SafeharborError) -> Response:
        if _is_api(request):
            return JSONResponse({"detail": exc.message}, status_code=exc.status)
        # a page: a visitor who must sign in is sent to do so and brought back
        if isinstance(exc, SignInRequired):
            target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
            return RedirectResponse("/login?next=" + quote(target), status_code=303)
        return error_page(request, platform, exc)

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(request: Request, exc: StarletteHTTPException) -> Response:
        # an unknown page or a bad address of a page: an HTML page, not the API's JSON
        if _is_api(request):
            return await http_exception_handler(request, exc)
        if exc.status_code == 404:
            return error_page(request, platform, NotFound("there is no such page"))
        return error_page(request, platform, InvalidInput(str(exc.detail)), exc.status_code)

    @app.exception_handler(RequestValidationError)
    async def _bad_request(request: Request, exc: RequestValidationError) -> Response:
        if _is_api(request):
            return await request_validation_exception_handler(request, exc)
        fields = ", ".join(str(e.get("loc", ["?"])[-1]) for e in exc.errors())
        return error_page(
            request, platform, InvalidInput(f"invalid value in the address: {fields}")
        )

    @app.middleware("http")
    async def _page_headers(request: Request, call_next: Any) -> Response:
        response: Response = await call_next(request)
        if not _is_api(request):
            for name, value in _PAGE_HEADERS.items():
                response.headers.setdefault(name, value)
        return response

    @app.get("/healthz", tags=["service"])
    def health() -> dict[str, object]:
        platform.index.refresh(platform.db)
        return {"status": "ok", "version": __version__, "references": platform.index.size()}

    app.include_router(accounts_router)
    app.include_router(registry_router)
    app.include_router(screening_router)
    app.include_router(notices_router)
    app.include_router(compare_router)
    app.include_router(evidence_router)
    app.include_router(disclosure_router)
    app.include_router(enforcement_router)
    app.include_router(blacklists_router)
    app.include_router(sharing_router)
    app.include_router(reports_router)
    app.include_router(web_router)
    for router in portals.routers():
        app.include_router(router)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    return app
