"""API routes of the reports domain (included in `safeharbor/app.py`)."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(prefix="/api", tags=["reports"])
