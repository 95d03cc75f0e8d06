"""Browser sessions: a random token in an HttpOnly cookie, its hash in the database.

A session is made for every visitor who is shown a form (so sign-in and the complaint form
carry a CSRF token too); signing in replaces it with a new one (no session fixation), and
signing out or expiry ends it.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from safeharbor.accounts.models import User
from safeharbor.clock import Clock, as_utc
from safeharbor.web.models import WebSession

COOKIE = "sh_session"


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass
class SessionService:
    db: Session
    clock: Clock
    hours: float = 12.0

    def start(self, user: User | None = None) -> tuple[str, WebSession]:
        """A new session (signed in as ``user`` when given) and the cookie's token."""
        token = secrets.token_urlsafe(32)
        now = self.clock.now()
        row = WebSession(
            token_hash=token_hash(token),
            user_id=user.id if user else None,
            csrf_token=secrets.token_urlsafe(32),
            created_at=now,
            last_seen_at=now,
            expires_at=now + timedelta(hours=self.hours),
            flash=[],
        )
        self.db.add(row)
        self.db.flush()
        return token, row

    def load(self, token: str | None) -> WebSession | None:
        """The live session of a cookie's token, or None (unknown or expired)."""
        if not token or len(token) > 100:
            return None
        row = self.db.scalar(select(WebSession).where(WebSession.token_hash == token_hash(token)))
        if row is None:
            return None
        now = self.clock.now()
        if as_utc(row.expires_at) <= now:
            self.db.delete(row)
            return None
        # sliding expiry, written at most once a minute so reading pages stays cheap
        if now - as_utc(row.last_seen_at) > timedelta(minutes=1):
            row.last_seen_at = now
            row.expires_at = now + timedelta(hours=self.hours)
        return row

    def end(self, row: WebSession) -> None:
        self.db.delete(row)

    def end_all(self, user: User, keep: WebSession | None = None) -> int:
        """Every session of ``user`` but ``keep`` (a password change, a suspension)."""
        q = delete(WebSession).where(WebSession.user_id == user.id)
        if keep is not None:
            q = q.where(WebSession.id != keep.id)
        result = self.db.execute(q)
        return int(getattr(result, "rowcount", 0) or 0)

    def purge_expired(self) -> int:
        result = self.db.execute(
            delete(WebSession).where(WebSession.expires_at <= self.clock.now())
        )
        return int(getattr(result, "rowcount", 0) or 0)
