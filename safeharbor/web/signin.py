"""Signing in with a password (argon2id hashes), with failed attempts rate limited per
account and per address, and every outcome recorded."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from safeharbor.accounts.models import User
from safeharbor.audit import service as audit
from safeharbor.clock import Clock
from safeharbor.db import Database
from safeharbor.errors import InvalidInput, SafeharborError, Unauthorized
from safeharbor.web.models import LoginFailure

_hasher = PasswordHasher()
#: verified against when the account does not exist, so the time taken does not tell
#: whether a name is registered
_DUMMY_HASH = _hasher.hash("not a password of anyone")
MIN_PASSWORD = 10


class TooManyAttempts(SafeharborError):
    status = 429


def check_new_password(password: str, name: str) -> str:
    if len(password) < MIN_PASSWORD:
        raise InvalidInput(f"the password must be at least {MIN_PASSWORD} characters long")
    if len(password) > 1024:
        raise InvalidInput("the password is too long (at most 1,024 characters)")
    if name and name.lower() in password.lower():
        raise InvalidInput("the password may not contain the account name")
    return password


def hash_password(password: str) -> str:
    return _hasher.hash(password)


@dataclass
class SignIn:
    db: Session
    database: Database  # for what must be stored even when the request fails
    clock: Clock
    #: failures allowed per account (from any address) and per address (any account)
    per_account: int = 5
    per_address: int = 20
    window: timedelta = timedelta(minutes=15)

    def _failures(self, *, username: str | None = None, ip: str | None = None) -> int:
        since = self.clock.now() - self.window
        q = select(func.count()).select_from(LoginFailure).where(LoginFailure.at > since)
        if username is not None:
            q = q.where(LoginFailure.username == username.lower())
        if ip is not None:
            q = q.where(LoginFailure.ip == ip)
        return int(self.db.scalar(q) or 0)

    def check(self, name: str, password: str, ip: str | None) -> User:
        """The account ``name`` if ``password`` is its password and it may sign in.

        Refused before any hash is checked when the account or the address has failed too
        often in the window, so guessing is bounded whatever the password."""
        name = name.strip()
        if self._failures(username=name) >= self.per_account or (
            ip is not None and self._failures(ip=ip) >= self.per_address
        ):
            minutes = int(self.window.total_seconds() // 60)
            audit.append_apart(
                self.database,
                at=self.clock.now(),
                action="signin.throttled",
                subject_type="user",
                subject_id=name[:64],
                actor_ip=ip,
                payload={"name": name[:64]},
            )
            raise TooManyAttempts(f"too many failed sign-ins: wait {minutes} minutes and try again")
        user = self.db.scalar(select(User).where(User.name == name))
        stored = user.password_hash if user is not None else None
        ok = False
        try:
            ok = _hasher.verify(stored or _DUMMY_HASH, password) and stored is not None
        except (VerificationError, InvalidHashError):
            ok = False
        if not ok or user is None:
            # stored apart: the failure must count although the request ends in an error,
            # which rolls the unit of work back
            with self.database.session() as own:
                own.add(LoginFailure(username=name.lower()[:64], ip=ip, at=self.clock.now()))
            raise Unauthorized("wrong account name or password")
        if user.status != "active":
            raise Unauthorized(f"account '{user.name}' is {user.status}")
        if _hasher.check_needs_rehash(stored or ""):
            user.password_hash = _hasher.hash(password)
        self.db.execute(delete(LoginFailure).where(LoginFailure.username == name.lower()))
        audit.append(
            self.db,
            at=self.clock.now(),
            action="signin",
            subject_type="user",
            subject_id=user.id,
            actor_id=user.id,
            actor_ip=ip,
            payload={"method": "password"},
        )
        return user

    def set_password(self, user: User, password: str, *, actor: User, ip: str | None) -> None:
        user.password_hash = hash_password(check_new_password(password, user.name))
        audit.append(
            self.db,
            at=self.clock.now(),
            action="user.password",
            subject_type="user",
            subject_id=user.id,
            actor_id=actor.id,
            actor_ip=ip,
            payload={},
        )
