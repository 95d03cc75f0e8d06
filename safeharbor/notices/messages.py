"""The outbox: everything the platform tells a person about a case.

A message is stored first (it is the record of what was said, and when), then mailed by
``deliver`` when an SMTP server is configured (``smtp_host``); a failed delivery is kept
with its error and tried again on the next run.
"""

from __future__ import annotations

import smtplib
from email.message import EmailMessage

from sqlalchemy import select
from sqlalchemy.orm import Session

from safeharbor.accounts.models import User
from safeharbor.clock import Clock
from safeharbor.config import Settings
from safeharbor.notices.models import Message


def post(
    session: Session,
    clock: Clock,
    *,
    to: User | None,
    kind: str,
    subject: str,
    body: str,
    notice_id: int | None = None,
    sender: User | None = None,
    to_address: str | None = None,
) -> Message:
    msg = Message(
        notice_id=notice_id,
        to_user_id=to.id if to else None,
        to_address=to_address or (to.email if to else None),
        from_user_id=sender.id if sender else None,
        kind=kind,
        subject=subject[:300],
        body=body,
        created_at=clock.now(),
    )
    session.add(msg)
    return msg


def inbox(session: Session, user: User) -> list[Message]:
    return list(
        session.scalars(select(Message).where(Message.to_user_id == user.id).order_by(Message.id))
    )


def deliver(session: Session, settings: Settings, clock: Clock, limit: int = 200) -> int:
    """Mail unsent messages that have an address; returns how many went out."""
    if not settings.smtp_host:
        return 0
    pending = session.scalars(
        select(Message)
        .where(Message.sent_at.is_(None), Message.to_address.is_not(None))
        .order_by(Message.id)
        .limit(limit)
    ).all()
    if not pending:
        return 0
    sent = 0
    with smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=30) as smtp:
        for msg in pending:
            mail = EmailMessage()
            mail["From"] = settings.mail_from
            mail["To"] = msg.to_address or ""
            mail["Subject"] = msg.subject
            mail.set_content(msg.body)  # plain text: nothing a sender typed can run
            try:
                smtp.send_message(mail)
            except smtplib.SMTPException as exc:
                msg.send_error = str(exc)[:500]
                continue
            msg.sent_at = clock.now()
            msg.send_error = None
            sent += 1
    return sent
