"""Uploaded content, its screenings and the uploader's answers to a hold."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Float, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from safeharbor.db import Base


class Decision(enum.StrEnum):
    ALLOW = "allow"
    ALLOW_LICENSED = "allow-licensed"
    HOLD = "hold"  # until the uploader proves ownership or a licence
    BLOCK = "block"
    REVIEW = "review"

    @property
    def severity(self) -> int:
        return _SEVERITY[self]


_SEVERITY = {
    Decision.ALLOW: 0,
    Decision.ALLOW_LICENSED: 1,
    Decision.REVIEW: 2,
    Decision.HOLD: 3,
    Decision.BLOCK: 4,
}


class ContentState(enum.StrEnum):
    AVAILABLE = "available"
    HELD = "held"  # held for proof or for a reviewer; not visible to others
    BLOCKED = "blocked"
    REMOVED = "removed"
    DISABLED = "disabled"  # link disabled
    RESTORED = "restored"


DECISION_STATE = {
    Decision.ALLOW: ContentState.AVAILABLE,
    Decision.ALLOW_LICENSED: ContentState.AVAILABLE,
    Decision.HOLD: ContentState.HELD,
    Decision.REVIEW: ContentState.HELD,
    Decision.BLOCK: ContentState.BLOCKED,
}


class Content(Base):
    """One upload: what the platform stores and shows at ``/c/{public_id}``."""

    __tablename__ = "contents"

    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[str] = mapped_column(String(32), unique=True)
    uploader_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    title: Mapped[str | None] = mapped_column(String(500))
    filename: Mapped[str | None] = mapped_column(String(500))
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    size: Mapped[int] = mapped_column(Integer)
    modality: Mapped[str] = mapped_column(String(16))
    mime: Mapped[str] = mapped_column(String(100))
    upload_ip: Mapped[str | None] = mapped_column(String(45))
    client: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime]
    state: Mapped[str] = mapped_column(String(16), index=True)
    decision: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str] = mapped_column(Text)
    next_step: Mapped[str | None] = mapped_column(Text)
    risk_score: Mapped[float] = mapped_column(Float, default=0.0)
    risk_reasons: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    media_info: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # kinds of promotion granted after the stricter re-screen (feature, ads, ...)
    promotions: Mapped[list[str]] = mapped_column(JSON, default=list)


class Screening(Base):
    """One run of the screen over a content (at upload, before promotion, on re-check)."""

    __tablename__ = "screenings"

    id: Mapped[int] = mapped_column(primary_key=True)
    content_id: Mapped[int] = mapped_column(ForeignKey("contents.id"), index=True)
    purpose: Mapped[str] = mapped_column(String(20))  # upload | promotion:<kind> | review
    decision: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str] = mapped_column(Text)
    matches: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    fingerprints: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    notes: Mapped[list[str]] = mapped_column(JSON, default=list)
    elapsed_ms: Mapped[float] = mapped_column(Float, default=0.0)
    created_at: Mapped[datetime]


class HoldResponse(Base):
    """The uploader's answer to a hold: a licence or proof of ownership, for a reviewer."""

    __tablename__ = "hold_responses"

    id: Mapped[int] = mapped_column(primary_key=True)
    content_id: Mapped[int] = mapped_column(ForeignKey("contents.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16))  # licence | ownership
    statement: Mapped[str | None] = mapped_column(Text)
    document_sha256: Mapped[str | None] = mapped_column(String(64))
    document_name: Mapped[str | None] = mapped_column(String(500))
    status: Mapped[str] = mapped_column(String(16), default="open")  # open | accepted | refused
    created_at: Mapped[datetime]
    decided_at: Mapped[datetime | None]
    decided_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decision_note: Mapped[str | None] = mapped_column(Text)
