"""Accounts made to evade a termination: a new account whose identity matches a
terminated one (the same verified identity, real name with phone or email; the same
email; the same phone) is caught when it is created. Without this a termination policy
is not "reasonably implemented" (512(i)): the person would simply sign up again."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from safeharbor.accounts.models import User
from safeharbor.audit import service as audit
from safeharbor.clock import Clock
from safeharbor.enforcement.models import AccountStanding
from safeharbor.enforcement.policy import Level

# national and international spellings of one number share at least this many last digits
_MIN_PHONE_DIGITS = 8


def norm_email(email: str | None) -> str | None:
    return email.strip().casefold() if email and email.strip() else None


def norm_phone(phone: str | None) -> str | None:
    """Digits only, without an international prefix's leading 00."""
    if not phone:
        return None
    digits = re.sub(r"\D", "", phone)
    if digits.startswith("00"):
        digits = digits[2:]
    return digits or None


def norm_name(name: str | None) -> str | None:
    if not name or not name.strip():
        return None
    folded = unicodedata.normalize("NFKC", name).casefold()
    return " ".join(folded.split())


def same_phone(a: str | None, b: str | None) -> bool:
    """``+86 138 0000 0000`` and ``138-0000-0000`` are one number: one ends with the other
    (the country code dropped), with enough digits that it is not a coincidence."""
    if not a or not b:
        return False
    short, long_ = sorted((a, b), key=len)
    return len(short) >= _MIN_PHONE_DIGITS and long_.endswith(short)


@dataclass(frozen=True)
class Identity:
    real_name: str | None
    email: str | None
    phone: str | None

    @classmethod
    def of(cls, user: User) -> Identity:
        return cls(norm_name(user.real_name), norm_email(user.email), norm_phone(user.phone))


def why_same(new: Identity, old: Identity) -> str | None:
    """The reason two identities are one person, or None."""
    phone = same_phone(new.phone, old.phone)
    email = new.email is not None and new.email == old.email
    if new.real_name and new.real_name == old.real_name and (phone or email):
        return "same verified identity (real name and " + ("phone)" if phone else "email)")
    if email:
        return "same email address"
    if phone:
        return "same phone number"
    return None


def find_match(new: Identity, terminated: Iterable[User]) -> tuple[User, str] | None:
    for old in terminated:
        reason = why_same(new, Identity.of(old))
        if reason is not None:
            return old, reason
    return None


def catch_evasion(
    session: Session, clock: Clock, user: User, *, actor: User | None, ip: str | None
) -> str | None:
    """Called as an account is created: when it matches a terminated account it is
    created terminated, the link kept and recorded. Returns the reason, or None."""
    new = Identity.of(user)
    if new == Identity(None, None, None):
        return None
    terminated = session.scalars(
        select(User).where(User.status == "terminated", User.id != user.id).order_by(User.id)
    )
    found = find_match(new, terminated)
    if found is None:
        return None
    old, reason = found
    now = clock.now()
    user.status = "terminated"
    session.add(
        AccountStanding(
            user_id=user.id,
            level=Level.TERMINATED.value,
            active_strikes=0,
            terminated_at=now,
            changed_at=now,
            evasion_of=old.id,
            evasion_reason=reason,
        )
    )
    audit.append(
        session,
        at=now,
        action="account.evasion",
        subject_type="user",
        subject_id=user.id,
        actor_id=actor.id if actor else None,
        actor_ip=ip,
        payload={"name": user.name, "terminated_account": old.id, "reason": reason},
    )
    return f"account matches the terminated account '{old.name}': {reason}"
