"""Creating accounts and keys, authenticating API calls, recording terms acceptance."""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from typing import Any

from argon2 import PasswordHasher
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from safeharbor.accounts.models import ApiKey, Role, TermsAcceptance, User
from safeharbor.accounts.permissions import Perm, has
from safeharbor.audit import service as audit
from safeharbor.clock import Clock
from safeharbor.errors import Conflict, InvalidInput, NotFound, Unauthorized

# Letters (any script), digits, and a few separators: no markup, no control characters,
# so a name is safe wherever it is shown and cannot pose as another.
_NAME_RE = re.compile(r"^[\w][\w .@+\-]{0,63}$", re.UNICODE)
_EMAIL_RE = re.compile(r"^[^@\s<>]+@[^@\s<>]+\.[^@\s<>]+$")
_PHONE_RE = re.compile(r"^\+?[0-9 ()\-]{5,40}$")

_hasher = PasswordHasher()


def validate_name(name: str) -> str:
    name = name.strip()
    if not _NAME_RE.match(name):
        raise InvalidInput(
            f"invalid user name {name!r}: use 1-64 letters, digits, spaces or . @ + - _ "
            "(no markup or control characters)"
        )
    return name


@dataclass
class AccountService:
    session: Session
    clock: Clock

    def create_user(
        self,
        name: str,
        role: str,
        *,
        email: str | None = None,
        phone: str | None = None,
        real_name: str | None = None,
        password: str | None = None,
        ip: str | None = None,
        actor: User | None = None,
    ) -> User:
        name = validate_name(name)
        try:
            role_v = Role(role)
        except ValueError:
            roles = ", ".join(r.value for r in Role)
            raise InvalidInput(f"unknown role {role!r}: choose one of {roles}") from None
        if email is not None and not _EMAIL_RE.match(email):
            raise InvalidInput(f"invalid email address {email!r}")
        if phone is not None and not _PHONE_RE.match(phone):
            raise InvalidInput(f"invalid phone number {phone!r}")
        if real_name is not None and ("<" in real_name or ">" in real_name):
            raise InvalidInput("real name may not contain markup")
        if self.session.scalar(select(User).where(User.name == name)):
            raise Conflict(f"user {name!r} already exists")
        user = User(
            name=name,
            role=role_v.value,
            email=email,
            phone=phone,
            real_name=real_name,
            # the person's own address when they sign up, not an administrator's
            registration_ip=ip if actor is None else None,
            password_hash=_hasher.hash(password) if password else None,
            created_at=self.clock.now(),
        )
        self.session.add(user)
        self.session.flush()
        audit.append(
            self.session,
            at=user.created_at,
            action="user.create",
            subject_type="user",
            subject_id=user.id,
            actor_id=actor.id if actor else None,
            actor_ip=ip,
            payload={"name": user.name, "role": user.role},
        )
        # a new account of someone terminated as a repeat infringer is created terminated,
        # linked to the old one (a termination policy must not end at a new sign-up)
        from safeharbor.enforcement.evasion import catch_evasion

        catch_evasion(self.session, self.clock, user, actor=actor, ip=ip)
        return user

    def get(self, name_or_id: str | int) -> User:
        if isinstance(name_or_id, int) or str(name_or_id).isdigit():
            user = self.session.get(User, int(name_or_id))
            if user is None:
                user = self.session.scalar(select(User).where(User.name == str(name_or_id)))
        else:
            user = self.session.scalar(select(User).where(User.name == name_or_id))
        if user is None:
            raise NotFound(f"no user {name_or_id!r}")
        return user

    def get_or_create(self, name: str, role: str, actor: User | None = None) -> User:
        name = validate_name(name)
        existing = self.session.scalar(select(User).where(User.name == name))
        return existing or self.create_user(name, role, actor=actor)

    def for_contact_email(
        self, email: str, display: str | None = None, ip: str | None = None
    ) -> User:
        """The account a notice from ``email`` is filed under (web form, mail): the one with
        that address (a holder account first, where several share it), or a new holder
        account, so that nothing a sender files is lost for want of an account."""
        email = email.strip()
        if not _EMAIL_RE.match(email):
            raise InvalidInput(f"invalid email address {email[:80]!r}")
        users = list(
            self.session.scalars(
                select(User).where(func.lower(User.email) == email.lower()).order_by(User.id)
            )
        )
        found = next((u for u in users if u.role == Role.HOLDER), users[0] if users else None)
        if found is not None:
            return found
        # the local part, made safe, and a hash of the whole address: two senders called
        # "legal" at different firms do not collide
        local = re.sub(r"[^a-z0-9._+\-]", "", email.rsplit("@", 1)[0].lower()).lstrip("._+-")
        digest = hashlib.sha256(email.lower().encode()).hexdigest()
        for taken in range(4):
            name = f"{local[:40] or 'sender'}-{digest[: 8 + 8 * taken]}"
            if self.session.scalar(select(User.id).where(User.name == name)) is None:
                break
        real = display.strip()[:200] if display and not set("<>") & set(display) else None
        return self.create_user(name, Role.HOLDER.value, email=email, real_name=real, ip=ip)

    def create_api_key(
        self, user: User, label: str | None = None, actor: User | None = None, ip: str | None = None
    ) -> str:
        """A new key for ``user``, returned once; only its hash is kept."""
        key = "shk_" + secrets.token_urlsafe(32)
        row = ApiKey(
            user_id=user.id,
            key_hash=_key_hash(key),
            prefix=key[:12],
            label=label,
            created_at=self.clock.now(),
        )
        self.session.add(row)
        self.session.flush()
        audit.append(
            self.session,
            at=row.created_at,
            action="apikey.create",
            subject_type="user",
            subject_id=user.id,
            actor_id=(actor or user).id,
            actor_ip=ip,
            payload={"key": row.id, "prefix": row.prefix, "label": label},
        )
        return key

    def revoke_api_key(self, user: User, prefix: str, actor: User, ip: str | None = None) -> int:
        """Revoke ``user``'s keys starting with ``prefix``; returns how many."""
        if len(prefix) < 8:
            raise InvalidInput("give at least the first 8 characters of the key")
        now = self.clock.now()
        rows = [
            k
            for k in self.session.scalars(select(ApiKey).where(ApiKey.user_id == user.id))
            if k.revoked_at is None and (k.prefix.startswith(prefix) or prefix.startswith(k.prefix))
        ]
        if not rows:
            raise NotFound(f"no active key {prefix}... for '{user.name}'")
        for k in rows:
            k.revoked_at = now
            audit.append(
                self.session,
                at=now,
                action="apikey.revoke",
                subject_type="user",
                subject_id=user.id,
                actor_id=actor.id,
                actor_ip=ip,
                payload={"key": k.id, "prefix": k.prefix},
            )
        return len(rows)

    def set_status(self, user: User, status: str, actor: User, ip: str | None = None) -> User:
        """Suspend or reactivate an account (a suspended account's keys stop working)."""
        if status not in ("active", "suspended"):
            raise InvalidInput("status must be 'active' or 'suspended'")
        before, user.status = user.status, status
        audit.append(
            self.session,
            at=self.clock.now(),
            action="user.status",
            subject_type="user",
            subject_id=user.id,
            actor_id=actor.id,
            actor_ip=ip,
            payload={"from": before, "to": status},
        )
        return user

    def authenticate(self, key: str, *, restricted_ok: bool = False) -> User:
        """The key's user. A suspended or terminated account is refused, except where
        ``restricted_ok``: the routes by which such a user sees their strikes and appeals
        them (a repeat-infringer policy must leave a way to contest it)."""
        row = self.session.scalar(select(ApiKey).where(ApiKey.key_hash == _key_hash(key)))
        if row is None or row.revoked_at is not None:
            raise Unauthorized("invalid or revoked API key")
        if row.user.status != "active" and not (
            restricted_ok and row.user.status in ("suspended", "terminated")
        ):
            raise Unauthorized(f"account '{row.user.name}' is {row.user.status}")
        return row.user

    def set_profile(
        self,
        user: User,
        fields: dict[str, str],
        *,
        blocked: dict[str, list[dict[str, Any]]],
        ip: str | None = None,
    ) -> User:
        """Store public profile fields (already checked: ``blocked`` lists the blacklisted
        links that were disabled in them)."""
        user.profile = {**(user.profile or {}), **fields}
        audit.append(
            self.session,
            at=self.clock.now(),
            action="profile.update",
            subject_type="user",
            subject_id=user.id,
            actor_id=user.id,
            actor_ip=ip,
            payload={"fields": sorted(fields), "blacklisted_links": blocked},
        )
        return user

    def view_for(self, user: User, viewer: User, ip: str | None = None) -> dict[str, Any]:
        """``user_view``, and when it shows someone's personal data to another person (a
        reviewer, an admin), a ledger record of that access: personal data is shown only
        to those entitled, and each showing is accounted for."""
        view = user_view(user, viewer)
        if viewer.id != user.id and "email" in view:
            audit.append(
                self.session,
                at=self.clock.now(),
                action="personal_data.view",
                subject_type="user",
                subject_id=user.id,
                actor_id=viewer.id,
                actor_ip=ip,
                payload={"fields": sorted(k for k in view if k not in _PUBLIC_FIELDS)},
            )
        return view

    def accept_terms(self, user: User, version: str, ip: str | None) -> bool:
        """Record acceptance once per terms version; returns True if newly accepted."""
        if user.terms_version == version:
            return False
        now = self.clock.now()
        user.terms_version = version
        user.terms_accepted_at = now
        self.session.add(TermsAcceptance(user_id=user.id, version=version, accepted_at=now, ip=ip))
        audit.append(
            self.session,
            at=now,
            action="terms.accept",
            subject_type="user",
            subject_id=user.id,
            actor_id=user.id,
            actor_ip=ip,
            payload={"version": version},
        )
        return True


def _key_hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


_PUBLIC_FIELDS = frozenset({"id", "name", "role", "status", "created_at", "profile"})


def user_view(user: User, viewer: User | None) -> dict[str, Any]:
    """A user as ``viewer`` may see them: personal data only for the user themself and
    platform staff (reviewers, admins); everyone else sees the public part."""
    out: dict[str, Any] = {
        "id": user.id,
        "name": user.name,
        "role": user.role,
        "status": user.status,
        "created_at": user.created_at.isoformat(),
        "profile": dict(user.profile or {}),
    }
    if viewer is not None and (viewer.id == user.id or has(viewer, Perm.VIEW_PERSONAL_DATA)):
        out.update(
            real_name=user.real_name,
            email=user.email,
            phone=user.phone,
            registration_ip=user.registration_ip,
            terms_version=user.terms_version,
            terms_accepted_at=user.terms_accepted_at.isoformat()
            if user.terms_accepted_at
            else None,
        )
    return out
