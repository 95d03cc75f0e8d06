"""The FastAPI application: API routers of every domain, and the service's pages."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, JSONResponse

from safeharbor import __version__
from safeharbor.accounts.routes import router as accounts_router
from safeharbor.blacklists.routes import router as blacklists_router
from safeharbor.compare.routes import router as compare_router
from safeharbor.disclosure.routes import router as disclosure_router
from safeharbor.enforcement.routes import router as enforcement_router
from safeharbor.errors import SafeharborError
from safeharbor.evidence.routes import router as evidence_router
from safeharbor.notices.pages import router as complaint_pages
from safeharbor.notices.routes import router as notices_router
from safeharbor.platform import Platform
from safeharbor.registry.routes import router as registry_router
from safeharbor.reports.routes import router as reports_router
from safeharbor.screening.routes import router as screening_router
from safeharbor.sharing.routes import router as sharing_router

_INDEX = """<!doctype html><html lang="en"><head><meta charset="utf-8">
<title>safeharbor</title></head><body><main>
<h1>safeharbor</h1>
<p>Copyright protection for this platform: rights registry, upload screening.</p>
<ul><li><a href="/complaints">Copyright complaints / 版权投诉</a></li>
<li><a href="/docs">API documentation (OpenAPI)</a></li>
<li><a href="/healthz">Service health</a></li></ul>
</main></body></html>"""


def create_app(platform: Platform | None = None) -> FastAPI:
    platform = platform or Platform.open()
    app = FastAPI(
        title="safeharbor",
        version=__version__,
        description="Rights registry and upload screening for an online platform.",
    )
    app.state.platform = platform

    @app.exception_handler(SafeharborError)
    async def _domain_error(_request: Request, exc: SafeharborError) -> JSONResponse:
        return JSONResponse({"detail": exc.message}, status_code=exc.status)

    @app.get("/", response_class=HTMLResponse, include_in_schema=False)
    def index() -> str:
        return _INDEX

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
    app.include_router(complaint_pages)
    return app
