"""Pages of the uploader portal (``/uploader``): uploads and their decisions, the terms,
answers to holds, notices against my content and counter-notices, strikes and appeals.
Holders upload too (``Perm.UPLOAD``), so the portal is theirs as well."""

from __future__ import annotations

from fastapi import APIRouter

from safeharbor.portals.uploader import notices, strikes, uploads

router = APIRouter(include_in_schema=False)
router.include_router(uploads.router)
router.include_router(notices.router)
router.include_router(strikes.router)
