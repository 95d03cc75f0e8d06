"""Registering works, reviewing ownership, licences and priority lists."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import or_, select

from safeharbor.accounts.models import Role as UserRole
from safeharbor.accounts.models import User
from safeharbor.accounts.permissions import Perm, has, require
from safeharbor.audit import service as audit
from safeharbor.config import WORK_TYPES
from safeharbor.errors import Conflict, Forbidden, InvalidInput, NotFound
from safeharbor.naming import clean_title
from safeharbor.naming import display_name as _display
from safeharbor.registry.models import (
    Licence,
    OwnershipConflict,
    OwnershipProof,
    PriorityEntry,
    PriorityList,
    Reference,
    Work,
    WorkStatus,
    fingerprint_rows,
)
from safeharbor.screening.fingerprinting import extract_all, fingerprint_view
from safeharbor.screening.sniff import sniff_path
from safeharbor.signals.base import Media, Role, SignalError, best_per_ref

if TYPE_CHECKING:
    from safeharbor.platform import Services

#: statuses whose claim still stands (a new claim on the same content conflicts with them)
LIVE_CLAIMS = (WorkStatus.PENDING, WorkStatus.NEEDS_INFO, WorkStatus.CONFLICT, WorkStatus.APPROVED)

_DEFAULT_WORK_TYPE = {
    "image": "image",
    "video": "film",
    "audio": "music",
    "text": "literary",
    "document": "literary",
    "code": "software",
    "binary": "software",
}


@dataclass
class ProofInput:
    kind: str  # document | certificate | statement
    path: Path | None = None
    note: str | None = None
    #: the name the document was sent under (``path`` may be a temporary file)
    filename: str | None = None


@dataclass
class Registration:
    work: Work
    conflicts: list[OwnershipConflict] = field(default_factory=list)


class RegistryService:
    def __init__(self, services: Services) -> None:
        self.s = services
        self.session = services.session
        self.platform = services.platform
        self.clock = services.platform.clock

    # -- works ------------------------------------------------------------------------

    def register(
        self,
        holder: User,
        path: Path,
        *,
        title: str | None = None,
        work_type: str | None = None,
        certificate_number: str | None = None,
        statement: str | None = None,
        proofs: list[ProofInput] | None = None,
        filename: str | None = None,
        actor: User | None = None,
        ip: str | None = None,
    ) -> Registration:
        """Register ``path`` as a work of ``holder``. The work waits for a reviewer unless
        approved afterwards; another holder's live claim on the same content makes it an
        ownership conflict."""
        actor = actor or holder
        require(actor, Perm.REGISTER_WORK)
        if actor.id != holder.id and actor.role != UserRole.ADMIN:
            raise Forbidden("only an administrator may register works for another holder")
        if holder.role not in (UserRole.HOLDER, UserRole.ADMIN):
            raise InvalidInput(f"'{holder.name}' is a {holder.role}, not a rights holder")
        if work_type is not None and work_type not in WORK_TYPES:
            raise InvalidInput(f"unknown work type {work_type!r}: one of {', '.join(WORK_TYPES)}")
        display_name = _display(filename or path.name)
        title = clean_title(title if title is not None else Path(display_name).stem)

        sha, size, blob_path = self.platform.blobs.put_file(
            path, self.platform.settings.max_upload_bytes
        )
        sniffed = sniff_path(blob_path, display_name)
        media = Media(
            modality=sniffed.modality, mime=sniffed.mime, path=blob_path, name=display_name
        )
        try:
            ref_fps = extract_all(media, Role.REFERENCE, self.platform.index.signals)
            query_fps = extract_all(media, Role.QUERY, self.platform.index.signals)
        except SignalError as exc:
            raise InvalidInput(f"{display_name}: {exc}") from exc

        same = self.session.scalars(
            select(Work).where(Work.sha256 == sha, Work.status.in_(LIVE_CLAIMS))
        ).all()
        mine = next((w for w in same if w.holder_id == holder.id), None)
        if mine is not None:
            raise Conflict(f"{display_name}: already registered by you as work {mine.id}")

        now = self.clock.now()
        work = Work(
            title=title,
            work_type=work_type or _DEFAULT_WORK_TYPE.get(sniffed.modality, "other"),
            holder_id=holder.id,
            status=WorkStatus.PENDING,
            sha256=sha,
            size=size,
            modality=sniffed.modality,
            mime=sniffed.mime,
            filename=display_name,
            certificate_number=certificate_number,
            statement=statement,
            created_at=now,
        )
        self.session.add(work)
        self.session.flush()
        for proof in proofs or []:
            self._add_proof(work, proof)

        # Who else claims this content? Search before indexing our own reference.
        self.platform.index.refresh(self.platform.db)
        claimed = self._claims_matching(query_fps, holder)
        # Byte-identical claims are caught from the works table too, which also sees a
        # rival registration committed since the index was refreshed.
        known = {w.id for w, _ in claimed}
        claimed += [(w, {"signal": "exact", "score": 1.0}) for w in same if w.id not in known]

        ref = Reference(work_id=work.id, source="work", created_at=now)
        ref.fingerprints = fingerprint_rows(ref_fps)
        self.session.add(ref)
        self.session.flush()  # indexed by the next refresh, once committed

        conflicts: list[OwnershipConflict] = []
        for other, match in claimed:
            conflicts.append(
                OwnershipConflict(
                    work_id=work.id,
                    other_work_id=other.id,
                    signal=match["signal"],
                    score=match["score"],
                    status="open",
                    created_at=now,
                )
            )
            if other.status in (WorkStatus.PENDING, WorkStatus.NEEDS_INFO):
                other.status = WorkStatus.CONFLICT
        if conflicts:
            work.status = WorkStatus.CONFLICT
            self.session.add_all(conflicts)

        audit.append(
            self.session,
            at=now,
            action="work.register",
            subject_type="work",
            subject_id=work.id,
            actor_id=actor.id,
            actor_ip=ip,
            payload={
                "holder": holder.name,
                "title": work.title,
                "sha256": sha,
                "status": work.status,
                "certificate_number": certificate_number,
                "proofs": [p.kind for p in proofs or []],
                "fingerprints": [fingerprint_view(fp) for fp in ref_fps],
                "conflicts_with": [o.id for o, _ in claimed],
            },
        )
        self.session.flush()
        return Registration(work, conflicts)

    def _claims_matching(self, query_fps: list[Any], holder: User) -> list[tuple[Work, dict]]:
        threshold = self.platform.settings.thresholds.match
        found: list[tuple[Work, dict]] = []
        seen: set[int] = set()
        for m in best_per_ref(self.platform.index.search(query_fps, threshold)):
            ref = self.session.get(Reference, m.ref_id)
            if ref is None or ref.work is None or ref.work.id in seen:
                continue
            other = ref.work
            if other.holder_id == holder.id or other.status not in LIVE_CLAIMS:
                continue
            seen.add(other.id)
            found.append((other, {"signal": m.signal, "score": round(m.score, 4)}))
        return found

    def _add_proof(self, work: Work, proof: ProofInput) -> OwnershipProof:
        if proof.kind not in ("document", "certificate", "statement"):
            raise InvalidInput(f"unknown proof kind {proof.kind!r}")
        sha = name = None
        if proof.path is not None:
            sha, _, _ = self.platform.blobs.put_file(
                proof.path, self.platform.settings.max_upload_bytes
            )
            name = _display(proof.filename or proof.path.name)
        row = OwnershipProof(
            work_id=work.id,
            kind=proof.kind,
            filename=name,
            sha256=sha,
            note=proof.note,
            created_at=self.clock.now(),
        )
        self.session.add(row)
        return row

    def add_proof(self, work_id: int, proof: ProofInput, actor: User, ip: str | None) -> Work:
        """The holder answers a request for more information."""
        work = self.get(work_id)
        if actor.id != work.holder_id and actor.role != UserRole.ADMIN:
            raise Forbidden("only the work's holder may add proof")
        self._add_proof(work, proof)
        if work.status == WorkStatus.NEEDS_INFO:
            work.status = WorkStatus.PENDING
        audit.append(
            self.session,
            at=self.clock.now(),
            action="work.proof",
            subject_type="work",
            subject_id=work.id,
            actor_id=actor.id,
            actor_ip=ip,
            payload={"kind": proof.kind, "status": work.status},
        )
        return work

    def get(self, work_id: int) -> Work:
        work = self.session.get(Work, work_id)
        if work is None:
            raise NotFound(f"no work {work_id}")
        return work

    def list_works(self, viewer: User, status: str | None = None) -> list[Work]:
        q = select(Work).order_by(Work.id)
        if status:
            q = q.where(Work.status == status)
        if not has(viewer, Perm.REVIEW):
            q = q.where(Work.holder_id == viewer.id)
        return list(self.session.scalars(q))

    def review(
        self,
        work_id: int,
        action: str,
        reviewer: User,
        note: str | None = None,
        ip: str | None = None,
    ) -> Work:
        """approve | reject | request_info. Approving a work in conflict awards it the
        content; its rival claims are rejected (or withdrawn, if they were approved)."""
        require(reviewer, Perm.REVIEW)
        work = self.get(work_id)
        if action not in ("approve", "reject", "request_info"):
            raise InvalidInput(f"unknown review action {action!r}")
        if work.status in (WorkStatus.REJECTED, WorkStatus.WITHDRAWN):
            raise Conflict(f"work {work.id} is {work.status}; it cannot be reviewed again")
        if action == "request_info" and not note:
            raise InvalidInput("say what information is needed (note)")
        now = self.clock.now()
        before = work.status
        resolved: list[int] = []
        if action == "approve":
            work.status = WorkStatus.APPROVED
            resolved = self._resolve_conflicts(work, won=True, reviewer=reviewer, now=now)
        elif action == "reject":
            work.status = WorkStatus.REJECTED
            resolved = self._resolve_conflicts(work, won=False, reviewer=reviewer, now=now)
        else:
            work.status = WorkStatus.NEEDS_INFO
        work.reviewed_at = now
        work.reviewed_by = reviewer.id
        work.review_note = note
        audit.append(
            self.session,
            at=now,
            action=f"work.{action}",
            subject_type="work",
            subject_id=work.id,
            actor_id=reviewer.id,
            actor_ip=ip,
            payload={"from": before, "to": work.status, "note": note, "conflicts": resolved},
        )
        return work

    def _resolve_conflicts(self, work: Work, won: bool, reviewer: User, now: datetime) -> list[int]:
        rows = self.session.scalars(
            select(OwnershipConflict).where(
                OwnershipConflict.status == "open",
                or_(
                    OwnershipConflict.work_id == work.id,
                    OwnershipConflict.other_work_id == work.id,
                ),
            )
        ).all()
        for c in rows:
            other = self.get(c.other_work_id if c.work_id == work.id else c.work_id)
            c.status = "resolved"
            c.resolved_at = now
            winner = work if won else other
            c.resolution = f"ownership awarded to work {winner.id} by {reviewer.name}"
            self.session.flush()
            still_open = self._open_conflicts(other.id)
            if won:
                if other.status == WorkStatus.APPROVED:
                    other.status = WorkStatus.WITHDRAWN
                elif other.status == WorkStatus.CONFLICT and not still_open:
                    other.status = WorkStatus.REJECTED
            elif other.status == WorkStatus.CONFLICT and not still_open:
                other.status = WorkStatus.PENDING
        return [c.id for c in rows]

    def _open_conflicts(self, work_id: int) -> int:
        return len(
            self.session.scalars(
                select(OwnershipConflict.id).where(
                    OwnershipConflict.status == "open",
                    or_(
                        OwnershipConflict.work_id == work_id,
                        OwnershipConflict.other_work_id == work_id,
                    ),
                )
            ).all()
        )

    def conflicts(self, status: str | None = "open") -> list[OwnershipConflict]:
        q = select(OwnershipConflict).order_by(OwnershipConflict.id)
        if status:
            q = q.where(OwnershipConflict.status == status)
        return list(self.session.scalars(q))

    # -- licences ----------------------------------------------------------------------

    def grant_licence(
        self,
        work_id: int,
        actor: User,
        *,
        licensee: User | None,
        starts_at: datetime | None = None,
        ends_at: datetime | None = None,
        terms: str | None = None,
        ip: str | None = None,
    ) -> Licence:
        require(actor, Perm.GRANT_LICENCE)
        work = self.get(work_id)
        if actor.id != work.holder_id and actor.role != UserRole.ADMIN:
            raise Forbidden("only the work's holder may grant licences for it")
        now = self.clock.now()
        starts = starts_at or now
        if ends_at is not None and ends_at <= starts:
            raise InvalidInput("the licence must end after it starts")
        lic = Licence(
            work_id=work.id,
            licensee_id=licensee.id if licensee else None,
            granted_by=actor.id,
            starts_at=starts,
            ends_at=ends_at,
            terms=terms,
            created_at=now,
        )
        self.session.add(lic)
        self.session.flush()
        audit.append(
            self.session,
            at=now,
            action="licence.grant",
            subject_type="work",
            subject_id=work.id,
            actor_id=actor.id,
            actor_ip=ip,
            payload={
                "licence": lic.id,
                "licensee": licensee.name if licensee else "*",
                "starts_at": starts.isoformat(),
                "ends_at": ends_at.isoformat() if ends_at else None,
            },
        )
        return lic

    def revoke_licence(self, licence_id: int, actor: User, ip: str | None = None) -> Licence:
        lic = self.session.get(Licence, licence_id)
        if lic is None:
            raise NotFound(f"no licence {licence_id}")
        work = self.get(lic.work_id)
        if actor.id != work.holder_id and actor.role != UserRole.ADMIN:
            raise Forbidden("only the work's holder may revoke its licences")
        lic.revoked_at = self.clock.now()
        audit.append(
            self.session,
            at=lic.revoked_at,
            action="licence.revoke",
            subject_type="work",
            subject_id=work.id,
            actor_id=actor.id,
            actor_ip=ip,
            payload={"licence": lic.id},
        )
        return lic

    def licences(self, work_id: int) -> list[Licence]:
        return list(
            self.session.scalars(
                select(Licence).where(Licence.work_id == work_id).order_by(Licence.id)
            )
        )

    def licence_for(self, work_id: int, user_id: int, at: datetime) -> Licence | None:
        """A licence in force at ``at`` covering ``user_id`` (named, or granted to everyone)."""
        rows = self.session.scalars(
            select(Licence).where(
                Licence.work_id == work_id,
                Licence.revoked_at.is_(None),
                or_(Licence.licensee_id == user_id, Licence.licensee_id.is_(None)),
            )
        )
        for lic in rows:
            if lic.starts_at <= at and (lic.ends_at is None or at < lic.ends_at):
                return lic
        return None

    # -- priority lists ------------------------------------------------------------------

    def add_priority(
        self,
        work_id: int,
        list_name: str,
        actor: User,
        *,
        starts_at: datetime | None = None,
        ends_at: datetime | None = None,
        source: str | None = None,
        note: str | None = None,
        ip: str | None = None,
    ) -> PriorityEntry:
        require(actor, Perm.MANAGE_PRIORITY)
        try:
            lst = PriorityList(list_name)
        except ValueError:
            raise InvalidInput(
                f"unknown priority list {list_name!r}: authority or release_window"
            ) from None
        work = self.get(work_id)
        now = self.clock.now()
        if lst is PriorityList.RELEASE_WINDOW and (starts_at is None or ends_at is None):
            raise InvalidInput("a release window needs a start and an end date")
        if ends_at is not None and starts_at is not None and ends_at <= starts_at:
            raise InvalidInput("the window must end after it starts")
        entry = PriorityEntry(
            work_id=work.id,
            list_name=lst.value,
            source=source,
            starts_at=starts_at or now,
            ends_at=ends_at,
            note=note,
            created_by=actor.id,
            created_at=now,
        )
        self.session.add(entry)
        self.session.flush()
        audit.append(
            self.session,
            at=now,
            action="priority.add",
            subject_type="work",
            subject_id=work.id,
            actor_id=actor.id,
            actor_ip=ip,
            payload={
                "entry": entry.id,
                "list": lst.value,
                "source": source,
                "starts_at": entry.starts_at.isoformat(),
                "ends_at": ends_at.isoformat() if ends_at else None,
            },
        )
        return entry

    def remove_priority(self, entry_id: int, actor: User, ip: str | None = None) -> PriorityEntry:
        require(actor, Perm.MANAGE_PRIORITY)
        entry = self.session.get(PriorityEntry, entry_id)
        if entry is None or entry.removed_at is not None:
            raise NotFound(f"no priority entry {entry_id}")
        entry.removed_at = self.clock.now()
        audit.append(
            self.session,
            at=entry.removed_at,
            action="priority.remove",
            subject_type="work",
            subject_id=entry.work_id,
            actor_id=actor.id,
            actor_ip=ip,
            payload={"entry": entry.id},
        )
        return entry

    def priority_entries(self, active_at: datetime | None = None) -> list[PriorityEntry]:
        rows = self.session.scalars(
            select(PriorityEntry)
            .where(PriorityEntry.removed_at.is_(None))
            .order_by(PriorityEntry.id)
        ).all()
        if active_at is None:
            return list(rows)
        return [e for e in rows if _in_window(e, active_at)]

    def priority_for(self, work_id: int, at: datetime) -> PriorityEntry | None:
        rows = self.session.scalars(
            select(PriorityEntry).where(
                PriorityEntry.work_id == work_id, PriorityEntry.removed_at.is_(None)
            )
        )
        for e in rows:
            if _in_window(e, at):
                return e
        return None


def _in_window(e: PriorityEntry, at: datetime) -> bool:
    return e.starts_at <= at and (e.ends_at is None or at < e.ends_at)


def work_view(work: Work) -> dict[str, Any]:
    return {
        "id": work.id,
        "title": work.title,
        "work_type": work.work_type,
        "holder_id": work.holder_id,
        "status": work.status,
        "sha256": work.sha256,
        "modality": work.modality,
        "mime": work.mime,
        "size": work.size,
        "certificate_number": work.certificate_number,
        "created_at": work.created_at.isoformat(),
        "review_note": work.review_note,
        "proofs": [{"kind": p.kind, "filename": p.filename, "note": p.note} for p in work.proofs],
    }
