"""The holder's dashboard: their works with their review status, their open cases with
the next clock of each, and the counts that say where things stand."""

from __future__ import annotations

from collections import Counter

from fastapi import APIRouter
from fastapi.responses import Response

from safeharbor.notices.service import OPEN_STATUSES
from safeharbor.portals.holder.common import holder, next_clocks, render
from safeharbor.web.page import PageDep

router = APIRouter(include_in_schema=False)

#: how many rows of each list the dashboard shows (the full lists have their own pages)
SHOWN = 10


@router.get("/holder")
def dashboard(page: PageDep) -> Response:
    user = holder(page)
    works = [w for w in page.svc.registry.list_works(user) if w.holder_id == user.id]
    notices = [n for n in page.svc.notices.list_notices(user) if n.sender_id == user.id]
    open_cases = [n for n in notices if n.status in OPEN_STATUSES]
    clocks = next_clocks(page, [n.id for n in open_cases])
    # the case whose clock runs out first comes first; cases without a clock after
    open_cases.sort(
        key=lambda n: (n.id not in clocks, clocks[n.id].due_at if n.id in clocks else 0, -n.id)
    )
    requests = [r for r in page.svc.disclosure.list_for(user) if r.requester_id == user.id]
    by_status = Counter(w.status for w in works)
    counts = {
        "works": len(works),
        "approved": by_status.get("approved", 0),
        "waiting": by_status.get("pending", 0) + by_status.get("conflict", 0),
        "needs_info": by_status.get("needs_info", 0),
        "open_cases": len(open_cases),
        "incomplete": sum(1 for n in notices if n.status == "incomplete"),
        "countered": sum(1 for n in notices if n.status == "countered"),
        "notices": len(notices),
    }
    return render(
        page,
        "holder/dashboard.html",
        works=list(reversed(works))[:SHOWN],
        open_cases=open_cases[:SHOWN],
        incomplete=[n for n in reversed(notices) if n.status == "incomplete"][:SHOWN],
        clocks={i: page.clock(d.due_at) | {"clock": d.clock} for i, d in clocks.items()},
        counts=counts,
        pending_requests=sum(1 for r in requests if r.status == "pending"),
        titles={w.id: w.title for w in works},
    )
