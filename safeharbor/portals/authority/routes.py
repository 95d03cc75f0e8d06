"""Pages of the authority portal (``/authority``): transparency and compliance reports,
investigation requests (``requests.py``), evidence packages granted, and the published
signed tree heads with the key to check them."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import PlainTextResponse, Response

from safeharbor.accounts.permissions import Perm
from safeharbor.errors import SafeharborError
from safeharbor.portals.admin import reportview
from safeharbor.portals.authority import requests
from safeharbor.portals.authority.access import authority
from safeharbor.web.page import PageDep

router = APIRouter(include_in_schema=False)
router.include_router(requests.router)

From = Annotated[str | None, Query(alias="from")]
To = Annotated[str | None, Query(alias="to")]
#: the heads shown on the page (the download has them all)
SHOWN_HEADS = 20


@router.get("/authority")
def overview(page: PageDep) -> Response:
    user = authority(page, Perm.VIEW_REPORTS)
    reqs = page.svc.disclosure.list_for(user)
    head = page.svc.ledger.integrate()
    return page.render(
        "authority/index.html",
        pending=sum(r.status == "pending" for r in reqs),
        live=sum(page.svc.disclosure.live(r) for r in reqs),
        total=len(reqs),
        head=head,
        head_time=_ms(head.timestamp),
    )


@router.get("/authority/reports")
def reports(page: PageDep, start: From = None, end: To = None) -> Response:
    authority(page, Perm.VIEW_REPORTS)
    try:
        period = reportview.period_of(page, start, end)
        report = reportview.build(page, period)
    except SafeharborError as exc:
        return page.render(
            "authority/reports.html",
            status=422,
            error=page._(exc.message),
            period=reportview.Period(start or "", end or ""),
            report=None,
            charts=[],
            sections=[],
        )
    return page.render(
        "authority/reports.html",
        error=None,
        period=period,
        report=report,
        charts=reportview.charts(report),
        sections=reportview.sections(report),
    )


@router.get("/authority/reports/report.{fmt}")
def report_download(fmt: str, page: PageDep, start: From = None, end: To = None) -> Response:
    authority(page, Perm.VIEW_REPORTS)
    return reportview.download(page, reportview.period_of(page, start, end), fmt)


def _ms(timestamp: int) -> datetime:
    return datetime.fromtimestamp(timestamp / 1000, UTC)


@router.get("/authority/ledger")
def ledger(page: PageDep) -> Response:
    authority(page, Perm.VIEW_REPORTS)
    page.svc.ledger.integrate()
    heads = page.svc.ledger.heads()
    shown = [{**h, "at": _ms(int(h["timestamp"]))} for h in reversed(heads[-SHOWN_HEADS:])]
    return page.render(
        "authority/ledger.html",
        heads=shown,
        count=len(heads),
        key=page.svc.ledger.key_document(),
    )


@router.get("/authority/ledger/platform.pem")
def ledger_key(page: PageDep) -> Response:
    authority(page, Perm.VIEW_REPORTS)
    return page.finish(
        PlainTextResponse(
            page.svc.ledger.public_key_pem(),
            headers={"Content-Disposition": 'attachment; filename="platform.pem"'},
        )
    )


@router.get("/authority/ledger/heads.jsonl")
def ledger_heads(page: PageDep) -> Response:
    """Every signed head, in the format ``safeharbor ledger publish`` writes (a key line,
    then one line per head): what ``evidence verify --published`` reads."""
    authority(page, Perm.VIEW_REPORTS)
    page.svc.ledger.integrate()
    lines = [json.dumps(page.svc.ledger.key_document(), sort_keys=True)]
    lines += [json.dumps({"kind": "head", **h}, sort_keys=True) for h in page.svc.ledger.heads()]
    return page.finish(
        Response(
            "\n".join(lines) + "\n",
            media_type="application/x-ndjson",
            headers={"Content-Disposition": 'attachment; filename="heads.jsonl"'},
        )
    )
