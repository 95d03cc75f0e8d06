"""Tables of the enforcement domain: strikes against uploaders, their appeals, and each
account's standing under the repeat-infringer policy (US 512(i), EU DSA 23, CN SPC Prov 9).

Strikes are never deleted: an expired or removed strike stops counting but stays, with
why and when, because strikes and their enforcement are the proof that the policy is
reasonably implemented (LEGAL.md "Records", 512(i))."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from safeharbor.db import Base


class StrikeSource(enum.StrEnum):
    NOTICE = "notice"  # a takedown on a rights holder's notice
    BLOCK = "block"  # the upload screen blocked the upload
    REVIEW = "review"  # a reviewer confirmed a block of a held upload
    MANUAL = "manual"  # an administrator added it


class RemovedWhy(enum.StrEnum):
    COUNTER_NOTICE = "counter_notice"  # the notice's content was restored
    APPEAL = "appeal"  # a reviewer upheld the uploader's appeal
    EXPIRED = "expired"  # past its expiry (kept, no longer counted)
    ADMIN = "admin"  # removed by an administrator
    RELEASED = "released"  # a reviewer released the blocked upload (licence shown)


class Strike(Base):
    __tablename__ = "strikes"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    source: Mapped[str] = mapped_column(String(16))
    work_id: Mapped[int | None] = mapped_column(ForeignKey("works.id"))
    notice_id: Mapped[int | None] = mapped_column(ForeignKey("notices.id"), index=True)
    content_id: Mapped[int | None] = mapped_column(ForeignKey("contents.id"), index=True)
    screening_id: Mapped[int | None] = mapped_column(ForeignKey("screenings.id"))
    content_sha256: Mapped[str | None] = mapped_column(String(64))
    reason: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime]
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    expires_at: Mapped[datetime]
    removed_at: Mapped[datetime | None]
    removed_why: Mapped[str | None] = mapped_column(String(32))
    removed_note: Mapped[str | None] = mapped_column(Text)
    removed_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))


class StrikeAppeal(Base):
    __tablename__ = "strike_appeals"

    id: Mapped[int] = mapped_column(primary_key=True)
    strike_id: Mapped[int] = mapped_column(ForeignKey("strikes.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    statement: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), index=True)  # open | upheld | refused
    created_at: Mapped[datetime]
    decided_at: Mapped[datetime | None]
    decided_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    reason: Mapped[str | None] = mapped_column(Text)


class AccountStanding(Base):
    """Where an account stands under the policy; one row per account that ever had one."""

    __tablename__ = "account_standings"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), unique=True)
    level: Mapped[str] = mapped_column(String(16))
    active_strikes: Mapped[int] = mapped_column(Integer, default=0)
    #: set when a suspension starts; once past, the suspension is served
    suspended_until: Mapped[datetime | None]
    terminated_at: Mapped[datetime | None]
    reported_at: Mapped[datetime | None]  # reported to the copyright authority
    changed_at: Mapped[datetime]
    #: an account made to evade a termination: the terminated account it matches
    evasion_of: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    evasion_reason: Mapped[str | None] = mapped_column(Text)
