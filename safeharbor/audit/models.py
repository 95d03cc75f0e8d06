"""The append-only record of every screening decision and review action.

The shape is the ledger's: each record is a canonical JSON document whose leaf hash
(RFC 6962: SHA-256 over 0x00 || document) is stored with it, so the tamper-evident Merkle
log of a later issue can be built over the existing rows without rewriting them.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from safeharbor.db import Base


class Record(Base):
    __tablename__ = "records"
    __table_args__ = (Index("ix_records_subject", "subject_type", "subject_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)  # the leaf index, from 1
    at: Mapped[datetime]
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    actor_ip: Mapped[str | None] = mapped_column(String(45))
    action: Mapped[str] = mapped_column(String(64), index=True)
    subject_type: Mapped[str] = mapped_column(String(32))
    subject_id: Mapped[str] = mapped_column(String(64))
    document: Mapped[str] = mapped_column(Text)  # canonical JSON of everything above + payload
    leaf_hash: Mapped[str] = mapped_column(String(64))
