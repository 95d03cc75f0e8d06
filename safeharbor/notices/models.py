"""Notices, the items they name, counter-notices, the clocks that run on them, and the
messages the platform sends about them."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Float, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from safeharbor.db import Base


class NoticeStatus(enum.StrEnum):
    INCOMPLETE = "incomplete"  # kept, waiting for the sender to complete it
    VALID = "valid"  # complete; locating and measures under way
    ACTED = "acted"  # every located item has its measure
    REVIEW = "review"  # something could not be located with certainty: a reviewer decides
    COUNTERED = "countered"  # a valid counter-notice is running its course
    RESTORED = "restored"  # the content came back after a counter-notice
    CLOSED = "closed"
    REJECTED = "rejected"  # found wrong or abusive


class Notice(Base):
    __tablename__ = "notices"

    id: Mapped[int] = mapped_column(primary_key=True)
    profile: Mapped[str] = mapped_column(String(16))
    sender_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    channel: Mapped[str] = mapped_column(String(16))  # web | api | csv | email | cli
    status: Mapped[str] = mapped_column(String(16), index=True)
    fields: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    missing: Mapped[list[str]] = mapped_column(JSON, default=list)
    work_id: Mapped[int | None] = mapped_column(ForeignKey("works.id"))
    #: for bulk intake: the batch and the line in it
    batch: Mapped[str | None] = mapped_column(String(40), index=True)
    created_at: Mapped[datetime]
    valid_at: Mapped[datetime | None]
    acted_at: Mapped[datetime | None]
    closed_at: Mapped[datetime | None]
    #: set when the notice is shown wrong or abusive (recorded against the sender)
    unfounded: Mapped[str | None] = mapped_column(Text)

    items: Mapped[list[NoticeItem]] = relationship(
        back_populates="notice", order_by="NoticeItem.id"
    )


class NoticeItem(Base):
    """One thing a notice names: located to a stored upload, or not (yet)."""

    __tablename__ = "notice_items"

    id: Mapped[int] = mapped_column(primary_key=True)
    notice_id: Mapped[int] = mapped_column(ForeignKey("notices.id"), index=True)
    locator: Mapped[str] = mapped_column(Text)  # the URL, id or description given
    content_id: Mapped[int | None] = mapped_column(ForeignKey("contents.id"), index=True)
    located_by: Mapped[str | None] = mapped_column(String(16))  # url | id | title | fingerprint
    certainty: Mapped[float] = mapped_column(Float, default=0.0)
    # located | unlocated | candidate (for a reviewer) | acted | restored | dismissed
    state: Mapped[str] = mapped_column(String(16))
    measure: Mapped[str | None] = mapped_column(String(16))  # remove | block | disable | forward
    acted_at: Mapped[datetime | None]
    restored_at: Mapped[datetime | None]

    notice: Mapped[Notice] = relationship(back_populates="items")


class CounterNotice(Base):
    __tablename__ = "counter_notices"

    id: Mapped[int] = mapped_column(primary_key=True)
    notice_id: Mapped[int] = mapped_column(ForeignKey("notices.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    fields: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    missing: Mapped[list[str]] = mapped_column(JSON, default=list)
    status: Mapped[str] = mapped_column(String(16))  # incomplete | valid | upheld | rejected
    created_at: Mapped[datetime]
    #: when the declaration reached the rights holder (starts the CN reasonable period)
    delivered_at: Mapped[datetime | None]
    #: the holder showed a complaint or lawsuit: the measure stays
    holder_action: Mapped[str | None] = mapped_column(Text)
    holder_action_at: Mapped[datetime | None]
    decided_at: Mapped[datetime | None]


class Deadline(Base):
    """A clock the law or the platform sets on a case; the scheduler acts when it is due."""

    __tablename__ = "deadlines"
    __table_args__ = (Index("ix_deadlines_open_due", "status", "due_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    notice_id: Mapped[int] = mapped_column(ForeignKey("notices.id"), index=True)
    counter_id: Mapped[int | None] = mapped_column(ForeignKey("counter_notices.id"))
    clock: Mapped[str] = mapped_column(String(24))  # act | restore | review | ...
    due_at: Mapped[datetime]
    remind_at: Mapped[datetime | None]
    reminded_at: Mapped[datetime | None]
    status: Mapped[str] = mapped_column(
        String(16), default="open"
    )  # open | done | overdue | cancelled
    done_at: Mapped[datetime | None]
    note: Mapped[str | None] = mapped_column(Text)


class Message(Base):
    """What the platform tells a person about a case: kept here, and mailed when an SMTP
    server is configured (the outbox is the record of what was said and when)."""

    __tablename__ = "messages"

    id: Mapped[int] = mapped_column(primary_key=True)
    notice_id: Mapped[int | None] = mapped_column(ForeignKey("notices.id"), index=True)
    to_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    to_address: Mapped[str | None] = mapped_column(String(320))
    from_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    kind: Mapped[str] = mapped_column(String(32))
    subject: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime]
    sent_at: Mapped[datetime | None]
    send_error: Mapped[str | None] = mapped_column(Text)
