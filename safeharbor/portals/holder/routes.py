"""Pages of the holder portal (``/holder``): the dashboard, works and licences, filing
notices, cases, disclosure and evidence, each in its own module."""

from __future__ import annotations

from fastapi import APIRouter

from safeharbor.portals.holder import cases, dashboard, disclosure, filing, works

router = APIRouter(include_in_schema=False)
for _module in (dashboard, works, filing, cases, disclosure):
    router.include_router(_module.router)
