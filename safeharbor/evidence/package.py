"""Evidence packages: the records of a case (a notice, a work or an uploader) with the
proofs that they are in the platform's ledger, in one ZIP that its receiver can check
offline with nothing but the platform's public key (``evidence/verify_package.py``).

What goes in (``docs/evidence-package.md`` describes the format):
- ``records.jsonl``: each record's canonical document as stored, its leaf hash and its
  inclusion proof against ``tree_head.json``, the signed tree head the export was made
  under. A record whose document holds someone's personal data (an IP address, a user's
  own records) is, for a receiver not entitled to it, listed by leaf hash and proof only:
  its existence and place in the log are proven, its content is withheld.
- ``contents.json``: the uploads' SHA-256 hashes (always), and ``content/<sha256>`` the
  files themselves where the receiver is entitled (platform staff; the rights holder whose
  notice or work the case is; an authority with a live disclosure grant).
- ``uploaders.json``: the uploaders' records as court guideline 9.10(3) lists them (user
  name, registration IP and time, upload IP and time, contact details, the uploads), only
  for platform staff or a receiver with a live disclosure grant covering the uploader.
- ``manifest.json`` (every file's SHA-256 and size, the case, the receiver, the tree head)
  and ``manifest.sig``, an Ed25519 signature over the manifest's bytes.

The export is itself a ledger record (``evidence.export``), naming the receiver and
whether personal data went out.
"""

from __future__ import annotations

import hashlib
import json
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from safeharbor.accounts.models import Role, User
from safeharbor.accounts.permissions import Perm, has
from safeharbor.audit import service as audit
from safeharbor.audit.models import Record
from safeharbor.disclosure.service import SCOPES
from safeharbor.errors import InvalidInput, NotFound
from safeharbor.evidence import keys, merkle
from safeharbor.evidence.models import LedgerNode
from safeharbor.notices.models import Notice, NoticeItem
from safeharbor.registry.models import Work
from safeharbor.screening.models import Content

if TYPE_CHECKING:
    from safeharbor.platform import Services

FORMAT = "safeharbor-evidence"
VERSION = 1
#: what the manifest signature covers: this prefix, then the manifest's bytes (the same
#: key signs tree heads and shared lists; the prefix keeps the signatures apart)
MANIFEST_CONTEXT = b"safeharbor-evidence-manifest\x00"
#: user records that belong in an uploader's part of a case
_USER_ACTIONS = ("user.create", "terms.accept", "user.status")


@dataclass
class Case:
    kind: str  # notice | work | user
    id: str
    title: str
    record_ids: set[int] = field(default_factory=set)
    contents: list[Content] = field(default_factory=list)
    uploader_ids: list[int] = field(default_factory=list)
    #: holders whose case this is (entitled to the content)
    holder_ids: set[int] = field(default_factory=set)


@dataclass
class Entitlement:
    content: bool
    personal_data: bool
    grants: list[int]
    why: str


@dataclass
class ExportResult:
    path: Path
    records: int
    withheld: int
    content_files: int
    size: int
    tree_size: int
    entitlement: Entitlement


class EvidenceService:
    def __init__(self, services: Services) -> None:
        self.s = services
        self.session = services.session
        self.platform = services.platform
        self.clock = services.platform.clock

    # -- the case -------------------------------------------------------------------------

    def case(
        self, *, notice_id: int | None = None, work_id: int | None = None, user: str | None = None
    ) -> Case:
        if sum(x is not None for x in (notice_id, work_id, user)) != 1:
            raise InvalidInput("name one case: a notice, a work or a user")
        if notice_id is not None:
            notice = self.session.get(Notice, notice_id)
            if notice is None:
                raise NotFound(f"no notice {notice_id}")
            case = Case("notice", str(notice_id), f"notice {notice_id}")
            self._add_notice(case, notice)
        elif work_id is not None:
            work = self.session.get(Work, work_id)
            if work is None:
                raise NotFound(f"no work {work_id}")
            case = Case("work", str(work_id), work.title, holder_ids={work.holder_id})
            case.record_ids |= self._records_of("work", str(work_id))
            for notice in self.session.scalars(select(Notice).where(Notice.work_id == work_id)):
                self._add_notice(case, notice)
        else:
            subject = self.s.accounts.get(user or "")
            case = Case("user", subject.name, subject.name)
            uploads = self.session.scalars(
                select(Content).where(Content.uploader_id == subject.id).order_by(Content.id)
            ).all()
            for c in uploads:
                self._add_content(case, c)
            # by id through a subquery: DISTINCT over whole rows fails on PostgreSQL,
            # whose json columns have no equality operator
            named = select(NoticeItem.notice_id).where(
                NoticeItem.content_id.in_([c.id for c in uploads])
            )
            notices = self.session.scalars(
                select(Notice).where(Notice.id.in_(named)).order_by(Notice.id)
            ).all()
            for notice in notices:
                self._add_notice(case, notice)
            if subject.id not in case.uploader_ids:
                case.uploader_ids.append(subject.id)
        for uid in case.uploader_ids:
            case.record_ids |= self._user_records(uid)
        return case

    def _add_notice(self, case: Case, notice: Notice) -> None:
        case.record_ids |= self._records_of("notice", str(notice.id))
        case.holder_ids.add(notice.sender_id)
        if notice.work_id is not None:
            work = self.session.get(Work, notice.work_id)
            if work is not None:
                case.holder_ids.add(work.holder_id)
        for item in notice.items:
            if item.content_id is not None:
                content = self.session.get(Content, item.content_id)
                if content is not None:
                    self._add_content(case, content)

    def _add_content(self, case: Case, content: Content) -> None:
        if all(c.id != content.id for c in case.contents):
            case.contents.append(content)
            case.record_ids |= self._records_of("content", content.public_id)
        if content.uploader_id not in case.uploader_ids:
            case.uploader_ids.append(content.uploader_id)

    def _records_of(self, subject_type: str, subject_id: str) -> set[int]:
        return set(
            self.session.scalars(
                select(Record.id).where(
                    Record.subject_type == subject_type, Record.subject_id == subject_id
                )
            )
        )

    def _user_records(self, user_id: int) -> set[int]:
        return set(
            self.session.scalars(
                select(Record.id).where(
                    Record.subject_type == "user",
                    Record.subject_id == str(user_id),
                    or_(Record.action.in_(_USER_ACTIONS), Record.action.startswith("strike.")),
                )
            )
        )

    # -- who gets what --------------------------------------------------------------------

    def entitlement(self, case: Case, receiver: User | None) -> Entitlement:
        if receiver is None:
            return Entitlement(True, True, [], "the platform's own export")
        if has(receiver, Perm.VIEW_PERSONAL_DATA):
            return Entitlement(True, True, [], f"platform staff ({receiver.role})")
        grants: list[int] = []
        for uid in case.uploader_ids:
            grant = self.s.disclosure.grant_covering(receiver, uid)
            if grant is None:
                grants = []
                break
            grants.append(grant.id)
        personal = bool(grants) and bool(case.uploader_ids)
        if receiver.id in case.holder_ids:
            why = "the rights holder of the case"
            content = True
        elif receiver.role == Role.AUTHORITY and personal:
            why = "an authority with a disclosure grant"
            content = True
        else:
            why = "no entitlement beyond hashes and proofs"
            content = False
        if personal:
            why += f"; disclosure grant {', '.join(map(str, grants))}"
        return Entitlement(content, personal, grants if personal else [], why)

    # -- export ---------------------------------------------------------------------------

    def export(
        self,
        out: Path,
        *,
        notice_id: int | None = None,
        work_id: int | None = None,
        user: str | None = None,
        receiver: User | None = None,
        actor: User | None = None,
        ip: str | None = None,
    ) -> ExportResult:
        case = self.case(notice_id=notice_id, work_id=work_id, user=user)
        ent = self.entitlement(case, receiver)
        head = self.s.ledger.head()  # integrates every record written so far
        size = int(head["tree_size"])
        ids = sorted(i for i in case.record_ids if i <= size)
        rows = self.session.scalars(select(Record).where(Record.id.in_(ids)).order_by(Record.id))
        proofs = inclusion_paths(self.session, ids, size)
        records_lines: list[str] = []
        withheld = 0
        for rec in rows:
            line: dict[str, Any] = {
                "id": rec.id,
                "leaf_index": rec.id - 1,
                "leaf_hash": rec.leaf_hash,
                "inclusion_path": [h.hex() for h in proofs[rec.id]],
            }
            if ent.personal_data or not _personal(rec):
                line["document"] = rec.document
            else:
                line["withheld"] = "personal data: the receiver holds no disclosure grant"
                withheld += 1
            records_lines.append(json.dumps(line, ensure_ascii=False, sort_keys=True))
        contents = [
            {
                "content_id": c.public_id,
                "sha256": c.sha256,
                "size": c.size,
                "modality": c.modality,
                "uploaded_at": c.created_at.isoformat(),
                "state": c.state,
                "included": ent.content and self.platform.blobs.has(c.sha256),
            }
            for c in case.contents
        ]
        files: dict[str, bytes] = {
            "tree_head.json": _json(head),
            "records.jsonl": ("\n".join(records_lines) + "\n").encode("utf-8"),
            "contents.json": _json(contents),
            "public_key.pem": keys.public_pem(self.platform.signing_key()).encode("ascii"),
        }
        if ent.personal_data:
            files["uploaders.json"] = _json(
                [
                    self.s.disclosure.subject_records(
                        uid, list(SCOPES), [c.public_id for c in case.contents]
                    )
                    for uid in case.uploader_ids
                ]
            )
        blobs = [c for c in contents if c["included"]]
        now = self.clock.now()
        listed: list[dict[str, Any]] = [
            {"path": name, "sha256": hashlib.sha256(data).hexdigest(), "size": len(data)}
            for name, data in sorted(files.items())
        ]
        # the blob store is content-addressed: a blob's name is its SHA-256
        listed += [
            {"path": f"content/{c['sha256']}", "sha256": c["sha256"], "size": c["size"]}
            for c in blobs
        ]
        manifest: dict[str, Any] = {
            "format": FORMAT,
            "version": VERSION,
            "created_at": now.isoformat(),
            "platform": self.platform.settings.base_url,
            "profile": self.platform.settings.profile,
            "case": {"kind": case.kind, "id": case.id, "title": case.title},
            "receiver": {
                "name": receiver.name if receiver else None,
                "role": receiver.role if receiver else "platform",
                "content": ent.content,
                "personal_data": ent.personal_data,
                "grants": ent.grants,
                "why": ent.why,
            },
            "key_id": keys.key_id(self.platform.signing_key()),
            "tree_head": head,
            "counts": {
                "records": len(records_lines),
                "withheld": withheld,
                "contents": len(contents),
                "content_files": len(blobs),
            },
            "files": listed,
        }
        manifest_bytes = _json(manifest)
        signature = keys.sign(self.platform.signing_key(), MANIFEST_CONTEXT + manifest_bytes)
        out.parent.mkdir(parents=True, exist_ok=True)
        tmp = out.with_name(out.name + ".part")
        with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_DEFLATED) as zf:
            zf.writestr("manifest.json", manifest_bytes)
            zf.writestr("manifest.sig", signature + "\n")
            for name, data in files.items():
                zf.writestr(name, data)
            for c in blobs:  # streamed from the store, never read whole into memory
                sha = str(c["sha256"])
                zf.write(self.platform.blobs.path_for(sha), f"content/{sha}")
        tmp.replace(out)  # a reader never sees half a package
        audit.append(
            self.session,
            at=now,
            action="evidence.export",
            subject_type=case.kind,
            subject_id=case.id,
            actor_id=actor.id if actor else None,
            actor_ip=ip,
            payload={
                "receiver": receiver.id if receiver else None,
                "tree_size": size,
                "records": len(records_lines),
                "withheld": withheld,
                "content_files": len(blobs),
                "personal_data": ent.personal_data,
                "grants": ent.grants,
                "uploaders": case.uploader_ids if ent.personal_data else [],
                "manifest_sha256": hashlib.sha256(manifest_bytes).hexdigest(),
            },
        )
        return ExportResult(
            path=out,
            records=len(records_lines),
            withheld=withheld,
            content_files=len(blobs),
            size=out.stat().st_size,
            tree_size=size,
            entitlement=ent,
        )


def inclusion_paths(session: Session, record_ids: list[int], size: int) -> dict[int, list[bytes]]:
    """Audit paths for many records at once: the nodes they need are found first (a dry
    run of the proof builder), then read in one query per level, not one per node."""
    wanted: set[tuple[int, int]] = set()

    def note(level: int, index: int) -> bytes:
        wanted.add((level, index))
        return bytes(32)

    for rid in record_ids:
        merkle.inclusion_path(rid - 1, size, note)
    by_level: dict[int, list[int]] = {}
    for level, index in wanted:
        by_level.setdefault(level, []).append(index)
    nodes: dict[tuple[int, int], bytes] = {}
    for level, indexes in by_level.items():
        for chunk in range(0, len(indexes), 500):
            part = indexes[chunk : chunk + 500]
            for node in session.scalars(
                select(LedgerNode).where(LedgerNode.level == level, LedgerNode.index.in_(part))
            ):
                nodes[(node.level, node.index)] = node.hash
    missing = wanted - set(nodes)
    if missing:
        level, index = min(missing)
        raise InvalidInput(
            f"the ledger lacks node ({level}, {index}): run `safeharbor ledger verify`"
        )
    return {
        rid: merkle.inclusion_path(rid - 1, size, lambda lv, ix: nodes[(lv, ix)])
        for rid in record_ids
    }


def _personal(rec: Record) -> bool:
    """Does this record's document hold personal data of someone (an IP address, the
    contents of a user's own record, a disclosure)?"""
    return (
        rec.actor_ip is not None
        or rec.subject_type == "user"
        or rec.action.startswith("disclosure.")
    )


def _json(obj: Any) -> bytes:
    return (json.dumps(obj, ensure_ascii=False, sort_keys=True, indent=1) + "\n").encode("utf-8")


def read_bytes(zf: zipfile.ZipFile, name: str, limit: int) -> bytes:
    """A member's bytes, refusing one that inflates past ``limit``."""
    with zf.open(name) as fh:
        data = fh.read(limit + 1)
    if len(data) > limit:
        raise InvalidInput(f"{name}: larger than {limit} bytes")
    return data
