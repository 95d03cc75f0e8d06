"""Pages of the admin portal (``/admin``): the console's overview, policies and profile,
priority lists, blacklist, sharing partners, users and roles, and the compliance
dashboard. Each module holds one part; this one combines their routers."""

from __future__ import annotations

from fastapi import APIRouter

from safeharbor.portals.admin import console, dashboard, lists, users

router = APIRouter(include_in_schema=False)
for part in (console, dashboard, lists, users):
    router.include_router(part.router)
