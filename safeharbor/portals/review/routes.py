"""Pages of the review portal: the copyright team's console (``/review``), its queues
sorted by deadline, and the item pages with the decisions the API offers."""

from __future__ import annotations

from fastapi import APIRouter

from safeharbor.portals.review import cases, queues, uploads, works

router = APIRouter(include_in_schema=False)
# the item pages first: ``/review/{queue}`` would otherwise read them as queues
router.include_router(works.router)
router.include_router(uploads.router)
router.include_router(cases.router)
router.include_router(queues.router)
