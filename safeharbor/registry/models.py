"""The copyright database: works, their ownership proofs, licences, priority lists, and
the references (fingerprint sets) the screen matches uploads against."""

from __future__ import annotations

import enum
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Integer, LargeBinary, String, Text, true
from sqlalchemy.orm import Mapped, mapped_column, relationship

from safeharbor.db import Base


class WorkStatus(enum.StrEnum):
    PENDING = "pending"  # waiting for a reviewer
    NEEDS_INFO = "needs_info"  # reviewer asked the holder for more proof
    CONFLICT = "conflict"  # another holder claims the same content
    APPROVED = "approved"  # a reference: uploads are screened against it
    REJECTED = "rejected"
    WITHDRAWN = "withdrawn"


class Work(Base):
    __tablename__ = "works"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(500))
    work_type: Mapped[str] = mapped_column(String(16))
    holder_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    status: Mapped[str] = mapped_column(String(16), index=True, default=WorkStatus.PENDING)
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    size: Mapped[int] = mapped_column(Integer)
    modality: Mapped[str] = mapped_column(String(16))
    mime: Mapped[str] = mapped_column(String(100))
    filename: Mapped[str | None] = mapped_column(String(500))
    certificate_number: Mapped[str | None] = mapped_column(String(100))
    statement: Mapped[str | None] = mapped_column(Text)
    review_note: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime]
    reviewed_at: Mapped[datetime | None]
    reviewed_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    proofs: Mapped[list[OwnershipProof]] = relationship(back_populates="work")
    references: Mapped[list[Reference]] = relationship(back_populates="work")


class OwnershipProof(Base):
    """A document, certificate or statement that the holder owns the work."""

    __tablename__ = "ownership_proofs"

    id: Mapped[int] = mapped_column(primary_key=True)
    work_id: Mapped[int] = mapped_column(ForeignKey("works.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20))  # document | certificate | statement
    filename: Mapped[str | None] = mapped_column(String(500))
    sha256: Mapped[str | None] = mapped_column(String(64))
    note: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime]

    work: Mapped[Work] = relationship(back_populates="proofs")


class OwnershipConflict(Base):
    """Two holders claim the same content; a reviewer decides who owns it."""

    __tablename__ = "ownership_conflicts"

    id: Mapped[int] = mapped_column(primary_key=True)
    work_id: Mapped[int] = mapped_column(ForeignKey("works.id"), index=True)
    other_work_id: Mapped[int] = mapped_column(ForeignKey("works.id"), index=True)
    signal: Mapped[str] = mapped_column(String(32))
    score: Mapped[float]
    status: Mapped[str] = mapped_column(String(16), default="open")  # open | resolved
    resolution: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime]
    resolved_at: Mapped[datetime | None]


class Licence(Base):
    """Permission from the holder: to one named uploader, or to everyone, for a period."""

    __tablename__ = "licences"

    id: Mapped[int] = mapped_column(primary_key=True)
    work_id: Mapped[int] = mapped_column(ForeignKey("works.id"), index=True)
    licensee_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    granted_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    starts_at: Mapped[datetime]
    ends_at: Mapped[datetime | None]
    terms: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None]


class PriorityList(enum.StrEnum):
    AUTHORITY = "authority"  # on an authority's protection notice (e.g. NCAC key list)
    RELEASE_WINDOW = "release_window"  # in theatrical release or broadcast


class PriorityEntry(Base):
    __tablename__ = "priority_entries"

    id: Mapped[int] = mapped_column(primary_key=True)
    work_id: Mapped[int] = mapped_column(ForeignKey("works.id"), index=True)
    list_name: Mapped[str] = mapped_column(String(20))
    source: Mapped[str | None] = mapped_column(String(300))  # e.g. the notice's number
    starts_at: Mapped[datetime]
    ends_at: Mapped[datetime | None]
    note: Mapped[str | None] = mapped_column(Text)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime]
    removed_at: Mapped[datetime | None]


class Reference(Base):
    """A set of fingerprints the screen matches against: a registered work's content now,
    taken-down content (the stay-down list) later. Index entries are keyed by its id."""

    __tablename__ = "match_references"

    id: Mapped[int] = mapped_column(primary_key=True)
    work_id: Mapped[int | None] = mapped_column(ForeignKey("works.id"), index=True)
    # work: a registered work (screened against); staydown: content taken down on notice
    # (screened against, so re-uploads are caught); content: a stored upload (searched when
    # a notice names a work but no address)
    source: Mapped[str] = mapped_column(String(16), default="work", index=True)
    content_id: Mapped[int | None] = mapped_column(ForeignKey("contents.id"), index=True)
    notice_id: Mapped[int | None] = mapped_column(ForeignKey("notices.id"))
    active: Mapped[bool] = mapped_column(default=True, server_default=true())
    created_at: Mapped[datetime]

    work: Mapped[Work | None] = relationship(back_populates="references")
    fingerprints: Mapped[list[ReferenceFingerprint]] = relationship(
        back_populates="reference", cascade="all, delete-orphan"
    )


class ReferenceFingerprint(Base):
    __tablename__ = "reference_fingerprints"

    id: Mapped[int] = mapped_column(primary_key=True)
    reference_id: Mapped[int] = mapped_column(ForeignKey("match_references.id"), index=True)
    signal: Mapped[str] = mapped_column(String(32), index=True)
    kind: Mapped[str] = mapped_column(String(32))
    value: Mapped[bytes] = mapped_column(LargeBinary)
    quality: Mapped[int] = mapped_column(Integer, default=100)
    meta: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)

    reference: Mapped[Reference] = relationship(back_populates="fingerprints")


def fingerprint_rows(fingerprints: Iterable[Any]) -> list[ReferenceFingerprint]:
    """Rows for a reference from fingerprints (``signals.base.Fingerprint`` or other rows)."""
    return [
        ReferenceFingerprint(
            signal=fp.signal, kind=fp.kind, value=fp.value, quality=fp.quality, meta=fp.meta
        )
        for fp in fingerprints
    ]
