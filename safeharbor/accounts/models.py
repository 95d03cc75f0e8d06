"""Accounts: people and systems that use safeharbor, their roles and API keys."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import JSON, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from safeharbor.db import Base


class Role(enum.StrEnum):
    HOLDER = "holder"
    UPLOADER = "uploader"
    REVIEWER = "reviewer"
    ADMIN = "admin"
    AUTHORITY = "authority"


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    role: Mapped[str] = mapped_column(String(16), index=True)
    status: Mapped[str] = mapped_column(String(16), default="active")
    created_at: Mapped[datetime]
    # Personal data (court guideline 9.10(3) asks the platform to keep it): shown only to
    # the user, reviewers/admins and, through a recorded disclosure, those entitled.
    real_name: Mapped[str | None] = mapped_column(String(200))
    email: Mapped[str | None] = mapped_column(String(320))
    phone: Mapped[str | None] = mapped_column(String(40))
    registration_ip: Mapped[str | None] = mapped_column(String(45))
    password_hash: Mapped[str | None] = mapped_column(Text)
    terms_version: Mapped[str | None] = mapped_column(String(32))
    terms_accepted_at: Mapped[datetime | None]
    #: public profile fields (homepage, bio): shown to everyone, so their links are
    #: checked against the blacklist when set
    profile: Mapped[dict[str, str]] = mapped_column(JSON, default=dict, server_default="{}")

    api_keys: Mapped[list[ApiKey]] = relationship(back_populates="user")


class ApiKey(Base):
    __tablename__ = "api_keys"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    # Only a hash is stored; the key is shown once, at creation.
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    prefix: Mapped[str] = mapped_column(String(12))
    label: Mapped[str | None] = mapped_column(String(100))
    created_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None]

    user: Mapped[User] = relationship(back_populates="api_keys")


class TermsAcceptance(Base):
    """The uploader's acceptance of the warning not to upload others' works."""

    __tablename__ = "terms_acceptances"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    version: Mapped[str] = mapped_column(String(32))
    accepted_at: Mapped[datetime]
    ip: Mapped[str | None] = mapped_column(String(45))
