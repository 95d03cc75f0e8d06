"""Notice API: file (single, bulk CSV), complete, follow, counter-notify, and the steps
reviewers and rights holders take on a case; jurisdiction profiles."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, File, Form, UploadFile
from pydantic import BaseModel, Field

from safeharbor.api import Caller, ClientIP, Svc
from safeharbor.notices import bulk
from safeharbor.notices.messages import inbox
from safeharbor.notices.service import notice_view
from safeharbor.profiles import available

router = APIRouter(prefix="/api", tags=["notices"])


class NoticeBody(BaseModel):
    fields: dict[str, str] = Field(
        default_factory=dict,
        description="The profile's notice fields (GET /api/profiles/{name} lists them).",
    )
    urls: list[str] = Field(default_factory=list, description="Addresses of the content.")
    work_id: int | None = None
    title: str | None = None
    profile: str | None = None


@router.post("/notices", status_code=201)
def file_notice(body: NoticeBody, svc: Svc, caller: Caller, ip: ClientIP) -> dict[str, Any]:
    """File a notice. Incomplete notices are kept, with the list of what is missing; valid
    ones are located and acted on at once."""
    res = svc.notices.file(
        caller,
        body.fields,
        urls=body.urls,
        work_id=body.work_id,
        title=body.title,
        profile=body.profile,
        channel="api",
        ip=ip,
    )
    return res.view()


@router.post("/notices/bulk")
def file_bulk(
    svc: Svc,
    caller: Caller,
    ip: ClientIP,
    csv_file: Annotated[UploadFile, File(description="One item per row: url,title,work_id,...")],
    profile: Annotated[str | None, Form()] = None,
) -> dict[str, Any]:
    """A CSV of many items, one notice per row; each row is answered."""
    rows = bulk.read_rows(csv_file.file.read(50 * 1024 * 1024 + 1)[: 50 * 1024 * 1024])
    results = list(
        bulk.file_rows(svc.platform, caller, rows, profile=profile, channel="csv", ip=ip)
    )
    return {"rows": len(rows), "results": results}


class CompleteBody(BaseModel):
    fields: dict[str, str]


@router.post("/notices/{notice_id}/complete")
def complete(
    notice_id: int, body: CompleteBody, svc: Svc, caller: Caller, ip: ClientIP
) -> dict[str, Any]:
    return svc.notices.complete(notice_id, caller, body.fields, ip).view()


@router.get("/notices")
def list_notices(svc: Svc, caller: Caller, status: str | None = None) -> list[dict[str, Any]]:
    """Your notices (senders), or all of them (reviewers)."""
    return [
        {"notice_id": n.id, "status": n.status, "profile": n.profile, "created_at": n.created_at}
        for n in svc.notices.list_notices(caller, status)
    ]


@router.get("/notices/{notice_id}")
def show_notice(notice_id: int, svc: Svc, caller: Caller) -> dict[str, Any]:
    """A case: its steps, items and clocks."""
    return notice_view(svc, svc.notices.visible(svc.notices.get(notice_id), caller))


class CounterBody(BaseModel):
    fields: dict[str, str]


@router.post("/notices/{notice_id}/counter", status_code=201)
def counter(
    notice_id: int, body: CounterBody, svc: Svc, caller: Caller, ip: ClientIP
) -> dict[str, Any]:
    """The uploader answers: a counter-notice (CN, US) or complaint (EU)."""
    c = svc.notices.counter(notice_id, caller, body.fields, ip)
    return {"counter_id": c.id, "status": c.status, "missing": c.missing}


class TextBody(BaseModel):
    text: str


@router.post("/notices/{notice_id}/holder-action")
def holder_action(
    notice_id: int, body: TextBody, svc: Svc, caller: Caller, ip: ClientIP
) -> dict[str, Any]:
    """The rights holder shows a complaint or lawsuit: the measure stays."""
    c = svc.notices.holder_action(notice_id, caller, body.text, ip)
    return {"counter_id": c.id, "status": c.status}


@router.post("/notices/{notice_id}/messages", status_code=201)
def relay(notice_id: int, body: TextBody, svc: Svc, caller: Caller, ip: ClientIP) -> dict[str, int]:
    """Write to the uploader(s) through the platform; no address changes hands."""
    return {"sent": svc.notices.relay(notice_id, caller, body.text, ip)}


class DecisionBody(BaseModel):
    uphold: bool
    note: str


@router.post("/notices/{notice_id}/complaint-decision")
def decide(
    notice_id: int, body: DecisionBody, svc: Svc, caller: Caller, ip: ClientIP
) -> dict[str, Any]:
    """A reviewer decides a counter-notice or complaint (restores when upheld)."""
    n = svc.notices.decide_complaint(notice_id, body.uphold, caller, body.note, ip)
    return notice_view(svc, n)


class TollBody(BaseModel):
    days: int = Field(ge=1, le=60)
    reason: str


@router.post("/notices/{notice_id}/toll")
def toll(notice_id: int, body: TollBody, svc: Svc, caller: Caller, ip: ClientIP) -> dict[str, Any]:
    d = svc.notices.toll(notice_id, body.days, body.reason, caller, ip)
    return {"clock": d.clock, "due": d.due_at.isoformat(), "note": d.note}


class UnfoundedBody(BaseModel):
    reason: str


@router.post("/notices/{notice_id}/unfounded")
def unfounded(
    notice_id: int, body: UnfoundedBody, svc: Svc, caller: Caller, ip: ClientIP
) -> dict[str, Any]:
    """Record the notice as wrong or abusive against its sender; restores the content."""
    return {"sender_flagged": svc.notices.mark_unfounded(notice_id, body.reason, caller, ip)}


class ItemBody(BaseModel):
    action: str  # take_down | dismiss


@router.post("/notice-items/{item_id}/review")
def review_item(
    item_id: int, body: ItemBody, svc: Svc, caller: Caller, ip: ClientIP
) -> dict[str, Any]:
    item = svc.notices.review_item(item_id, body.action, caller, ip)
    return {"item_id": item.id, "state": item.state}


class LocateBody(BaseModel):
    content_id: str  # the upload's public id, found by hand


@router.post("/notice-items/{item_id}/locate")
def locate_item(
    item_id: int, body: LocateBody, svc: Svc, caller: Caller, ip: ClientIP
) -> dict[str, Any]:
    """A reviewer names the upload an unlocated item means; then review it (take_down)."""
    item = svc.notices.locate_item(item_id, body.content_id, caller, ip)
    return {"item_id": item.id, "state": item.state}


@router.get("/messages")
def my_messages(svc: Svc, caller: Caller) -> list[dict[str, Any]]:
    """What the platform has told you (forwarded notices, counter-notices, clocks)."""
    return [
        {
            "id": m.id,
            "kind": m.kind,
            "notice_id": m.notice_id,
            "subject": m.subject,
            "body": m.body,
            "created_at": m.created_at.isoformat(),
        }
        for m in inbox(svc.session, caller)
    ]


@router.get("/profiles")
def profiles_list() -> list[str]:
    return available()


@router.get("/profiles/{name}")
def profile_show(name: str, svc: Svc) -> dict[str, Any]:
    """Required notice and counter-notice fields, clocks and forwarding rules."""
    return svc.notices.profile(name).model_dump()
