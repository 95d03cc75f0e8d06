"""API routes of the sharing domain (included in `safeharbor/app.py`)."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(prefix="/api", tags=["sharing"])
