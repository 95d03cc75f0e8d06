"""Tables of the sharing domain: partner platforms, the packages imported from them, and
the shared items (a work's or a taken-down upload's fingerprints) they brought."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from safeharbor.db import Base


class Trust(enum.StrEnum):
    TRUSTED = "trusted"  # a match holds the upload for proof of ownership or a licence
    REVIEW = "review"  # a match sends the upload to a reviewer
    IGNORE = "ignore"  # kept, never used


class Partner(Base):
    __tablename__ = "partners"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    #: the partner's Ed25519 public key (PEM): its packages must be signed with it
    public_key: Mapped[str] = mapped_column(Text)
    key_id: Mapped[str] = mapped_column(String(64))
    trust: Mapped[str] = mapped_column(String(8), default=Trust.REVIEW)
    added_at: Mapped[datetime]
    added_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    trust_changed_at: Mapped[datetime | None]


class SharedImport(Base):
    """One package imported from a partner."""

    __tablename__ = "shared_imports"

    id: Mapped[int] = mapped_column(primary_key=True)
    partner_id: Mapped[int] = mapped_column(ForeignKey("partners.id"), index=True)
    #: SHA-256 of the manifest: the same package is imported once
    manifest_sha256: Mapped[str] = mapped_column(String(64), index=True)
    created_at: Mapped[datetime | None]  # when the partner made it (its manifest says)
    imported_at: Mapped[datetime]
    imported_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    counts: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class SharedItem(Base):
    """One shared work or taken-down item: its fingerprints are a ``Reference`` with
    source "shared" (screened against, trust deciding what a match does)."""

    __tablename__ = "shared_items"

    id: Mapped[int] = mapped_column(primary_key=True)
    partner_id: Mapped[int] = mapped_column(ForeignKey("partners.id"), index=True)
    import_id: Mapped[int] = mapped_column(ForeignKey("shared_imports.id"), index=True)
    #: the partner's own id for it ("work:12"): a later package updates, not duplicates
    item: Mapped[str] = mapped_column(String(100))
    reference_id: Mapped[int] = mapped_column(ForeignKey("match_references.id"), index=True)
    title: Mapped[str] = mapped_column(String(500))
    work_type: Mapped[str] = mapped_column(String(16))
    holder: Mapped[str | None] = mapped_column(String(200))
    reason: Mapped[str | None] = mapped_column(Text)
    tags: Mapped[list[str]] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime]

    partner: Mapped[Partner] = relationship()
