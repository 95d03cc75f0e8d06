"""Appending to, and reading, the record of decisions and actions."""

from __future__ import annotations

import hashlib
import json
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import event, select
from sqlalchemy.orm import Session

from safeharbor.audit.models import Record

if TYPE_CHECKING:
    from safeharbor.db import Database


class AppendOnlyError(RuntimeError):
    pass


def canonical_json(doc: dict[str, Any]) -> str:
    """One spelling per document (sorted keys, no spaces, UTF-8) so the hash is stable."""
    return json.dumps(doc, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


def leaf_hash(document: str) -> str:
    # RFC 6962 section 2.1: leaf hashes are prefixed with 0x00, interior nodes with 0x01,
    # so a leaf can never be passed off as an interior node.
    return hashlib.sha256(b"\x00" + document.encode("utf-8")).hexdigest()


def append(
    session: Session,
    *,
    at: datetime,
    action: str,
    subject_type: str,
    subject_id: str | int,
    actor_id: int | None = None,
    actor_ip: str | None = None,
    payload: dict[str, Any] | None = None,
) -> Record:
    doc = {
        "at": at.isoformat(),
        "action": action,
        "subject": {"type": subject_type, "id": str(subject_id)},
        "actor": {"id": actor_id, "ip": actor_ip},
        "payload": payload or {},
    }
    text = canonical_json(doc)
    rec = Record(
        at=at,
        actor_id=actor_id,
        actor_ip=actor_ip,
        action=action,
        subject_type=subject_type,
        subject_id=str(subject_id),
        document=text,
        leaf_hash=leaf_hash(text),
    )
    session.add(rec)
    session.flush()
    return rec


def append_apart(db: Database, **record: Any) -> None:
    """``append`` in a transaction of its own: for the record of a refusal, which must
    survive the rollback of the caller's transaction that the refusal's error causes."""
    with db.session() as own:
        append(own, **record)


def history(session: Session, subject_type: str, subject_id: str | int) -> list[Record]:
    rows = session.scalars(
        select(Record)
        .where(Record.subject_type == subject_type, Record.subject_id == str(subject_id))
        .order_by(Record.id)
    )
    return list(rows)


def record_view(rec: Record) -> dict[str, Any]:
    doc = json.loads(rec.document)
    doc["id"] = rec.id
    doc["leaf_hash"] = rec.leaf_hash
    return doc


@event.listens_for(Session, "before_flush")
def _refuse_changes(session: Session, _ctx: Any, _instances: Any) -> None:
    # The record is evidence: once written it is never edited or deleted through the
    # application. (The Merkle ledger of a later issue makes tampering outside it visible.)
    for obj in session.dirty:
        if isinstance(obj, Record) and session.is_modified(obj):
            raise AppendOnlyError("records are append-only")
    for obj in session.deleted:
        if isinstance(obj, Record):
            raise AppendOnlyError("records are append-only")
