"""The copyright team's queues: what each holds, in the order a reviewer should take it.

Each queue is read through the same service calls as the API's lists. A row carries its
clock: the legal one where the law or the profile sets one (the 24-hour act clock of a
notice, the review clock of an EU complaint), otherwise none, and the row's age decides.
Overdue rows come first, then the nearest deadline, then the oldest.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter
from fastapi.responses import Response

from safeharbor.accounts.permissions import Perm
from safeharbor.clock import as_utc
from safeharbor.errors import NotFound
from safeharbor.portals.review.words import N_
from safeharbor.registry.models import WorkStatus
from safeharbor.screening.models import ContentState, Decision
from safeharbor.web.page import Page, PageDep

router = APIRouter(include_in_schema=False)
#: where a row without a clock sorts: after every row with one
_FAR = datetime.max.replace(tzinfo=UTC)


@dataclass
class Row:
    href: str
    title: str
    detail: str
    since: datetime
    clock: dict[str, Any]
    status: str | None = None

    def order(self) -> tuple[bool, datetime, datetime]:
        due = self.clock["deadline"]
        return (
            not self.clock["overdue"],
            as_utc(due) if due is not None else _FAR,
            as_utc(self.since),
        )


@dataclass
class Queue:
    key: str
    title: str  # an English msgid, marked with N_
    help: str
    perm: Perm
    rows: Callable[[Page], list[Row]]
    clock_name: str = N_("Waiting since")
    extra: dict[str, Any] = field(default_factory=dict)


def _sorted(rows: list[Row]) -> list[Row]:
    return sorted(rows, key=Row.order)


def _name(page: Page, user_id: int | None) -> str:
    if user_id is None:
        return "–"
    try:
        return page.svc.accounts.get(user_id).name
    except NotFound:
        return "–"


# -- one function per queue ---------------------------------------------------------------


def works_rows(page: Page) -> list[Row]:
    user = page.require(Perm.REVIEW)
    return _sorted(
        [
            Row(
                href=f"/review/works/{w.id}",
                title=page._("Work %(id)s: %(title)s", id=w.id, title=w.title),
                detail=page._(
                    "%(holder)s · %(type)s · %(n)s proofs",
                    holder=_name(page, w.holder_id),
                    type=page._(w.work_type),
                    n=len(w.proofs),
                ),
                since=w.created_at,
                clock=page.clock(None),
                status=w.status,
            )
            for w in page.svc.registry.list_works(user, WorkStatus.PENDING)
        ]
    )


def conflict_rows(page: Page) -> list[Row]:
    page.require(Perm.REVIEW)
    return _sorted(
        [
            Row(
                href=f"/review/conflicts/{c.id}",
                title=page._(
                    "Conflict %(id)s: work %(a)s and work %(b)s",
                    id=c.id,
                    a=c.work_id,
                    b=c.other_work_id,
                ),
                detail=page._(
                    "%(signal)s, score %(score)s", signal=page._(c.signal), score=f"{c.score:.2f}"
                ),
                since=c.created_at,
                clock=page.clock(None),
                status=c.status,
            )
            for c in page.svc.registry.conflicts("open")
        ]
    )


def _uncertain(content: Any) -> bool:
    return bool(content.state == ContentState.HELD and content.decision == Decision.REVIEW.value)


def _upload_row(page: Page, c: Any) -> Row:
    answered = [r for r in page.svc.screening.responses(c) if r.status == "open"]
    detail = page._(
        "%(uploader)s · risk %(risk)s",
        uploader=_name(page, c.uploader_id),
        risk=f"{c.risk_score:.2f}",
    )
    if answered:
        detail += " · " + page._("the uploader sent a licence or proof")
    return Row(
        href=f"/review/uploads/{c.public_id}",
        title=c.title or c.public_id,
        detail=detail,
        since=c.created_at,
        clock=page.clock(None),
        status=c.state,
    )


def held_rows(page: Page) -> list[Row]:
    page.require(Perm.REVIEW)
    queue = page.svc.screening.review_queue()
    return _sorted([_upload_row(page, c) for c in queue if not _uncertain(c)])


def uncertain_rows(page: Page) -> list[Row]:
    page.require(Perm.REVIEW)
    queue = page.svc.screening.review_queue()
    return _sorted([_upload_row(page, c) for c in queue if _uncertain(c)])


def _open_deadline(page: Page, notice: Any, clock: str) -> datetime | None:
    for d in page.svc.notices.deadlines(notice):
        if d.clock == clock and d.status in ("open", "overdue"):
            return d.due_at
    return None


def unlocated_rows(page: Page) -> list[Row]:
    user = page.require(Perm.REVIEW)
    rows = []
    for n in page.svc.notices.list_notices(user, "review"):
        waiting = [i for i in n.items if i.state in ("unlocated", "candidate", "located")]
        rows.append(
            Row(
                href=f"/review/notices/{n.id}",
                title=page._("Notice %(id)s", id=n.id),
                detail=page._(
                    "%(n)s items to place · %(what)s",
                    n=len(waiting),
                    what=str(n.fields.get("work") or n.fields.get("title") or "–")[:80],
                ),
                since=n.valid_at or n.created_at,
                clock=page.clock(_open_deadline(page, n, "act")),
                status=n.status,
            )
        )
    return _sorted(rows)


def counter_rows(page: Page) -> list[Row]:
    page.require(Perm.REVIEW)
    return _sorted(
        [
            Row(
                href=f"/review/counters/{c.notice_id}",
                title=page._(
                    "Counter-notice %(id)s on notice %(notice)s", id=c.id, notice=c.notice_id
                ),
                detail=_name(page, c.user_id),
                since=c.created_at,
                clock=page.clock(d.due_at),
                status=c.status,
            )
            for c, d in page.svc.notices.counters_for_review()
        ]
    )


def disclosure_rows(page: Page) -> list[Row]:
    user = page.require(Perm.DECIDE_DISCLOSURE)
    return _sorted(
        [
            Row(
                href=f"/review/disclosures/{r.id}",
                title=page._("Disclosure request %(id)s", id=r.id),
                detail=page._(
                    "%(who)s (%(kind)s) · %(basis)s",
                    who=_name(page, r.requester_id),
                    kind=page._(r.kind),
                    basis=(r.basis or r.reference or "–")[:80],
                ),
                since=r.created_at,
                clock=page.clock(None),
                status=r.status,
            )
            for r in page.svc.disclosure.list_for(user, "pending")
        ]
    )


def appeal_rows(page: Page) -> list[Row]:
    page.require(Perm.REVIEW)
    return _sorted(
        [
            Row(
                href=f"/review/appeals/{a.id}",
                title=page._("Appeal %(id)s of strike %(strike)s", id=a.id, strike=a.strike_id),
                detail=_name(page, a.user_id),
                since=a.created_at,
                clock=page.clock(None),
                status=a.status,
            )
            for a in page.svc.enforcement.open_appeals()
        ]
    )


QUEUES: dict[str, Queue] = {
    q.key: q
    for q in (
        Queue(
            "works",
            N_("Ownership proofs"),
            N_("Registered works waiting for a reviewer to check the proof of ownership."),
            Perm.REVIEW,
            works_rows,
        ),
        Queue(
            "conflicts",
            N_("Ownership conflicts"),
            N_("Two rights holders claim the same content: award it to one of them."),
            Perm.REVIEW,
            conflict_rows,
        ),
        Queue(
            "held",
            N_("Held uploads"),
            N_("Uploads held for a licence or proof, and blocked ones whose uploader answered."),
            Perm.REVIEW,
            held_rows,
        ),
        Queue(
            "uncertain",
            N_("Uploads in review"),
            N_("Uploads that resemble a registered work without a certain match."),
            Perm.REVIEW,
            uncertain_rows,
        ),
        Queue(
            "unlocated",
            N_("Notices not located"),
            N_("Valid notices naming content that could not be found with certainty."),
            Perm.REVIEW,
            unlocated_rows,
        ),
        Queue(
            "counters",
            N_("Counter-notices"),
            N_("Complaints against a takedown that a person must decide (EU DSA art. 20)."),
            Perm.REVIEW,
            counter_rows,
        ),
        Queue(
            "disclosures",
            N_("Disclosure requests"),
            N_("Requests for an uploader's identity and records: grant or refuse, with a reason."),
            Perm.DECIDE_DISCLOSURE,
            disclosure_rows,
        ),
        Queue(
            "appeals",
            N_("Strike appeals"),
            N_("Uploaders appealing a strike."),
            Perm.REVIEW,
            appeal_rows,
        ),
    )
}


def nav(page: Page, current: str | None = None) -> list[dict[str, Any]]:
    """The queue links every review page shows."""
    return [
        {
            "key": q.key,
            "href": f"/review/{q.key}",
            "title": page._(q.title),
            "current": q.key == current,
        }
        for q in QUEUES.values()
        if page.can(q.perm)
    ]


@router.get("/review")
def console(page: PageDep) -> Response:
    """The console: every queue with its count and its most urgent item."""
    page.require(Perm.REVIEW)
    summary = []
    for q in QUEUES.values():
        if not page.can(q.perm):
            continue
        rows = q.rows(page)
        summary.append({"queue": q, "count": len(rows), "first": rows[0] if rows else None})
    return page.render("review/console.html", summary=summary, nav=nav(page))


@router.get("/review/{key}")
def queue_page(key: str, page: PageDep) -> Response:
    page.require(Perm.REVIEW)
    q = QUEUES.get(key)
    if q is None:
        raise NotFound(f"no queue {key!r}")
    page.require(q.perm)
    return page.render("review/queue.html", queue=q, rows=q.rows(page), nav=nav(page, key))
