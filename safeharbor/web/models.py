"""Browser sessions and failed sign-ins (for rate limiting), kept in the database so that
every worker of a scaled-out service sees the same ones."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from safeharbor.db import Base


class WebSession(Base):
    """One browser's session. Anonymous visitors get one too (user_id NULL), so the forms
    they may fill in (sign-in, sign-up, the complaint form) carry a CSRF token."""

    __tablename__ = "web_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    # only the SHA-256 of the cookie's token is stored: a copy of the database does not
    # let anyone sign in as the session's user
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    csrf_token: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime]
    last_seen_at: Mapped[datetime]
    expires_at: Mapped[datetime] = mapped_column(index=True)
    #: one-time notices for the next page ("Notice filed"), each {"kind", "text"}
    flash: Mapped[list[dict[str, str]]] = mapped_column(JSON, default=list)


class LoginFailure(Base):
    """A failed sign-in, by account name and address, counted over a sliding window."""

    __tablename__ = "login_failures"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), index=True)
    ip: Mapped[str | None] = mapped_column(String(45), index=True)
    at: Mapped[datetime] = mapped_column(index=True)
