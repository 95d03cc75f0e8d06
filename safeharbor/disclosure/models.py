"""Disclosure requests: a rights holder (with a valid notice) or an authority (for an
investigation) asking for an uploader's identity and records, and the platform's decision.

The personal data itself is never copied here: a granted request is a permission, checked
each time the data is read, so revoking or expiring it stops access at once, and every
read is its own ledger record (``disclosure.deliver``)."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from safeharbor.db import Base


class DisclosureKind(enum.StrEnum):
    HOLDER = "holder"  # a rights holder, on a valid notice (US 512(h), CC 1195 practice)
    AUTHORITY = "authority"  # an administrative or judicial authority (CN Reg 13)


class DisclosureStatus(enum.StrEnum):
    PENDING = "pending"
    GRANTED = "granted"
    REFUSED = "refused"
    REVOKED = "revoked"


class DisclosureRequest(Base):
    __tablename__ = "disclosure_requests"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    requester_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    #: the case it is about: a notice (holders), or an investigation reference (authorities)
    notice_id: Mapped[int | None] = mapped_column(ForeignKey("notices.id"), index=True)
    reference: Mapped[str | None] = mapped_column(String(200))
    #: the legal ground given (a subpoena number, an order, "Reg 13"...)
    basis: Mapped[str] = mapped_column(Text)
    purpose: Mapped[str | None] = mapped_column(Text)
    #: whose records: user ids, fixed when the request is made
    subject_ids: Mapped[list[int]] = mapped_column(JSON, default=list)
    #: which records: identity | contact | network | uploads
    scope: Mapped[list[str]] = mapped_column(JSON, default=list)
    status: Mapped[str] = mapped_column(String(16), index=True)
    created_at: Mapped[datetime]
    decided_at: Mapped[datetime | None]
    decided_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    #: the reviewer's reason, for a grant as for a refusal
    reason: Mapped[str | None] = mapped_column(Text)
    expires_at: Mapped[datetime | None]
    #: content public ids the records are limited to (empty: all of the subject's uploads)
    contents: Mapped[list[str]] = mapped_column(JSON, default=list)
    extra: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
