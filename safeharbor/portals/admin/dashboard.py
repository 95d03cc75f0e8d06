"""The compliance dashboard: the transparency report's figures and charts for a period
chosen by a form (notices over time, time to act against the 24-hour line, automated and
human decisions), with the report's downloads."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import Response

from safeharbor.accounts.permissions import Perm
from safeharbor.errors import SafeharborError
from safeharbor.portals.admin import reportview
from safeharbor.web.page import PageDep

router = APIRouter(include_in_schema=False)

From = Annotated[str | None, Query(alias="from")]
To = Annotated[str | None, Query(alias="to")]


@router.get("/admin/dashboard")
def dashboard(page: PageDep, start: From = None, end: To = None) -> Response:
    # the reports' permission, as the API asks it (reviewers may read reports too)
    page.require(Perm.VIEW_REPORTS)
    try:
        period = reportview.period_of(page, start, end)
        report = reportview.build(page, period)
    except SafeharborError as exc:
        # a bad period: the form again, with the message
        return page.render(
            "admin/dashboard.html",
            status=422,
            error=page._(exc.message),
            period=reportview.Period(start or "", end or ""),
            report=None,
            charts=[],
            figures=[],
            sections=[],
        )
    return page.render(
        "admin/dashboard.html",
        error=None,
        period=period,
        report=report,
        charts=reportview.charts(report),
        figures=reportview.key_figures(report),
        sections=reportview.sections(report),
    )


@router.get("/admin/dashboard/report.{fmt}")
def dashboard_download(fmt: str, page: PageDep, start: From = None, end: To = None) -> Response:
    page.require(Perm.VIEW_REPORTS)
    return reportview.download(page, reportview.period_of(page, start, end), fmt)
