"""Tables of the blacklists domain: infringing websites, pages and apps."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, Text, true
from sqlalchemy.orm import Mapped, mapped_column

from safeharbor.db import Base


class BlacklistEntry(Base):
    """One listed site (``domain``), page or URL pattern (``url``) or app (``app``).

    Entries are never deleted: removal sets ``active`` false with who and when, so what
    was listed on a given day can always be answered."""

    __tablename__ = "blacklist_entries"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(8))  # domain | url | app
    #: as written by whoever listed it
    pattern: Mapped[str] = mapped_column(Text)
    #: the normal form it is matched by (``blacklists.matcher.pattern_key``)
    key: Mapped[str] = mapped_column(String(1000), index=True)
    #: who listed it: "platform", a partner ("partner:<name>"), or an administrative list
    #: ("ncac-2026-07", as given at import)
    source: Mapped[str] = mapped_column(String(200), index=True)
    reason: Mapped[str] = mapped_column(Text)
    listed_at: Mapped[datetime]
    listed_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    #: the import that brought it (one id per imported file), if any
    batch: Mapped[str | None] = mapped_column(String(40), index=True)
    active: Mapped[bool] = mapped_column(default=True, server_default=true())
    removed_at: Mapped[datetime | None]
    removed_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
