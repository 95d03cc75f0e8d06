"""API routes of the reports domain (included in `safeharbor/app.py`)."""

from __future__ import annotations

from datetime import UTC
from typing import Annotated, Literal

from fastapi import APIRouter, Query
from fastapi.responses import Response

from safeharbor.accounts.permissions import Perm, require
from safeharbor.api import Caller, Svc
from safeharbor.reports.service import MEDIA_TYPES, period_bound

router = APIRouter(prefix="/api", tags=["reports"])


@router.get("/reports/transparency")
def transparency(
    svc: Svc,
    caller: Caller,
    start: Annotated[str, Query(alias="from", description="First day (YYYY-MM-DD) or time.")],
    end: Annotated[str, Query(alias="to", description="Last day, included, or end time.")],
    format: Literal["html", "pdf", "csv", "json"] = "html",
    lang: Annotated[str | None, Query(description="zh_CN or en (default: the profile's)")] = None,
    profile: str | None = None,
    tz: Annotated[str, Query(description="Time zone of the dates and the report")] = "UTC",
) -> Response:
    """The transparency and compliance report of a period (admins, reviewers, authorities)."""
    require(caller, Perm.VIEW_REPORTS)
    report = svc.reports.build(
        period_bound(start, tz, end=False),
        period_bound(end, tz, end=True),
        lang=lang,
        profile=profile,
        tz=tz,
    )
    body = svc.reports.render(report, format)
    headers = {}
    if format in ("pdf", "csv"):
        stamp = report.figures.start.astimezone(UTC).strftime("%Y%m%d")
        headers["Content-Disposition"] = (
            f'attachment; filename="transparency-{report.profile}-{stamp}.{format}"'
        )
    return Response(body, media_type=MEDIA_TYPES[format], headers=headers)
