"""Disclosure of an uploader's identity and records: requested, reviewed, granted for a
time, and read, each step a ledger record.

Who may ask (shared/LEGAL.md, "Records" and "Forwarding"):
- a rights holder, about the uploaders of content named in a valid notice of theirs (US
  512(h) with a subpoena, which the US profile requires; CN and EU on a reviewer's
  judgement);
- an authority (CN Reg 13: name, contact details and network address of the suspected
  infringer; court orders), about named users or uploads, for an investigation reference.

Nothing here copies personal data: a grant is a permission checked on every read, so it
lapses at ``expires_at`` or on revocation, and each read (``disclosure.deliver``) says
exactly which fields of whom went to whom. A request that is refused at the door (wrong
role, another holder's case) is recorded in its own transaction, so the refusal survives
the error the caller gets.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from safeharbor.accounts.models import Role, User
from safeharbor.accounts.permissions import Perm, has, require
from safeharbor.audit import service as audit
from safeharbor.disclosure.models import DisclosureKind, DisclosureRequest, DisclosureStatus
from safeharbor.errors import Forbidden, InvalidInput, NotFound
from safeharbor.notices.models import Notice, NoticeItem, NoticeStatus
from safeharbor.screening.models import Content

if TYPE_CHECKING:
    from safeharbor.platform import Services

#: the parts of an uploader's records a request can ask for (court guideline 9.10(3))
SCOPES: dict[str, tuple[str, ...]] = {
    "identity": ("name", "real_name", "registered_at"),
    "contact": ("email", "phone"),
    "network": ("registration_ip", "upload_ips"),
    "uploads": ("uploads",),
}
#: notice states in which the notice has been found valid (a holder may then ask)
_VALID_NOTICE = {
    NoticeStatus.VALID,
    NoticeStatus.ACTED,
    NoticeStatus.REVIEW,
    NoticeStatus.COUNTERED,
    NoticeStatus.RESTORED,
    NoticeStatus.CLOSED,
}


class DisclosureService:
    def __init__(self, services: Services) -> None:
        self.s = services
        self.session = services.session
        self.platform = services.platform
        self.clock = services.platform.clock
        self.settings = services.platform.settings

    # -- asking ---------------------------------------------------------------------------

    def request(
        self,
        requester: User,
        *,
        basis: str,
        notice_id: int | None = None,
        users: list[str] | None = None,
        contents: list[str] | None = None,
        reference: str | None = None,
        purpose: str | None = None,
        scope: list[str] | None = None,
        ip: str | None = None,
    ) -> DisclosureRequest:
        """A new request, pending review. Holders name their notice; authorities name the
        users or uploads and their investigation reference."""
        wanted = list(dict.fromkeys(scope or SCOPES))
        unknown = [s for s in wanted if s not in SCOPES]
        if unknown:
            raise InvalidInput(
                f"unknown scope {', '.join(unknown)}: choose from {', '.join(SCOPES)}"
            )
        if not has(requester, Perm.REQUEST_DISCLOSURE):
            self._refuse_at_door(requester, ip, f"{requester.role} may not request disclosure")
        basis = (basis or "").strip()
        kind = DisclosureKind.AUTHORITY if requester.role == Role.AUTHORITY else None
        kind = kind or DisclosureKind.HOLDER
        profile = self.s.notices.profile()
        subject_ids: list[int]
        content_ids: list[str]
        if kind == DisclosureKind.HOLDER:
            if notice_id is None:
                raise InvalidInput("a rights holder's request names the notice it is about")
            notice = self.session.get(Notice, notice_id)
            if notice is None:
                raise NotFound(f"no notice {notice_id}")
            if notice.sender_id != requester.id:
                self._refuse_at_door(
                    requester, ip, f"notice {notice_id} is not yours", notice_id=notice_id
                )
            if notice.status not in _VALID_NOTICE:
                self._refuse_at_door(
                    requester,
                    ip,
                    f"notice {notice_id} is {notice.status}: only a valid notice supports "
                    "a disclosure request",
                    notice_id=notice_id,
                )
            if profile.disclosure.holder_basis_required and not basis:
                raise InvalidInput(f"this platform discloses on {profile.disclosure.holder_basis}")
            located = self.session.scalars(
                select(Content)
                .join(NoticeItem, NoticeItem.content_id == Content.id)
                .where(NoticeItem.notice_id == notice_id)
                .order_by(Content.id)
            ).all()
            if not located:
                raise InvalidInput(f"notice {notice_id} located no content: no uploader to name")
            subject_ids = list(dict.fromkeys(c.uploader_id for c in located))
            content_ids = [c.public_id for c in located]
            basis = basis or profile.disclosure.holder_basis
        else:
            if not basis:
                raise InvalidInput(f"give the legal ground: {profile.disclosure.authority_basis}")
            if not reference:
                raise InvalidInput("give the investigation's reference (case number)")
            subject_ids, content_ids = self._subjects(users or [], contents or [])
        now = self.clock.now()
        req = DisclosureRequest(
            kind=kind.value,
            requester_id=requester.id,
            notice_id=notice_id,
            reference=reference,
            basis=basis,
            purpose=purpose,
            subject_ids=subject_ids,
            scope=wanted,
            status=DisclosureStatus.PENDING.value,
            created_at=now,
            contents=content_ids,
            extra={},
        )
        self.session.add(req)
        self.session.flush()
        self._record(req, "disclosure.request", requester, ip, kind=kind.value, scope=wanted)
        return req

    def _subjects(self, users: list[str], contents: list[str]) -> tuple[list[int], list[str]]:
        subject_ids: list[int] = []
        content_ids: list[str] = []
        for name in users:
            subject_ids.append(self.s.accounts.get(name).id)
        for public_id in contents:
            c = self.session.scalar(select(Content).where(Content.public_id == public_id))
            if c is None:
                raise NotFound(f"no upload {public_id}")
            subject_ids.append(c.uploader_id)
            content_ids.append(c.public_id)
        if not subject_ids:
            raise InvalidInput("name the users or the uploads the request is about")
        return list(dict.fromkeys(subject_ids)), content_ids

    def _refuse_at_door(
        self, requester: User, ip: str | None, why: str, *, notice_id: int | None = None
    ) -> None:
        # The caller's transaction is rolled back by the error below; the refusal is
        # evidence too (of a probing requester), so it is written in a unit of its own.
        audit.append_apart(
            self.platform.db,
            at=self.clock.now(),
            action="disclosure.refused_request",
            subject_type="user",
            subject_id=requester.id,
            actor_id=requester.id,
            actor_ip=ip,
            payload={"reason": why, "notice_id": notice_id},
        )
        raise Forbidden(why)

    # -- deciding -------------------------------------------------------------------------

    def decide(
        self,
        request_id: int,
        reviewer: User,
        *,
        grant: bool,
        reason: str,
        days: int | None = None,
        ip: str | None = None,
    ) -> DisclosureRequest:
        require(reviewer, Perm.DECIDE_DISCLOSURE)
        req = self.get(request_id)
        if req.status != DisclosureStatus.PENDING:
            raise InvalidInput(f"request {request_id} is already {req.status}")
        reason = (reason or "").strip()
        if not reason:
            raise InvalidInput("a decision on a disclosure request gives its reason")
        now = self.clock.now()
        req.decided_at = now
        req.decided_by = reviewer.id
        req.reason = reason
        if grant:
            limit = days if days is not None else self.s.notices.profile().disclosure.grant_days
            if not 1 <= limit <= 365:
                raise InvalidInput("a grant lasts between 1 and 365 days")
            req.status = DisclosureStatus.GRANTED.value
            req.expires_at = now + timedelta(days=limit)
            self._record(req, "disclosure.grant", reviewer, ip, reason=reason, days=limit)
        else:
            req.status = DisclosureStatus.REFUSED.value
            self._record(req, "disclosure.refuse", reviewer, ip, reason=reason)
        self._tell_requester(req)
        return req

    def revoke(
        self, request_id: int, reviewer: User, reason: str, ip: str | None = None
    ) -> DisclosureRequest:
        require(reviewer, Perm.DECIDE_DISCLOSURE)
        req = self.get(request_id)
        if req.status != DisclosureStatus.GRANTED:
            raise InvalidInput(f"request {request_id} is {req.status}, not granted")
        req.status = DisclosureStatus.REVOKED.value
        req.reason = f"{req.reason}; revoked: {reason}"
        self._record(req, "disclosure.revoke", reviewer, ip, reason=reason)
        return req

    def _tell_requester(self, req: DisclosureRequest) -> None:
        from safeharbor.notices.messages import post

        requester = self.session.get(User, req.requester_id)
        if requester is None:
            return
        outcome = "granted" if req.status == DisclosureStatus.GRANTED else "refused"
        until = f" until {req.expires_at:%Y-%m-%d %H:%M} UTC" if req.expires_at else ""
        post(
            self.session,
            self.clock,
            to=requester,
            to_address=requester.email,
            kind="disclosure.decision",
            subject=f"Disclosure request {req.id}: {outcome}",
            body=f"Your disclosure request {req.id} was {outcome}{until}.\nReason: {req.reason}\n",
            notice_id=req.notice_id,
        )

    # -- reading --------------------------------------------------------------------------

    def live(self, req: DisclosureRequest) -> bool:
        return (
            req.status == DisclosureStatus.GRANTED
            and req.expires_at is not None
            and self.clock.now() < req.expires_at
        )

    def records(self, request_id: int, viewer: User, ip: str | None = None) -> dict[str, Any]:
        """The disclosed records, for the requester of a live grant (each read recorded)."""
        req = self.get(request_id)
        if viewer.id != req.requester_id:
            raise Forbidden("only the requester reads what a disclosure grants")
        if not self.live(req):
            state = "expired" if req.status == DisclosureStatus.GRANTED else req.status
            raise Forbidden(f"disclosure request {request_id} is {state}")
        subjects = [self.subject_records(uid, req.scope, req.contents) for uid in req.subject_ids]
        fields = sorted({f for s in req.scope for f in SCOPES[s]})
        self._record(req, "disclosure.deliver", viewer, ip, subjects=req.subject_ids, fields=fields)
        return {
            "request": request_view(req),
            "subjects": subjects,
            "disclosed_at": self.clock.now().isoformat(),
        }

    def subject_records(
        self, user_id: int, scope: list[str], contents: list[str] | None = None
    ) -> dict[str, Any]:
        """An uploader's records as court guideline 9.10(3) lists them, limited to
        ``scope`` (and to the named uploads, when there are any)."""
        user = self.session.get(User, user_id)
        if user is None:
            raise NotFound(f"no user {user_id}")
        out: dict[str, Any] = {"user_id": user.id, "name": user.name}
        if "identity" in scope:
            out.update(real_name=user.real_name, registered_at=user.created_at.isoformat())
        if "contact" in scope:
            out.update(email=user.email, phone=user.phone)
        q = select(Content).where(Content.uploader_id == user.id).order_by(Content.id)
        if contents:
            q = q.where(Content.public_id.in_(contents))
        uploads = self.session.scalars(q).all()
        if "network" in scope:
            out["registration_ip"] = user.registration_ip
            out["upload_ips"] = [
                {"content_id": c.public_id, "ip": c.upload_ip, "at": c.created_at.isoformat()}
                for c in uploads
            ]
        if "uploads" in scope:
            out["uploads"] = [
                {
                    "content_id": c.public_id,
                    "title": c.title,
                    "filename": c.filename,
                    "sha256": c.sha256,
                    "size": c.size,
                    "uploaded_at": c.created_at.isoformat(),
                    "state": c.state,
                }
                for c in uploads
            ]
        return out

    def grant_covering(self, viewer: User, subject_id: int) -> DisclosureRequest | None:
        """A live grant that lets ``viewer`` see ``subject_id``'s records, if any."""
        rows = self.session.scalars(
            select(DisclosureRequest).where(
                DisclosureRequest.requester_id == viewer.id,
                DisclosureRequest.status == DisclosureStatus.GRANTED,
            )
        )
        for req in rows:
            if subject_id in req.subject_ids and self.live(req):
                return req
        return None

    def get(self, request_id: int) -> DisclosureRequest:
        req = self.session.get(DisclosureRequest, request_id)
        if req is None:
            raise NotFound(f"no disclosure request {request_id}")
        return req

    def visible(self, request_id: int, viewer: User) -> DisclosureRequest:
        req = self.get(request_id)
        if viewer.id != req.requester_id and not has(viewer, Perm.DECIDE_DISCLOSURE):
            # the same answer as for a missing one: request ids are not to be probed
            raise NotFound(f"no disclosure request {request_id}")
        return req

    def list_for(self, viewer: User, status: str | None = None) -> list[DisclosureRequest]:
        q = select(DisclosureRequest).order_by(DisclosureRequest.id)
        if not has(viewer, Perm.DECIDE_DISCLOSURE):
            q = q.where(DisclosureRequest.requester_id == viewer.id)
        if status:
            q = q.where(DisclosureRequest.status == status)
        return list(self.session.scalars(q))

    def _record(
        self,
        req: DisclosureRequest,
        action: str,
        actor: User,
        ip: str | None,
        **payload: Any,
    ) -> None:
        audit.append(
            self.session,
            at=self.clock.now(),
            action=action,
            subject_type="disclosure",
            subject_id=req.id,
            actor_id=actor.id,
            actor_ip=ip,
            payload={
                "status": req.status,
                "requester": req.requester_id,
                "notice_id": req.notice_id,
                "reference": req.reference,
                **payload,
            },
        )


def request_view(req: DisclosureRequest) -> dict[str, Any]:
    def iso(dt: datetime | None) -> str | None:
        return dt.isoformat() if dt else None

    return {
        "id": req.id,
        "kind": req.kind,
        "status": req.status,
        "requester_id": req.requester_id,
        "notice_id": req.notice_id,
        "reference": req.reference,
        "basis": req.basis,
        "purpose": req.purpose,
        "scope": req.scope,
        "subjects": len(req.subject_ids),
        "contents": req.contents,
        "created_at": iso(req.created_at),
        "decided_at": iso(req.decided_at),
        "reason": req.reason,
        "expires_at": iso(req.expires_at),
    }
