"""Repeat infringers: strikes, the escalation they drive, appeals, expiry, evasion.

A strike is given for each upheld notice (one per uploader per notice, however many of
their items it named) and each confirmed block of an upload; the account's level follows
the count of active strikes (``policy.py``) at once, and every step is recorded: these
records are the proof that the policy is reasonably implemented (US 512(i)), applied after
a warning on counts in a window (EU DSA 23), and that repeat infringement is not left
unchecked (CN SPC Prov 9)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from safeharbor.accounts.models import Role, User
from safeharbor.accounts.permissions import Perm, has, require
from safeharbor.audit import service as audit
from safeharbor.clock import Clock
from safeharbor.config import RepeatInfringerPolicy
from safeharbor.enforcement import evasion
from safeharbor.enforcement.models import (
    AccountStanding,
    RemovedWhy,
    Strike,
    StrikeAppeal,
    StrikeSource,
)
from safeharbor.enforcement.policy import (
    ACCOUNT_STATUS,
    Level,
    UploadStance,
    evaluate,
    lifts,
    stance_for,
)
from safeharbor.errors import Conflict, Forbidden, InvalidInput, NotFound
from safeharbor.notices import messages
from safeharbor.notices.models import Message
from safeharbor.registry.models import Work
from safeharbor.screening.models import Content, Decision, Screening

if TYPE_CHECKING:
    from safeharbor.notices.models import Notice
    from safeharbor.platform import Services
    from safeharbor.screening.policy import Verdict

_LEVEL_TEXT = {
    Level.GOOD: "Your account is in good standing.",
    Level.WARNING: "This is a warning: further strikes restrict your account.",
    Level.RESTRICTED: "Your uploads now wait for a reviewer before they are published.",
    Level.HIGHER_DUTY: "Your uploads are screened more strictly and each is reviewed.",
    Level.SUSPENDED: "Your account is suspended.",
    Level.TERMINATED: "Your account is terminated.",
}


class EnforcementService:
    def __init__(self, services: Services) -> None:
        self.s = services
        self.session = services.session
        self.clock: Clock = services.platform.clock
        self.settings = services.platform.settings
        #: the notice whose takedown is being struck (its forward carries the level news)
        self._notice_id: int | None = None

    @property
    def policy(self) -> RepeatInfringerPolicy:
        return self.settings.repeat_infringer

    # -- strikes -----------------------------------------------------------------------

    def add_strike(
        self,
        user: User,
        *,
        source: str,
        reason: str,
        work_id: int | None = None,
        notice_id: int | None = None,
        content: Content | None = None,
        screening_id: int | None = None,
        actor: User | None = None,
        ip: str | None = None,
    ) -> Strike:
        if source not in set(StrikeSource):
            raise InvalidInput(f"unknown strike source {source!r}")
        if not reason.strip():
            raise InvalidInput("a strike needs a reason")
        if work_id is not None and self.session.get(Work, work_id) is None:
            raise NotFound(f"no work {work_id}")
        now = self.clock.now()
        strike = Strike(
            user_id=user.id,
            source=source,
            work_id=work_id,
            notice_id=notice_id,
            content_id=content.id if content else None,
            screening_id=screening_id,
            content_sha256=content.sha256 if content else None,
            reason=reason.strip()[:2000],
            created_at=now,
            created_by=actor.id if actor else None,
            expires_at=now + timedelta(days=self.policy.strike_days),
        )
        self.session.add(strike)
        self.session.flush()
        audit.append(
            self.session,
            at=now,
            action="strike.add",
            subject_type="user",
            subject_id=user.id,
            actor_id=actor.id if actor else None,
            actor_ip=ip,
            payload={
                "strike_id": strike.id,
                "source": source,
                "work_id": work_id,
                "notice_id": notice_id,
                "content": content.public_id if content else None,
                "content_sha256": strike.content_sha256,
                "screening_id": screening_id,
                "reason": strike.reason,
                "expires": strike.expires_at.isoformat(),
            },
        )
        self._reevaluate(user, actor, ip)
        return strike

    def add_manual(
        self, name: str, work_id: int | None, reason: str, actor: User, ip: str | None = None
    ) -> Strike:
        require(actor, Perm.MANAGE_USERS)
        user = self.s.accounts.get(name)
        return self.add_strike(
            user, source=StrikeSource.MANUAL, reason=reason, work_id=work_id, actor=actor, ip=ip
        )

    def remove_strike(
        self,
        strike_id: int,
        actor: User | None,
        reason: str,
        *,
        why: str = RemovedWhy.ADMIN,
        ip: str | None = None,
    ) -> Strike:
        if why == RemovedWhy.ADMIN:
            if actor is None:
                raise Forbidden("an administrator removes strikes")
            require(actor, Perm.MANAGE_USERS)
        strike = self.get(strike_id)
        if strike.removed_at is not None:
            raise Conflict(f"strike {strike.id} was already lifted ({strike.removed_why})")
        self._lift(strike, why, reason, actor, ip)
        self._reevaluate(self.s.accounts.get(strike.user_id), actor, ip)
        return strike

    def _lift(
        self, strike: Strike, why: str, note: str | None, actor: User | None, ip: str | None
    ) -> None:
        now = self.clock.now()
        strike.removed_at, strike.removed_why = now, str(why)
        strike.removed_note = (note or "").strip()[:2000] or None
        strike.removed_by = actor.id if actor else None
        audit.append(
            self.session,
            at=now,
            action="strike.remove",
            subject_type="user",
            subject_id=strike.user_id,
            actor_id=actor.id if actor else None,
            actor_ip=ip,
            payload={"strike_id": strike.id, "why": str(why), "note": strike.removed_note},
        )

    def get(self, strike_id: int) -> Strike:
        strike = self.session.get(Strike, strike_id)
        if strike is None:
            raise NotFound(f"no strike {strike_id}")
        return strike

    def open_appeals(self) -> list[StrikeAppeal]:
        """Appeals waiting for a reviewer, oldest first (the review portal's queue)."""
        return list(
            self.session.scalars(
                select(StrikeAppeal)
                .where(StrikeAppeal.status == "open")
                .order_by(StrikeAppeal.created_at, StrikeAppeal.id)
            )
        )

    def get_appeal(self, appeal_id: int) -> StrikeAppeal:
        row = self.session.get(StrikeAppeal, appeal_id)
        if row is None:
            raise NotFound(f"no appeal {appeal_id}")
        return row

    def active_strikes(self, user: User, now: datetime | None = None) -> list[Strike]:
        now = now or self.clock.now()
        return list(
            self.session.scalars(
                select(Strike)
                .where(
                    Strike.user_id == user.id,
                    Strike.removed_at.is_(None),
                    Strike.expires_at > now,
                )
                .order_by(Strike.id)
            )
        )

    # -- hooks: where strikes come from, and what lifts them ------------------------------

    def on_takedown(
        self, notice: Notice, content: Content, actor: User | None, ip: str | None
    ) -> Strike | None:
        """A notice's measure was taken on ``content``: one strike per uploader per notice
        (several items of one notice are one strike, as on the large video platforms)."""
        existing = self.session.scalar(
            select(Strike.id).where(
                Strike.notice_id == notice.id, Strike.user_id == content.uploader_id
            )
        )
        if existing is not None:
            return None
        self._notice_id = notice.id
        try:
            return self.add_strike(
                self.s.accounts.get(content.uploader_id),
                source=StrikeSource.NOTICE,
                reason=f"Taken down on notice {notice.id} from a rights holder.",
                work_id=notice.work_id,
                notice_id=notice.id,
                content=content,
                actor=actor,
                ip=ip,
            )
        finally:
            self._notice_id = None

    def on_restored(self, notice: Notice, counter_notice: bool, actor: User | None) -> int:
        """The notice's content came back: its strikes are lifted (a successful
        counter-notice, or the notice found unfounded). Returns how many."""
        why = RemovedWhy.COUNTER_NOTICE if counter_notice else RemovedWhy.ADMIN
        lifted = list(
            self.session.scalars(
                select(Strike).where(Strike.notice_id == notice.id, Strike.removed_at.is_(None))
            )
        )
        for strike in lifted:
            self._lift(strike, why, f"notice {notice.id} restored", actor, None)
            self._reevaluate(self.s.accounts.get(strike.user_id), actor, None)
        return len(lifted)

    def on_upload_screened(
        self, content: Content, verdict: Verdict, screening: Screening, uploader: User
    ) -> Strike | None:
        """An automatic block is a strike when it rests on a finding already made: a
        byte-identical copy of a registered work, or a re-upload of content taken down on
        a notice (stay-down). A block on similarity alone (a film matched at 0.85) stops
        the upload but is no strike until a reviewer confirms it (``on_reviewed``): a
        strike moves an account towards termination, and no filter's score alone should
        do that (DSA art. 23 weighs gravity and intent; 512(i) asks for a *reasonable*
        policy). Holds and reviews are not strikes: an uploader who clears a hold with a
        licence infringed nothing. A block later released by a reviewer lifts the strike."""
        if verdict.decision != Decision.BLOCK:
            return None
        m = verdict.deciding
        if m is None or not (m.exact or m.staydown_notice):
            return None
        work_id = m.work_id if m is not None and m.work_id > 0 else None
        where = f" (stay-down of notice {m.staydown_notice})" if m and m.staydown_notice else ""
        return self.add_strike(
            uploader,
            source=StrikeSource.BLOCK,
            reason=f"Upload {content.public_id} blocked by the screen{where}: {verdict.reason}",
            work_id=work_id,
            content=content,
            screening_id=screening.id,
        )

    def on_reviewed(
        self, content: Content, action: str, reviewer: User, ip: str | None
    ) -> Strike | None:
        """A reviewer's decision on a held, reviewed or blocked upload. Confirming a block
        is a strike (unless the upload already has one); releasing it lifts the upload's
        strikes, because a reviewer found it licensed or not infringing."""
        current = list(
            self.session.scalars(
                select(Strike).where(
                    Strike.content_id == content.id,
                    Strike.removed_at.is_(None),
                    Strike.notice_id.is_(None),
                )
            )
        )
        uploader = self.s.accounts.get(content.uploader_id)
        if action == "allow":
            for strike in current:
                self._lift(strike, RemovedWhy.RELEASED, "released by a reviewer", reviewer, ip)
            if current:
                self._reevaluate(uploader, reviewer, ip)
            return None
        if current:
            return None
        screening_id = self.session.scalar(
            select(Screening.id)
            .where(Screening.content_id == content.id)
            .order_by(Screening.id.desc())
        )
        work_id = None
        matches = self.session.scalar(select(Screening.matches).where(Screening.id == screening_id))
        if matches:
            first = matches[0].get("work_id")
            work_id = first if isinstance(first, int) and first > 0 else None
        return self.add_strike(
            uploader,
            source=StrikeSource.REVIEW,
            reason=f"Upload {content.public_id} blocked by reviewer {reviewer.name}.",
            work_id=work_id,
            content=content,
            screening_id=screening_id,
            actor=reviewer,
            ip=ip,
        )

    # -- appeals -------------------------------------------------------------------------

    def appeal(
        self, strike_id: int, user: User, statement: str, ip: str | None = None
    ) -> StrikeAppeal:
        """The uploader appeals a strike (a suspended account may still appeal: the appeal
        is how a mistaken suspension ends, DSA art. 20)."""
        strike = self.get(strike_id)
        if strike.user_id != user.id:
            raise Forbidden("only the user who has the strike may appeal it")
        if strike.removed_at is not None:
            raise Conflict(f"strike {strike.id} was already lifted ({strike.removed_why})")
        statement = statement.strip()
        if not statement or len(statement) > 5000:
            raise InvalidInput("an appeal needs a statement of 1 to 5,000 characters")
        if self.session.scalar(
            select(StrikeAppeal.id).where(
                StrikeAppeal.strike_id == strike.id, StrikeAppeal.status == "open"
            )
        ):
            raise Conflict(f"strike {strike.id} already has an open appeal")
        now = self.clock.now()
        row = StrikeAppeal(
            strike_id=strike.id, user_id=user.id, statement=statement, status="open", created_at=now
        )
        self.session.add(row)
        self.session.flush()
        audit.append(
            self.session,
            at=now,
            action="strike.appeal",
            subject_type="user",
            subject_id=user.id,
            actor_id=user.id,
            actor_ip=ip,
            payload={"strike_id": strike.id, "appeal_id": row.id, "statement": statement},
        )
        return row

    def decide_appeal(
        self, appeal_id: int, reviewer: User, uphold: bool, reason: str, ip: str | None = None
    ) -> StrikeAppeal:
        require(reviewer, Perm.REVIEW)
        row = self.session.get(StrikeAppeal, appeal_id)
        if row is None:
            raise NotFound(f"no appeal {appeal_id}")
        if row.status != "open":
            raise Conflict(f"appeal {row.id} was already decided ({row.status})")
        if not reason.strip():
            raise InvalidInput("give the reason for the decision")
        now = self.clock.now()
        row.status = "upheld" if uphold else "refused"
        row.decided_at, row.decided_by, row.reason = now, reviewer.id, reason.strip()[:2000]
        audit.append(
            self.session,
            at=now,
            action="strike.appeal_decided",
            subject_type="user",
            subject_id=row.user_id,
            actor_id=reviewer.id,
            actor_ip=ip,
            payload={
                "strike_id": row.strike_id,
                "appeal_id": row.id,
                "outcome": row.status,
                "reason": row.reason,
            },
        )
        strike = self.get(row.strike_id)
        user = self.s.accounts.get(row.user_id)
        if uphold and strike.removed_at is None:
            self._lift(strike, RemovedWhy.APPEAL, row.reason, reviewer, ip)
            self._reevaluate(user, reviewer, ip)
        messages.post(
            self.session,
            self.clock,
            to=user,
            kind="strike.appeal_decided",
            subject=f"Your appeal of strike {strike.id} was {row.status}",
            body=(
                f"A reviewer {row.status} your appeal of strike {strike.id}: {row.reason}"
                + ("\nThe strike is lifted." if uphold else "\nThe strike stays.")
            ),
        )
        return row

    # -- standing and escalation -------------------------------------------------------

    def standing(self, user: User) -> AccountStanding:
        """The account's standing row (made, at "good", the first time it is asked for)."""
        row = self.session.scalar(select(AccountStanding).where(AccountStanding.user_id == user.id))
        if row is None:
            row = AccountStanding(
                user_id=user.id,
                level=Level.GOOD.value,
                active_strikes=0,
                changed_at=self.clock.now(),
            )
            self.session.add(row)
            self.session.flush()
        return row

    def _reevaluate(
        self, user: User, actor: User | None, ip: str | None, *, by_time: bool = False
    ) -> Level:
        now = self.clock.now()
        row = self.standing(user)
        if row.evasion_of is not None:
            return Level(row.level)  # an evading account stays closed whatever its strikes
        active = len(self.active_strikes(user, now))
        before = Level(row.level)
        outcome = evaluate(active, before, row.suspended_until, now, self.policy, by_time=by_time)
        row.active_strikes = active
        row.suspended_until = outcome.suspended_until
        if outcome.level == before:
            return before
        row.level, row.changed_at = outcome.level.value, now
        status_before = user.status
        # Only a status the policy set is undone by the policy: an account an
        # administrator suspended by hand stays suspended.
        if outcome.level in ACCOUNT_STATUS:
            user.status = ACCOUNT_STATUS[outcome.level]
        elif before in ACCOUNT_STATUS and user.status == ACCOUNT_STATUS[before]:
            user.status = "active"
        if outcome.level == Level.TERMINATED:
            row.terminated_at = now
        audit.append(
            self.session,
            at=now,
            action="account.level",
            subject_type="user",
            subject_id=user.id,
            actor_id=actor.id if actor else None,
            actor_ip=ip,
            payload={
                "from": before.value,
                "to": outcome.level.value,
                "active_strikes": active,
                "status_from": status_before,
                "status_to": user.status,
                "suspended_until": (
                    outcome.suspended_until.isoformat()
                    if outcome.level == Level.SUSPENDED and outcome.suspended_until
                    else None
                ),
            },
        )
        self._tell_user(user, outcome.level, active, row)
        if outcome.level == Level.TERMINATED and row.reported_at is None and self._reports():
            self._report_to_authority(user, row)
        return outcome.level

    def _tell_user(self, user: User, level: Level, active: int, row: AccountStanding) -> None:
        text = _LEVEL_TEXT[level]
        if level == Level.SUSPENDED and row.suspended_until:
            text = f"Your account is suspended until {row.suspended_until:%Y-%m-%d %H:%M} UTC."
        subject = f"Your account: {level.value.replace('_', ' ')} ({active} active strikes)"
        body = f"{text}\n\n{lifts(level)}\nSee your strikes: GET /api/strikes/me."
        # said in the same breath as the takedown it follows: one message, not two
        forward = None
        if self._notice_id is not None:
            forward = self.session.scalar(
                select(Message)
                .where(
                    Message.to_user_id == user.id,
                    Message.notice_id == self._notice_id,
                    Message.kind == "notice.forward",
                    Message.sent_at.is_(None),
                )
                .order_by(Message.id.desc())
            )
        if forward is not None:
            forward.body += f"\n\n{subject}. {body}"
            return
        messages.post(
            self.session, self.clock, to=user, kind="strike.level", subject=subject, body=body
        )

    def _reports(self) -> bool:
        flag = self.policy.report_authority
        return bool(self.settings.profile == "cn" if flag is None else flag)

    def _report_to_authority(self, user: User, row: AccountStanding) -> None:
        """A terminated repeat infringer is reported to the copyright authority, with the
        uploader's name, contact and network addresses it may ask for (Reg 13)."""
        now = self.clock.now()
        row.reported_at = now
        ips = sorted(
            {
                ip
                for ip in self.session.scalars(
                    select(Content.upload_ip).where(Content.uploader_id == user.id)
                )
                if ip
            }
        )
        strikes = list(
            self.session.scalars(
                select(Strike).where(Strike.user_id == user.id).order_by(Strike.id)
            )
        )
        report = {
            "user": user.name,
            "user_id": user.id,
            "real_name": user.real_name,
            "email": user.email,
            "phone": user.phone,
            "registration_ip": user.registration_ip,
            "upload_ips": ips,
            "terminated_at": now.isoformat(),
            "strikes": [
                {"id": s.id, "work_id": s.work_id, "notice_id": s.notice_id, "reason": s.reason}
                for s in strikes
                if s.removed_at is None
            ],
        }
        authorities: list[User | None] = list(
            self.session.scalars(
                select(User).where(User.role == Role.AUTHORITY, User.status == "active")
            )
        )
        body = "\n".join(f"{k}: {v}" for k, v in report.items())
        # with no authority account the report is still kept in the outbox, unaddressed
        for to in authorities or [None]:
            messages.post(
                self.session,
                self.clock,
                to=to,
                kind="authority.report",
                subject=f"Repeat infringer terminated: {user.name}",
                body="An account was terminated under the repeat-infringer policy.\n\n" + body,
            )
        audit.append(
            self.session,
            at=now,
            action="authority.report",
            subject_type="user",
            subject_id=user.id,
            payload={"to": [a.id for a in authorities if a], "report": report},
        )

    def expire(self, now: datetime | None = None) -> dict[str, int]:
        """Run hook (scheduler): strikes past their expiry are lifted (kept, recorded) and
        their accounts re-evaluated; served suspensions end. Idempotent."""
        now = now or self.clock.now()
        due = list(
            self.session.scalars(
                select(Strike)
                .where(Strike.removed_at.is_(None), Strike.expires_at <= now)
                .order_by(Strike.id)
            )
        )
        users: set[int] = set()
        for strike in due:
            self._lift(
                strike, RemovedWhy.EXPIRED, f"expired {strike.expires_at:%Y-%m-%d}", None, None
            )
            users.add(strike.user_id)
        ended = set(
            self.session.scalars(
                select(AccountStanding.user_id).where(
                    AccountStanding.level == Level.SUSPENDED,
                    AccountStanding.suspended_until <= now,
                )
            )
        )
        changed = 0
        for uid in sorted(users | ended):
            user = self.s.accounts.get(uid)
            before = self.standing(user).level
            if self._reevaluate_at(user, now) != before:
                changed += 1
        return {"strikes_expired": len(due), "levels_changed": changed}

    def _reevaluate_at(self, user: User, now: datetime) -> Level:
        # the scheduler may run "as of" a time the clock has not reached (tests, catch-up)
        saved = self.clock
        self.clock = _At(now)
        try:
            return self._reevaluate(user, None, None, by_time=True)
        finally:
            self.clock = saved

    # -- the upload path ----------------------------------------------------------------

    def upload_stance(self, user: User) -> UploadStance:
        row = self.session.scalar(select(AccountStanding).where(AccountStanding.user_id == user.id))
        if row is None:
            return UploadStance(Level.GOOD)
        level = Level(row.level)
        now = self.clock.now()
        if level == Level.SUSPENDED and row.suspended_until and row.suspended_until <= now:
            # served, though the scheduler has not run yet: evaluate now
            level = self._reevaluate(user, None, None, by_time=True)
        stance = stance_for(level, row.active_strikes, row.suspended_until)
        if row.evasion_of is not None:
            return UploadStance(
                Level.TERMINATED,
                refuse="This account was closed: it matches an account terminated under the "
                "repeat-infringer policy.",
            )
        return stance

    # -- evasion -------------------------------------------------------------------------

    def check_evasion(
        self, user: User, actor: User | None = None, ip: str | None = None
    ) -> str | None:
        return evasion.catch_evasion(self.session, self.clock, user, actor=actor, ip=ip)

    def evasions(self, viewer: User) -> list[dict[str, Any]]:
        require(viewer, Perm.REVIEW)
        rows = self.session.scalars(
            select(AccountStanding)
            .where(AccountStanding.evasion_of.is_not(None))
            .order_by(AccountStanding.id)
        )
        out = []
        for row in rows:
            new = self.s.accounts.get(row.user_id)
            old = self.s.accounts.get(row.evasion_of) if row.evasion_of else None
            out.append(
                {
                    "user": new.name,
                    "terminated_account": old.name if old else None,
                    "reason": row.evasion_reason,
                    "at": row.changed_at.isoformat(),
                }
            )
        return out

    # -- reading -------------------------------------------------------------------------

    def strikes_view(self, user: User, viewer: User) -> dict[str, Any]:
        """A user's strikes as ``viewer`` may see them: the user themself, reviewers and
        administrators. Each strike says what lifts it."""
        if viewer.id != user.id and not has(viewer, Perm.REVIEW):
            raise Forbidden("only the user, reviewers and administrators may see strikes")
        now = self.clock.now()
        row = self.session.scalar(select(AccountStanding).where(AccountStanding.user_id == user.id))
        level = Level(row.level) if row else Level.GOOD
        strikes = list(
            self.session.scalars(
                select(Strike).where(Strike.user_id == user.id).order_by(Strike.id)
            )
        )
        appeals: dict[int, StrikeAppeal] = {}
        for a in self.session.scalars(
            select(StrikeAppeal).where(StrikeAppeal.user_id == user.id).order_by(StrikeAppeal.id)
        ):
            appeals[a.strike_id] = a
        active = [s for s in strikes if s.removed_at is None and s.expires_at > now]
        ids = {s.content_id for s in strikes if s.content_id is not None}
        public: dict[int, str] = {
            cid: pub
            for cid, pub in self.session.execute(
                select(Content.id, Content.public_id).where(Content.id.in_(ids))
            )
        }
        out: dict[str, Any] = {
            "user": user.name,
            "status": level.value if user.status == "active" else user.status,
            "level": level.value,
            "account_status": user.status,
            "active_strikes": len(active),
            "suspended_until": (
                row.suspended_until.isoformat()
                if row and row.suspended_until and level == Level.SUSPENDED
                else None
            ),
            "strikes": [strike_view(s, appeals.get(s.id), now, public) for s in active],
            "lifted": [
                strike_view(s, appeals.get(s.id), now, public) for s in strikes if s not in active
            ],
            "what_lifts": lifts(level),
        }
        if row is not None and row.evasion_of is not None:
            old = self.s.accounts.get(row.evasion_of)
            out["evasion_of"] = {"user": old.name, "reason": row.evasion_reason}
        return out


class _At(Clock):
    """A clock stopped at one time."""

    def __init__(self, when: datetime) -> None:
        self._when = when

    def now(self) -> datetime:
        return self._when


def strike_view(
    s: Strike, appeal: StrikeAppeal | None, now: datetime, public: dict[int, str] | None = None
) -> dict[str, Any]:
    lifted_by = ["expiry", "appeal"] + (["counter_notice"] if s.notice_id else [])
    if s.source in (StrikeSource.BLOCK, StrikeSource.REVIEW):
        lifted_by.append("release by a reviewer (send a licence or proof of ownership)")
    return {
        "id": s.id,
        "source": s.source,
        "work_id": s.work_id,
        "notice_id": s.notice_id,
        "content": (public or {}).get(s.content_id) if s.content_id else None,
        "content_sha256": s.content_sha256,
        "reason": s.reason,
        "at": s.created_at.isoformat(),
        "expires": s.expires_at.isoformat(),
        "active": s.removed_at is None and s.expires_at > now,
        "removed": (
            {"at": s.removed_at.isoformat(), "why": s.removed_why, "note": s.removed_note}
            if s.removed_at
            else None
        ),
        "appeal": (
            {
                "id": appeal.id,
                "status": appeal.status,
                "statement": appeal.statement,
                "reason": appeal.reason,
            }
            if appeal
            else None
        ),
        "lifted_by": lifted_by if s.removed_at is None else [],
    }
