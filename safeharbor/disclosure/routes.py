"""API routes of the disclosure domain (included in `safeharbor/app.py`)."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(prefix="/api", tags=["disclosure"])
