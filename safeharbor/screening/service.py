"""The upload path: store -> sniff -> fingerprint -> match -> policy -> decision -> record.

``scan`` runs the same screen without storing anything (for operators and benchmarks);
``upload`` stores and records; ``promote`` re-screens at the stricter threshold before the
platform features, recommends, ranks or monetises an upload.
"""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, select

from safeharbor.accounts.models import User
from safeharbor.accounts.permissions import Perm, has, require
from safeharbor.audit import service as audit
from safeharbor.errors import Conflict, Forbidden, InvalidInput, NotFound
from safeharbor.naming import clean_title, display_name
from safeharbor.registry.models import (
    Reference,
    Work,
    WorkStatus,
    fingerprint_rows,
)
from safeharbor.screening import risk
from safeharbor.screening.fingerprinting import extract_all, fingerprint_view
from safeharbor.screening.models import (
    DECISION_STATE,
    Content,
    ContentState,
    Decision,
    HoldResponse,
    Screening,
)
from safeharbor.screening.policy import (
    MatchFacts,
    Verdict,
    at_least_review,
    decide,
    with_blacklisted_links,
)
from safeharbor.screening.probe import probe
from safeharbor.screening.sniff import Sniffed, sniff_path
from safeharbor.signals.base import Fingerprint, Media, Role, SignalError

if TYPE_CHECKING:
    from safeharbor.platform import Services

PROMOTION_KINDS = ("feature", "recommend", "rank", "chart", "ads", "paid")
#: how much of a text upload is searched for links to blacklisted sites
_LINK_SCAN_BYTES = 8 * 1024 * 1024

UPLOAD_WARNING = (
    "Upload only what you made yourself or are licensed to share. Uploading others' works "
    "without permission infringes copyright: such uploads are blocked or removed, and "
    "repeat infringement leads to restrictions and termination of your account."
)


@dataclass
class ScreenResult:
    sha256: str
    size: int
    sniffed: Sniffed
    verdict: Verdict
    matches: list[MatchFacts]
    fingerprints: list[Fingerprint]
    notes: list[str] = field(default_factory=list)
    elapsed_ms: float = 0.0
    risk_score: float = 0.0
    risk_reasons: list[risk.Reason] = field(default_factory=list)
    looks_pirated: bool = False
    media_info: dict[str, Any] = field(default_factory=dict)

    def view(self) -> dict[str, Any]:
        return {
            "sha256": self.sha256,
            "modality": self.sniffed.modality,
            "mime": self.sniffed.mime,
            "decision": self.verdict.decision.value,
            "reason": self.verdict.reason,
            "next_step": self.verdict.next_step,
            "matches": [m.view() for m in self.matches],
            "risk_score": self.risk_score,
            "risk_reasons": [r.view() for r in self.risk_reasons],
            "notes": self.notes,
            "elapsed_ms": round(self.elapsed_ms, 2),
        }


class ScreeningService:
    def __init__(self, services: Services) -> None:
        self.s = services
        self.session = services.session
        self.platform = services.platform
        self.settings = services.platform.settings
        self.clock = services.platform.clock

    # -- the screen ----------------------------------------------------------------------

    def screen_file(
        self,
        path: Path,
        *,
        uploader: User | None,
        title: str | None = None,
        strict: bool = False,
        sha256: str | None = None,
        size: int | None = None,
        filename: str | None = None,
    ) -> ScreenResult:
        """Screen a file on disk (``filename``: the name it was uploaded under, if not the
        path's). Raises ``InvalidInput`` for content that cannot be read."""
        started = time.perf_counter()
        if size is None:
            size = path.stat().st_size
        if size == 0:
            raise InvalidInput("file is empty (0 bytes)")
        if size > self.settings.max_upload_bytes:
            raise InvalidInput(
                f"file is larger than the {self.settings.max_upload_bytes // 2**20} MiB limit"
            )
        sniffed = sniff_path(path, filename)
        media = Media(modality=sniffed.modality, mime=sniffed.mime, path=path, name=filename)
        notes: list[str] = []
        if sniffed.name_mismatch:
            notes.append(sniffed.name_mismatch)
        try:
            fps = extract_all(media, Role.QUERY, self.platform.index.signals)
        except SignalError as exc:
            raise InvalidInput(f"{sniffed.modality} could not be read: {exc}") from exc
        # a signal that read only part of the content (a truncated stream) says so
        notes.extend(dict.fromkeys(str(fp.meta["note"]) for fp in fps if fp.meta.get("note")))
        sha = sha256 or next((fp.hex() for fp in fps if fp.signal == "exact"), "")

        self.platform.index.refresh(self.platform.db)
        t = self.settings.thresholds
        floor = min(t.review, t.priority, t.match)
        now = self.clock.now()
        matches = self._facts(self.platform.index.search(fps, floor), fps, uploader, now)
        verdict = decide(matches, self.settings, uploader.id if uploader else None, strict=strict)

        info = probe(path, sniffed.modality)
        shown_title = title or filename or path.name
        score, reasons, pirated = risk.assess(
            modality=sniffed.modality,
            size=size,
            title=" ".join(x for x in (shown_title, info.get("title", "")) if x),
            info=info,
            matches=matches,
            known_titles=self._known_titles(),
            uploader_blocked=self._blocked_count(uploader),
            heuristic=self.settings.professional,
            match_threshold=t.match,
        )
        return ScreenResult(
            sha256=sha,
            size=size,
            sniffed=sniffed,
            verdict=verdict,
            matches=matches,
            fingerprints=fps,
            notes=notes,
            elapsed_ms=(time.perf_counter() - started) * 1000,
            risk_score=score,
            risk_reasons=reasons,
            looks_pirated=pirated,
            media_info=info,
        )

    def _facts(
        self, raw: list[Any], fps: list[Fingerprint], uploader: User | None, now: Any
    ) -> list[MatchFacts]:
        """Turn index hits into facts about approved works (best hit per work)."""
        registry = self.s.registry
        query_sha = next((fp.value for fp in fps if fp.signal == "exact"), None)
        by_work: dict[int, MatchFacts] = {}
        # best hit per reference *and signal*: one reference row holds a film's picture
        # and sound fingerprints, and each signal's finding is kept as evidence
        best: dict[tuple[int, str], Any] = {}
        for m in raw:
            key = (m.ref_id, m.signal)
            if key not in best or m.score > best[key].score:
                best[key] = m
        for m in sorted(best.values(), key=lambda m: (-m.score, m.ref_id)):
            ref = self.session.get(Reference, m.ref_id)
            if ref is None or not ref.active:
                continue
            if ref.source == "staydown":
                staydown = self._staydown_fact(ref, m, uploader, now)
                if staydown is not None and staydown.work_id not in by_work:
                    by_work[staydown.work_id] = staydown
                continue
            if ref.source == "shared":
                # a partner platform's shared item: its trust decides (sharing.service)
                shared = self.s.sharing.match_fact(ref, m)
                if shared is not None and shared.work_id not in by_work:
                    by_work[shared.work_id] = shared
                continue
            if ref.work is None or ref.work.status != WorkStatus.APPROVED:
                continue
            work = ref.work
            exact = m.signal == "exact" or (
                query_sha is not None and bytes.fromhex(work.sha256) == query_sha
            )
            current = by_work.get(work.id)
            seen = {
                "score": round(m.score, 4),
                "query_span": m.query_span.as_list() if m.query_span else None,
                "reference_span": m.reference_span.as_list() if m.reference_span else None,
            }
            if current is not None:
                earlier = current.signals.get(m.signal)
                if earlier is None or earlier["score"] < seen["score"]:
                    current.signals[m.signal] = seen
                if current.score >= m.score:
                    continue
            signals = dict(current.signals) if current is not None else {}
            signals.setdefault(m.signal, seen)
            prio = registry.priority_for(work.id, now)
            lic = registry.licence_for(work.id, uploader.id, now) if uploader else None
            by_work[work.id] = MatchFacts(
                work_id=work.id,
                title=work.title,
                work_type=work.work_type,
                holder_id=work.holder_id,
                score=m.score,
                signal=m.signal,
                exact=exact,
                priority=prio.list_name if prio else None,
                licence_id=lic.id if lic else None,
                query_span=m.query_span.as_list() if m.query_span else None,
                reference_span=m.reference_span.as_list() if m.reference_span else None,
                evidence=m.evidence,
                signals=signals,
            )
        return sorted(by_work.values(), key=lambda f: (-f.score, f.work_id))

    def _staydown_fact(
        self, ref: Reference, m: Any, uploader: User | None, now: Any
    ) -> MatchFacts | None:
        """A match with content taken down on a notice. Keyed by the negative reference id
        when the notice named no registered work, so it never merges with a work."""
        taken = self.session.get(Content, ref.content_id) if ref.content_id else None
        if uploader is not None and taken is not None and ref.work is not None:
            lic = self.s.registry.licence_for(ref.work.id, uploader.id, now)
            if lic is not None or ref.work.holder_id == uploader.id:
                return None  # the holder, or someone they licensed since, may post it
        return MatchFacts(
            work_id=ref.work.id if ref.work else -ref.id,
            title=ref.work.title if ref.work else "content taken down earlier",
            work_type=ref.work.work_type if ref.work else "other",
            holder_id=ref.work.holder_id if ref.work else -1,
            score=m.score,
            signal=m.signal,
            exact=m.signal == "exact",
            priority=None,
            licence_id=None,
            staydown_notice=ref.notice_id,
            evidence=m.evidence,
        )

    def _known_titles(self) -> risk.TitleIndex:
        """Titles of approved works, rebuilt only when the set of approved works changes."""
        key = self.session.execute(
            select(func.count(Work.id), func.max(Work.reviewed_at)).where(
                Work.status == WorkStatus.APPROVED
            )
        ).one()
        cached = self.platform.cache.get("titles")
        if cached is None or cached[0] != tuple(key):
            titles = self.session.scalars(
                select(Work.title).where(Work.status == WorkStatus.APPROVED)
            ).all()
            cached = (tuple(key), risk.TitleIndex(titles))
            self.platform.cache["titles"] = cached
        index: risk.TitleIndex = cached[1]
        return index

    def _blocked_count(self, uploader: User | None) -> int:
        if uploader is None:
            return 0
        return int(
            self.session.scalar(
                select(func.count(Content.id)).where(
                    Content.uploader_id == uploader.id,
                    Content.state.in_([ContentState.BLOCKED, ContentState.REMOVED]),
                )
            )
            or 0
        )

    # -- uploads -------------------------------------------------------------------------

    def upload(
        self,
        uploader: User,
        path: Path,
        *,
        filename: str | None = None,
        title: str | None = None,
        ip: str | None = None,
        client: str | None = None,
    ) -> tuple[Content, ScreenResult]:
        """The full upload path; the blob is stored before screening so that evidence of
        what was uploaded survives whatever the decision."""
        # repeat-infringer policy: a suspended or terminated account is told why
        stance = self.s.enforcement.upload_stance(uploader)
        refusal = stance.refuse
        if refusal is None and not has(uploader, Perm.UPLOAD):
            refusal = f"{uploader.role} '{uploader.name}' ({uploader.status}) may not upload"
        if refusal:
            self._record_refusal(uploader, ip, refusal, filename or path.name)
            raise Forbidden(refusal)
        if uploader.terms_version != self.settings.terms_version:
            raise Forbidden(
                "accept the upload terms first: " + UPLOAD_WARNING + " (send accept_terms=true)"
            )
        name = display_name(filename or path.name)
        title = clean_title(title) if title is not None else None
        sha, size, blob = self.platform.blobs.put_file(path, self.settings.max_upload_bytes)
        result = self.screen_file(
            blob,
            uploader=uploader,
            title=title or name,
            sha256=sha,
            size=size,
            filename=name,
            strict=stance.strict,
        )
        if stance.review:
            result.verdict = at_least_review(result.verdict, stance.active_strikes)
        links = self._blacklisted_links(blob, result, title or name, name)
        if links:
            result.verdict = with_blacklisted_links(result.verdict, links)
            result.notes.append(
                "links to blacklisted sites are disabled wherever the upload is shown: "
                + ", ".join(sorted({str(h["link"]) for h in links})[:10])
            )
            result.media_info = {**result.media_info, "blacklisted_links": links}
        now = self.clock.now()
        content = Content(
            public_id=new_public_id(),
            uploader_id=uploader.id,
            title=title or name,
            filename=name,
            sha256=sha,
            size=size,
            modality=result.sniffed.modality,
            mime=result.sniffed.mime,
            upload_ip=ip,
            client=client,
            created_at=now,
            state=DECISION_STATE[result.verdict.decision].value,
            decision=result.verdict.decision.value,
            reason=result.verdict.reason,
            next_step=result.verdict.next_step,
            risk_score=result.risk_score,
            risk_reasons=[r.view() for r in result.risk_reasons],
            media_info=result.media_info,
            promotions=[],
        )
        self.session.add(content)
        self.session.flush()
        screening = self._record_screening(content, result, "upload", uploader, ip)
        self._keep_for_locating(content, blob, result)
        self.s.enforcement.on_upload_screened(content, result.verdict, screening, uploader)
        return content, result

    def _blacklisted_links(
        self, blob: Path, result: ScreenResult, title: str, filename: str
    ) -> list[dict[str, Any]]:
        """Links in the upload's title, name and (for text and documents) its text that
        point at blacklisted sites or apps. Matched by pattern only: nothing is fetched."""
        text: str | None = None
        modality = result.sniffed.modality
        try:
            if modality == "text" or result.sniffed.mime in ("text/html", "application/xhtml+xml"):
                # raw, so that the addresses inside HTML attributes are seen too
                with blob.open("rb") as fh:
                    text = fh.read(_LINK_SCAN_BYTES).decode("utf-8", errors="replace")
            elif modality == "document":
                from safeharbor.documents.extract import extract_text

                media = Media(modality=modality, mime=result.sniffed.mime, path=blob, name=filename)
                text = extract_text(media).text[:_LINK_SCAN_BYTES]
        except (OSError, SignalError, InvalidInput):
            text = None  # unreadable text was reported by the signals already
        return self.s.blacklists.screen_upload(title=title, filename=filename, text=text)

    def _record_refusal(self, uploader: User, ip: str | None, why: str, name: str) -> None:
        # the caller's transaction is rolled back by the refusal; the attempt is evidence
        # of a suspended or terminated account still trying, so it is kept on its own
        audit.append_apart(
            self.platform.db,
            at=self.clock.now(),
            action="upload.refused",
            subject_type="user",
            subject_id=uploader.id,
            actor_id=uploader.id,
            actor_ip=ip,
            payload={"reason": why, "filename": display_name(name)},
        )

    def _keep_for_locating(self, content: Content, blob: Path, result: ScreenResult) -> None:
        """Index the upload's reference fingerprints so a notice that names a work but no
        address can find it (court guideline 9.21)."""
        media = Media(
            modality=result.sniffed.modality,
            mime=result.sniffed.mime,
            path=blob,
            name=content.filename,
        )
        fps = extract_all(media, Role.REFERENCE, self.platform.index.signals)
        ref = Reference(source="content", content_id=content.id, created_at=content.created_at)
        ref.fingerprints = fingerprint_rows(fps)
        self.session.add(ref)

    def _record_screening(
        self,
        content: Content,
        result: ScreenResult,
        purpose: str,
        actor: User | None,
        ip: str | None,
    ) -> Screening:
        now = self.clock.now()
        fps = [fingerprint_view(fp) for fp in result.fingerprints]
        matches = [m.view() for m in result.matches]
        row = Screening(
            content_id=content.id,
            purpose=purpose,
            decision=result.verdict.decision.value,
            reason=result.verdict.reason,
            matches=matches,
            fingerprints=fps,
            notes=result.notes,
            elapsed_ms=result.elapsed_ms,
            created_at=now,
        )
        self.session.add(row)
        audit.append(
            self.session,
            at=now,
            action="screening.decision",
            subject_type="content",
            subject_id=content.public_id,
            actor_id=actor.id if actor else None,
            actor_ip=ip,
            payload={
                "purpose": purpose,
                "uploader": content.uploader_id,
                "sha256": content.sha256,
                "decision": result.verdict.decision.value,
                "state": content.state,
                "reason": result.verdict.reason,
                "threshold": result.verdict.threshold,
                "matches": matches,
                "fingerprints": fps,
                "risk_score": result.risk_score,
                "risk_reasons": [r.view() for r in result.risk_reasons],
            },
        )
        return row

    def get(self, content_id: str | int) -> Content:
        # Only by the random public id: row numbers would let anyone enumerate uploads.
        content = self.session.scalar(select(Content).where(Content.public_id == str(content_id)))
        if content is None:
            raise NotFound(f"no content {content_id}")
        return content

    def visible_to(self, content: Content, viewer: User | None) -> bool:
        if content.state in (ContentState.AVAILABLE, ContentState.RESTORED):
            return True
        return viewer is not None and (
            viewer.id == content.uploader_id or has(viewer, Perm.VIEW_ALL_CONTENT)
        )

    # -- promotion: the duty of care rises with the platform's own involvement -----------

    def promote(
        self, content_id: str, kind: str, actor: User, ip: str | None = None
    ) -> tuple[Content, ScreenResult, bool]:
        """Re-screen before featuring, recommending, ranking, charting or monetising.

        Returns (content, result, promoted). The strict re-screen uses the priority
        threshold for every work; an unmatched upload that looks like a complete pirated
        film or album goes to a reviewer instead of being promoted."""
        require(actor, Perm.PROMOTE)
        if kind not in PROMOTION_KINDS:
            raise InvalidInput(f"unknown promotion {kind!r}: one of {', '.join(PROMOTION_KINDS)}")
        content = self.get(content_id)
        if content.state not in (ContentState.AVAILABLE, ContentState.RESTORED):
            raise Conflict(f"content {content.public_id} is {content.state}; it cannot be promoted")
        uploader = self.s.accounts.get(content.uploader_id)
        blob = self.platform.blobs.path_for(content.sha256)
        result = self.screen_file(
            blob,
            uploader=uploader,
            title=content.title,
            strict=True,
            sha256=content.sha256,
            size=content.size,
            filename=content.filename,
        )
        decision = result.verdict.decision
        if decision in (Decision.ALLOW, Decision.ALLOW_LICENSED) and result.looks_pirated:
            result.verdict = Verdict(
                Decision.REVIEW,
                "Looks like a complete professionally made work that is not registered; a "
                "reviewer must confirm it is licensed before the platform promotes it.",
                None,
            )
            decision = Decision.REVIEW
        promoted = decision in (Decision.ALLOW, Decision.ALLOW_LICENSED)
        if promoted:
            content.promotions = sorted({*content.promotions, kind})
        elif decision in (Decision.BLOCK, Decision.HOLD):
            # A stricter look found what the upload screen let through: act on it now.
            content.state = DECISION_STATE[decision].value
            content.decision = decision.value
            content.reason = result.verdict.reason
            content.next_step = result.verdict.next_step
        content.risk_score = max(content.risk_score, result.risk_score)
        content.risk_reasons = [r.view() for r in result.risk_reasons]
        self._record_screening(content, result, f"promotion:{kind}", actor, ip)
        return content, result, promoted

    # -- holds and reviews -------------------------------------------------------------

    def answer_hold(
        self,
        content_id: str,
        uploader: User,
        *,
        kind: str,
        statement: str | None,
        document: Path | None,
        document_name: str | None = None,
        ip: str | None = None,
    ) -> HoldResponse:
        """The uploader sends a licence or proof of ownership for a held upload."""
        content = self.get(content_id)
        if content.uploader_id != uploader.id:
            raise Forbidden("only the uploader may answer for this upload")
        if content.state not in (ContentState.HELD, ContentState.BLOCKED):
            raise Conflict(f"content {content.public_id} is {content.state}, not held")
        if kind not in ("licence", "ownership"):
            raise InvalidInput("kind must be 'licence' or 'ownership'")
        if not statement and document is None:
            raise InvalidInput("send a document or a statement")
        sha = None
        if document is not None:
            sha, _, _ = self.platform.blobs.put_file(document, self.settings.max_upload_bytes)
        resp = HoldResponse(
            content_id=content.id,
            kind=kind,
            statement=statement,
            document_sha256=sha,
            document_name=display_name(document_name or document.name) if document else None,
            status="open",
            created_at=self.clock.now(),
        )
        self.session.add(resp)
        self.session.flush()
        audit.append(
            self.session,
            at=resp.created_at,
            action="hold.answer",
            subject_type="content",
            subject_id=content.public_id,
            actor_id=uploader.id,
            actor_ip=ip,
            payload={"response": resp.id, "kind": kind, "document_sha256": sha},
        )
        return resp

    def review(
        self,
        content_id: str,
        action: str,
        reviewer: User,
        note: str | None = None,
        ip: str | None = None,
    ) -> Content:
        """A reviewer releases (allow) or blocks a held or reviewed upload."""
        require(reviewer, Perm.REVIEW)
        if action not in ("allow", "block"):
            raise InvalidInput("action must be 'allow' or 'block'")
        content = self.get(content_id)
        now = self.clock.now()
        before = content.state
        content.state = (
            ContentState.AVAILABLE if action == "allow" else ContentState.BLOCKED
        ).value
        content.decision = Decision.ALLOW.value if action == "allow" else Decision.BLOCK.value
        content.reason = f"Reviewed by {reviewer.name}: " + (note or action)
        content.next_step = None
        for resp in self.session.scalars(
            select(HoldResponse).where(
                HoldResponse.content_id == content.id, HoldResponse.status == "open"
            )
        ):
            resp.status = "accepted" if action == "allow" else "refused"
            resp.decided_at = now
            resp.decided_by = reviewer.id
            resp.decision_note = note
        audit.append(
            self.session,
            at=now,
            action=f"content.review.{action}",
            subject_type="content",
            subject_id=content.public_id,
            actor_id=reviewer.id,
            actor_ip=ip,
            payload={"from": before, "to": content.state, "note": note},
        )
        # a confirmed block is a strike; a release lifts the upload's strike
        self.s.enforcement.on_reviewed(content, action, reviewer, ip)
        return content

    def review_queue(self) -> list[Content]:
        """Held uploads, and blocked ones whose uploader sent a licence or proof: riskiest
        and oldest first."""
        answered = select(HoldResponse.content_id).where(HoldResponse.status == "open")
        rows = self.session.scalars(
            select(Content)
            .where((Content.state == ContentState.HELD) | Content.id.in_(answered))
            .order_by(Content.risk_score.desc(), Content.created_at)
        )
        return list(rows)

    def last_screening(self, content: Content) -> Screening | None:
        """The latest run of the screen over ``content`` (its matches, for a reviewer)."""
        return self.session.scalar(
            select(Screening)
            .where(Screening.content_id == content.id)
            .order_by(Screening.id.desc())
            .limit(1)
        )

    def responses(self, content: Content) -> list[HoldResponse]:
        return list(
            self.session.scalars(
                select(HoldResponse)
                .where(HoldResponse.content_id == content.id)
                .order_by(HoldResponse.id)
            )
        )

    def response_document(self, content_id: str, response_id: int, viewer: User) -> Path:
        """The licence or proof an uploader sent, for the reviewer deciding the hold."""
        require(viewer, Perm.REVIEW)
        content = self.get(content_id)
        resp = self.session.get(HoldResponse, response_id)
        if resp is None or resp.content_id != content.id or resp.document_sha256 is None:
            raise NotFound(f"no document for response {response_id}")
        return self.platform.blobs.path_for(resp.document_sha256)


def new_public_id() -> str:
    """A content's address on the platform: 12 URL-safe random characters, never starting
    with ``-`` (one in 64 did, and ``safeharbor content show -Tl...`` read it as an option)."""
    while True:
        token = secrets.token_urlsafe(9)
        if not token.startswith("-"):
            return token


def response_view(resp: HoldResponse, content: Content) -> dict[str, Any]:
    return {
        "id": resp.id,
        "kind": resp.kind,
        "statement": resp.statement,
        "document_name": resp.document_name,
        "document_url": (
            f"/api/contents/{content.public_id}/responses/{resp.id}/document"
            if resp.document_sha256
            else None
        ),
        "status": resp.status,
        "created_at": resp.created_at.isoformat(),
        "decision_note": resp.decision_note,
    }


def content_view(content: Content, *, base_url: str = "") -> dict[str, Any]:
    return {
        "content_id": content.public_id,
        "url": f"{base_url}/c/{content.public_id}",
        "title": content.title,
        "filename": content.filename,
        "sha256": content.sha256,
        "size": content.size,
        "modality": content.modality,
        "mime": content.mime,
        "state": content.state,
        "decision": content.decision,
        "reason": content.reason,
        "next_step": content.next_step,
        "risk_score": content.risk_score,
        "risk_reasons": content.risk_reasons,
        "promotions": content.promotions,
        "created_at": content.created_at.isoformat(),
    }
