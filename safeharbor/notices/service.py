"""The notice path: intake -> validate -> locate -> measure -> forward -> counter-notice ->
restore or keep -> close, every step recorded and every clock tracked."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, select

from safeharbor import profiles
from safeharbor.accounts.models import Role as UserRole
from safeharbor.accounts.models import User
from safeharbor.accounts.permissions import Perm, has, require
from safeharbor.audit import service as audit
from safeharbor.errors import Conflict, Forbidden, InvalidInput, NotFound
from safeharbor.notices import clocks, locating, messages
from safeharbor.notices.models import CounterNotice, Deadline, Notice, NoticeItem, NoticeStatus
from safeharbor.notices.validation import (
    clean_fields,
    missing_counter_fields,
    missing_notice_fields,
)
from safeharbor.profiles import Profile
from safeharbor.registry.models import Reference, ReferenceFingerprint, Work, fingerprint_rows
from safeharbor.screening.models import Content, ContentState

if TYPE_CHECKING:
    from safeharbor.platform import Services

_MEASURE_STATE = {
    "remove": ContentState.REMOVED,
    "block": ContentState.BLOCKED,
    "disable": ContentState.DISABLED,
}
OPEN_STATUSES = (
    NoticeStatus.VALID,
    NoticeStatus.ACTED,
    NoticeStatus.REVIEW,
    NoticeStatus.COUNTERED,
)


@dataclass
class FilingResult:
    notice: Notice
    located: list[str] = field(default_factory=list)
    unlocated: list[str] = field(default_factory=list)
    candidates: list[str] = field(default_factory=list)
    duplicates: list[str] = field(default_factory=list)

    def view(self) -> dict[str, Any]:
        return {
            "notice_id": self.notice.id,
            "status": "incomplete" if self.notice.missing else "valid",
            "state": self.notice.status,
            "missing": self.notice.missing,
            "located": self.located,
            "unlocated": self.unlocated,
            "candidates": self.candidates,
            "duplicates": self.duplicates,
        }


class NoticeService:
    def __init__(self, services: Services) -> None:
        self.s = services
        self.session = services.session
        self.platform = services.platform
        self.settings = services.platform.settings
        self.clock = services.platform.clock

    # -- profiles ------------------------------------------------------------------------

    def profile(self, name: str | None = None) -> Profile:
        prof = profiles.load(name or self.settings.profile, self.settings.home / "profiles")
        if prof.name == "cn" and self.settings.cn_restoration != prof.clocks.restoration:
            prof = prof.model_copy(deep=True)
            prof.clocks.restoration = self.settings.cn_restoration
        return prof

    # -- intake --------------------------------------------------------------------------

    def file(
        self,
        sender: User,
        fields: dict[str, Any],
        *,
        urls: list[str] | None = None,
        work_id: int | None = None,
        title: str | None = None,
        profile: str | None = None,
        channel: str = "api",
        batch: str | None = None,
        ip: str | None = None,
    ) -> FilingResult:
        """File a notice. An incomplete notice is kept with the list of what is missing; a
        valid one is located and acted on at once."""
        prof = self.profile(profile)
        if sender.role == UserRole.AUTHORITY:
            raise Forbidden("authorities send orders, not notices")
        clean, problems = clean_fields(fields)
        urls = [u.strip() for u in urls or [] if u.strip()]
        if title:
            clean["title"] = title.strip()
        work: Work | None = None
        if work_id is not None:
            work = self.session.get(Work, work_id)
            if work is None:
                problems.append(f"work_id (no work {work_id})")
            else:
                clean["work_id"] = str(work.id)
                clean.setdefault("work", work.title)
        if urls:
            clean["location"] = "\n".join(urls)
        by_agent = (work is not None and work.holder_id != sender.id) or clean.get(
            "agent", ""
        ).lower() in ("true", "yes", "1")
        problems += self._authorisation_problems(clean, by_agent)

        now = self.clock.now()
        notice = Notice(
            profile=prof.name,
            sender_id=sender.id,
            channel=channel,
            status=NoticeStatus.INCOMPLETE,
            fields=clean,
            missing=[],
            work_id=work.id if work else None,
            batch=batch,
            created_at=now,
        )
        self.session.add(notice)
        self.session.flush()
        found = self._locate(urls, work, clean.get("title"))
        located_without_address = not urls and any(f.state == "located" for f in found)
        notice.missing = (
            missing_notice_fields(
                prof,
                clean,
                has_location=bool(urls),
                located_without_address=located_without_address,
                by_agent=by_agent,
            )
            + problems
        )
        self._step(notice, "notice.file", sender, ip, channel=channel, missing=notice.missing)
        result = FilingResult(notice)
        if notice.missing:
            self._tell_incomplete(notice, sender, prof)
            return result
        return self._accept(notice, prof, found, result, sender, ip)

    def complete(
        self, notice_id: int, sender: User, fields: dict[str, Any], ip: str | None = None
    ) -> FilingResult:
        """The sender completes an incomplete notice; it is then filed as if new."""
        notice = self.get(notice_id)
        if notice.sender_id != sender.id:
            raise Forbidden("only the sender may complete a notice")
        if notice.status != NoticeStatus.INCOMPLETE:
            raise Conflict(f"notice {notice.id} is {notice.status}, not incomplete")
        merged = {**notice.fields, **fields}
        urls = [u for u in merged.pop("location", "").splitlines() if u.strip()]
        work_id = int(merged.pop("work_id")) if merged.get("work_id", "").isdigit() else None
        notice.status = NoticeStatus.CLOSED
        notice.closed_at = self.clock.now()
        self._step(notice, "notice.superseded", sender, ip)
        return self.file(
            sender,
            merged,
            urls=urls,
            work_id=work_id,
            title=merged.pop("title", None),
            profile=notice.profile,
            channel=notice.channel,
            ip=ip,
        )

    def _authorisation_problems(self, fields: dict[str, str], by_agent: bool) -> list[str]:
        expires = fields.get("authorisation_expires")
        if not by_agent or not expires:
            return []
        try:
            until = datetime.fromisoformat(expires)
        except ValueError:
            return ["authorisation_expires (not a date)"]
        if until.tzinfo is None:
            until = until.replace(tzinfo=self.clock.now().tzinfo)
        if until < self.clock.now():
            return [f"authorisation (expired {expires})"]
        return []

    def _locate(
        self, urls: list[str], work: Work | None, title: str | None
    ) -> list[locating.Found]:
        if urls:
            return [locating.by_address(self.s, u) for u in urls]
        found: list[locating.Found] = []
        if work is not None:
            found += locating.by_fingerprint(self.s, work)
        if title and not any(f.state == "located" for f in found):
            found += locating.by_title(self.s, title)
        seen: set[int] = set()
        unique = []
        for f in sorted(found, key=lambda f: -f.certainty):
            if f.content is not None and f.content.id in seen:
                continue
            if f.content is not None:
                seen.add(f.content.id)
            unique.append(f)
        if not unique:
            unique.append(
                locating.Found(title or (work.title if work else "?"), None, None, 0.0, "unlocated")
            )
        return unique

    def _accept(
        self,
        notice: Notice,
        prof: Profile,
        found: list[locating.Found],
        result: FilingResult,
        sender: User,
        ip: str | None,
    ) -> FilingResult:
        now = self.clock.now()
        notice.status = NoticeStatus.VALID
        notice.valid_at = now
        act_due = now + timedelta(hours=prof.clocks.act_hours)
        self.session.add(
            Deadline(
                notice_id=notice.id,
                clock="act",
                due_at=act_due,
                remind_at=act_due - timedelta(hours=prof.clocks.reminder_before_hours),
                status="open",
            )
        )
        for f in found:
            item = NoticeItem(
                notice_id=notice.id,
                locator=f.locator[:2000],
                content_id=f.content.id if f.content else None,
                located_by=f.located_by,
                certainty=f.certainty,
                state=f.state,
            )
            if f.content is not None and self._already_acted(f.content, notice.id):
                item.state = "duplicate"
                result.duplicates.append(f.content.public_id)
            self.session.add(item)
            notice.items.append(item)
            if item.state == "located" and f.content is not None:
                result.located.append(f.content.public_id)
            elif item.state == "candidate" and f.content is not None:
                result.candidates.append(f.content.public_id)
            elif item.state == "unlocated":
                result.unlocated.append(f.locator)
        self.session.flush()
        self._step(notice, "notice.valid", sender, ip, located=result.located)
        for item in notice.items:
            if item.state == "located":
                self._take_down(notice, item, None, ip)
        self._settle(notice)
        return result

    def _already_acted(self, content: Content, notice_id: int) -> bool:
        other = self.session.scalar(
            select(NoticeItem.id)
            .join(Notice, Notice.id == NoticeItem.notice_id)
            .where(
                NoticeItem.content_id == content.id,
                NoticeItem.state == "acted",
                NoticeItem.notice_id != notice_id,
                Notice.status.in_(OPEN_STATUSES),
            )
        )
        return other is not None

    # -- measures ------------------------------------------------------------------------

    def _take_down(
        self, notice: Notice, item: NoticeItem, actor: User | None, ip: str | None
    ) -> None:
        content = self.session.get(Content, item.content_id)
        assert content is not None
        measure = self.settings.takedown_measure
        now = self.clock.now()
        before = content.state
        if measure != "forward":
            content.state = _MEASURE_STATE[measure].value
            content.reason = f"Taken down on notice {notice.id} from a rights holder."
            content.next_step = (
                "You may answer with a counter-notice if you believe this is a mistake."
            )
        item.state = "acted"
        item.measure = measure
        item.acted_at = now
        self._stay_down(notice, content)
        self._step(
            notice,
            "notice.measure",
            actor,
            ip,
            content=content.public_id,
            measure=measure,
            state_from=before,
            state_to=content.state,
            hours_since_notice=round((now - (notice.valid_at or now)).total_seconds() / 3600, 3),
        )
        audit.append(
            self.session,
            at=now,
            action="content.takedown",
            subject_type="content",
            subject_id=content.public_id,
            actor_id=actor.id if actor else None,
            actor_ip=ip,
            payload={"notice": notice.id, "measure": measure, "from": before, "to": content.state},
        )
        self._forward_to_uploader(notice, content, measure)
        if measure != "forward":
            # an upheld notice is a strike (repeat-infringer policy); "forward" leaves the
            # content up, so nothing was found to infringe yet
            self.s.enforcement.on_takedown(notice, content, actor, ip)

    def _stay_down(self, notice: Notice, content: Content) -> None:
        """Copy the upload's fingerprints onto the stay-down list: re-uploads are caught."""
        source = self.session.scalar(
            select(Reference).where(
                Reference.source == "content", Reference.content_id == content.id
            )
        )
        ref = Reference(
            source="staydown",
            content_id=content.id,
            notice_id=notice.id,
            work_id=notice.work_id,
            created_at=self.clock.now(),
        )
        fps = list(source.fingerprints) if source is not None else []
        ref.fingerprints = fingerprint_rows(fps)
        if not fps:  # stored before uploads kept fingerprints: the exact hash still works
            ref.fingerprints = [
                ReferenceFingerprint(
                    signal="exact", kind="sha256", value=bytes.fromhex(content.sha256), meta={}
                )
            ]
        self.session.add(ref)

    def _settle(self, notice: Notice) -> None:
        """ACTED once every item is acted, duplicate or dismissed; REVIEW while a reviewer
        must decide something; the act clock is done when nothing is left to do."""
        states = {i.state for i in notice.items}
        now = self.clock.now()
        if states & {"candidate", "unlocated", "located"}:
            notice.status = NoticeStatus.REVIEW
            return
        notice.status = NoticeStatus.ACTED
        notice.acted_at = notice.acted_at or now
        for d in self._deadlines(notice, "act"):
            d.status, d.done_at = "done", now

    def review_item(
        self, item_id: int, action: str, reviewer: User, ip: str | None = None
    ) -> NoticeItem:
        """A reviewer takes down a candidate, or dismisses it (not the content named)."""
        require(reviewer, Perm.REVIEW)
        item = self.session.get(NoticeItem, item_id)
        if item is None:
            raise NotFound(f"no notice item {item_id}")
        if action not in ("take_down", "dismiss"):
            raise InvalidInput("action must be 'take_down' or 'dismiss'")
        if item.state not in ("candidate", "located", "unlocated"):
            raise Conflict(f"item {item.id} is {item.state}")
        notice = item.notice
        if action == "take_down":
            if item.content_id is None:
                raise InvalidInput("nothing was located for this item: dismiss it")
            self._take_down(notice, item, reviewer, ip)
        else:
            item.state = "dismissed"
            self._step(notice, "notice.item_dismissed", reviewer, ip, item=item.id)
        self._settle(notice)
        return item

    def locate_item(
        self, item_id: int, content_id: str, reviewer: User, ip: str | None = None
    ) -> NoticeItem:
        """A reviewer names the upload an unlocated item means (found by hand: the notice's
        details suffice for a person where the automatic search fell short). The item is
        then located, for the reviewer's take-down decision like any other."""
        require(reviewer, Perm.REVIEW)
        item = self.session.get(NoticeItem, item_id)
        if item is None:
            raise NotFound(f"no notice item {item_id}")
        if item.state not in ("candidate", "located", "unlocated"):
            raise Conflict(f"item {item.id} is {item.state}")
        content = self.s.screening.get(content_id.strip())
        if content.state not in (ContentState.AVAILABLE, ContentState.RESTORED, ContentState.HELD):
            raise Conflict(f"content {content.public_id} is {content.state}: nothing to act on")
        item.content_id = content.id
        item.located_by = "reviewer"
        item.certainty = 1.0
        item.state = "located"
        self._step(
            item.notice,
            "notice.item_located",
            reviewer,
            ip,
            item=item.id,
            content=content.public_id,
        )
        return item

    # -- forwarding ------------------------------------------------------------------------

    def _forward_to_uploader(self, notice: Notice, content: Content, measure: str) -> None:
        prof = self.profile(notice.profile)
        uploader = self.s.accounts.get(content.uploader_id)
        sender = self.s.accounts.get(notice.sender_id)
        who = (
            notice.fields.get("notifier_name", sender.name)
            if prof.forwarding.notifier_identity_to_uploader
            else "a rights holder"
        )
        grounds = notice.fields.get("evidence") or notice.fields.get("explanation") or "-"
        what = {"remove": "removed", "block": "blocked", "disable": "disabled", "forward": "kept"}[
            measure
        ]
        messages.post(
            self.session,
            self.clock,
            to=uploader,
            kind="notice.forward",
            notice_id=notice.id,
            subject=f"Notice {notice.id}: your upload {content.public_id} was {what}",
            body=(
                f"Your upload '{content.title}' ({content.public_id}) was {what} on notice "
                f"{notice.id} from {who}, who says it infringes: "
                f"{notice.fields.get('work', 'their work')}.\n"
                f"Their grounds: {grounds}\n\n"
                "If you believe this is a mistake, send a counter-notice (safeharbor notices "
                f"counter {notice.id}, or POST /api/notices/{notice.id}/counter) with: "
                f"{', '.join(prof.counter.required)}."
            ),
        )
        messages.post(
            self.session,
            self.clock,
            to=sender,
            kind="notice.done",
            notice_id=notice.id,
            subject=f"Notice {notice.id}: {content.public_id} {what}",
            body=f"The content {content.public_id} named in your notice {notice.id} was {what}.",
        )

    def _tell_incomplete(self, notice: Notice, sender: User, prof: Profile) -> None:
        messages.post(
            self.session,
            self.clock,
            to=sender,
            kind="notice.incomplete",
            notice_id=notice.id,
            subject=f"Notice {notice.id} is incomplete",
            body=(
                f"Your notice {notice.id} ({prof.title}) cannot be acted on yet. Missing: "
                f"{', '.join(notice.missing)}. Complete it (POST /api/notices/{notice.id}/complete)"
                " and it will be acted on at once; it is kept until then."
            ),
        )

    def relay(self, notice_id: int, sender: User, text: str, ip: str | None = None) -> int:
        """The rights holder writes to the uploader through the platform (no address is
        revealed either way); returns how many uploaders were written to."""
        notice = self.get(notice_id)
        if notice.sender_id != sender.id:
            raise Forbidden("only the notice's sender may write to its uploaders")
        text = text.strip()
        if not text or len(text) > 5000:
            raise InvalidInput("a message of 1 to 5,000 characters")
        uploaders = {
            c.uploader_id
            for i in notice.items
            if i.content_id and (c := self.session.get(Content, i.content_id)) is not None
        }
        for uid in sorted(uploaders):
            messages.post(
                self.session,
                self.clock,
                to=self.s.accounts.get(uid),
                sender=sender,
                kind="relay",
                notice_id=notice.id,
                subject=f"A message about notice {notice.id}",
                body=text,
            )
        self._step(notice, "notice.relay", sender, ip, recipients=len(uploaders))
        return len(uploaders)

    # -- counter-notices -----------------------------------------------------------------

    def counter(
        self, notice_id: int, user: User, fields: dict[str, Any], ip: str | None = None
    ) -> CounterNotice:
        notice = self.get(notice_id)
        acted = [i for i in notice.items if i.state == "acted"]
        if not acted:
            raise Conflict(f"nothing was taken down on notice {notice.id}")
        owners = {self.session.get(Content, i.content_id).uploader_id for i in acted}  # type: ignore[union-attr]
        if user.id not in owners:
            raise Forbidden("only the uploader of the content taken down may counter-notify")
        prof = self.profile(notice.profile)
        clean, problems = clean_fields(fields)
        missing = missing_counter_fields(prof, clean) + problems
        now = self.clock.now()
        counter = CounterNotice(
            notice_id=notice.id,
            user_id=user.id,
            fields=clean,
            missing=missing,
            status="incomplete" if missing else "valid",
            created_at=now,
        )
        self.session.add(counter)
        self.session.flush()
        self._step(notice, "counter.file", user, ip, counter=counter.id, missing=missing)
        if missing:
            return counter
        holder = self.s.accounts.get(notice.sender_id)
        counter.delivered_at = now
        notice.status = NoticeStatus.COUNTERED
        rule = prof.clocks.restoration
        if rule == "regulation":
            body = (
                "The content is restored now (Regulation art. 17); the same item may not be "
                "notified again."
            )
        elif rule == "civil_code":
            due = clocks.reasonable_period_end(
                now,
                prof.clocks.reasonable_period_days,
                prof.clocks.reasonable_period_max_working_days,
            )
            self._deadline(notice, "restore", due, prof, counter)
            body = (
                "The measure stays for now. It ends, and the content is restored, unless you "
                f"show us a complaint to an authority or a lawsuit by {due:%Y-%m-%d %H:%M} UTC "
                "(Civil Code art. 1196)."
            )
        elif rule == "business_days":
            due = clocks.add_working_days(now, prof.clocks.restore_min_business_days)
            self._deadline(notice, "restore", due, prof, counter)
            body = (
                f"The content will be restored in {prof.clocks.restore_min_business_days} business "
                f"days ({due:%Y-%m-%d}) unless you tell us you have filed an action seeking a "
                "court order (17 U.S.C. 512(g)(2)(C))."
            )
        else:  # human_review
            due = now + timedelta(hours=prof.clocks.review_hours)
            self._deadline(notice, "review", due, prof, counter)
            body = "A person will review the complaint (DSA art. 20) and tell you the outcome."
        if prof.forwarding.counter_to_notifier:
            messages.post(
                self.session,
                self.clock,
                to=holder,
                kind="counter.forward",
                notice_id=notice.id,
                subject=f"Counter-notice on your notice {notice.id}",
                body=f"The uploader answered your notice {notice.id}:\n"
                + "\n".join(f"  {k}: {v}" for k, v in clean.items())
                + f"\n\n{body}",
            )
        self._step(notice, "counter.forward", None, None, counter=counter.id, rule=rule)
        if rule == "regulation":
            self._restore(notice, counter, None, "valid counter-notice (Reg 17)")
        return counter

    def holder_action(
        self, notice_id: int, sender: User, text: str, ip: str | None = None
    ) -> CounterNotice:
        """The rights holder shows a complaint or lawsuit: the measure stays."""
        notice = self.get(notice_id)
        if notice.sender_id != sender.id and not has(sender, Perm.REVIEW):
            raise Forbidden("only the notice's sender may report a complaint or lawsuit")
        counter = self._open_counter(notice)
        now = self.clock.now()
        counter.holder_action, counter.holder_action_at = text.strip()[:5000], now
        counter.status = "contested"
        for d in self._deadlines(notice, "restore"):
            d.status, d.done_at, d.note = "cancelled", now, "holder showed a complaint or lawsuit"
        notice.status = NoticeStatus.CLOSED
        notice.closed_at = now
        self._step(notice, "counter.holder_action", sender, ip, counter=counter.id)
        return counter

    def toll(
        self, notice_id: int, days: int, reason: str, reviewer: User, ip: str | None = None
    ) -> Deadline:
        """Extend the CN reasonable period for a documented delay (notarisation and the
        like); never beyond the 20-working-day cap (LEGAL.md C6)."""
        require(reviewer, Perm.REVIEW)
        notice = self.get(notice_id)
        counter = self._open_counter(notice)
        prof = self.profile(notice.profile)
        assert counter.delivered_at is not None
        deadline = next(iter(self._deadlines(notice, "restore")), None)
        if deadline is None:
            raise Conflict("no restoration is scheduled on this notice")
        tolled = int((deadline.note or "tolled 0").split()[1]) + days if deadline.note else days
        deadline.due_at = clocks.reasonable_period_end(
            counter.delivered_at,
            prof.clocks.reasonable_period_days,
            prof.clocks.reasonable_period_max_working_days,
            tolled,
        )
        deadline.note = f"tolled {tolled} days: {reason}"[:500]
        self._step(notice, "counter.toll", reviewer, ip, days=days, due=deadline.due_at.isoformat())
        return deadline

    def decide_complaint(
        self, notice_id: int, uphold: bool, reviewer: User, note: str, ip: str | None = None
    ) -> Notice:
        """A person decides the uploader's complaint (EU human review; any profile's
        reviewer may also restore early)."""
        require(reviewer, Perm.REVIEW)
        notice = self.get(notice_id)
        counter = self._open_counter(notice)
        now = self.clock.now()
        for d in self._deadlines(notice, "review") + self._deadlines(notice, "restore"):
            d.status, d.done_at = "done", now
        counter.decided_at = now
        if uphold:
            self._restore(notice, counter, reviewer, note)
        else:
            counter.status = "rejected"
            notice.status = NoticeStatus.CLOSED
            notice.closed_at = now
            self._step(notice, "counter.rejected", reviewer, ip, note=note)
            messages.post(
                self.session,
                self.clock,
                to=self.s.accounts.get(counter.user_id),
                kind="counter.rejected",
                notice_id=notice.id,
                subject=f"Your complaint on notice {notice.id} was not upheld",
                body=f"A reviewer kept the measure: {note}",
            )
        return notice

    def _restore(
        self, notice: Notice, counter: CounterNotice | None, actor: User | None, why: str
    ) -> None:
        now = self.clock.now()
        for item in notice.items:
            if item.state != "acted" or item.content_id is None:
                continue
            content = self.session.get(Content, item.content_id)
            assert content is not None
            before = content.state
            if item.measure != "forward":
                content.state = ContentState.RESTORED.value
                content.reason = f"Restored after a counter-notice on notice {notice.id}."
                content.next_step = None
            item.state, item.restored_at = "restored", now
            for ref in self.session.scalars(
                select(Reference).where(
                    Reference.source == "staydown",
                    Reference.notice_id == notice.id,
                    Reference.content_id == content.id,
                )
            ):
                ref.active = False
            audit.append(
                self.session,
                at=now,
                action="content.restore",
                subject_type="content",
                subject_id=content.public_id,
                actor_id=actor.id if actor else None,
                payload={"notice": notice.id, "from": before, "to": content.state, "why": why},
            )
        if counter is not None:
            counter.status = "upheld"
        # the content is back: the notice's strike is lifted and the level recomputed
        self.s.enforcement.on_restored(notice, counter is not None, actor)
        notice.status = NoticeStatus.RESTORED
        notice.closed_at = now
        self._step(notice, "notice.restore", actor, None, why=why)
        for uid in {notice.sender_id, counter.user_id if counter else None} - {None}:
            messages.post(
                self.session,
                self.clock,
                to=self.s.accounts.get(uid),  # type: ignore[arg-type]
                kind="notice.restored",
                notice_id=notice.id,
                subject=f"Notice {notice.id}: content restored",
                body=f"The content taken down on notice {notice.id} is restored: {why}.",
            )

    def _open_counter(self, notice: Notice) -> CounterNotice:
        counter = self.session.scalar(
            select(CounterNotice)
            .where(CounterNotice.notice_id == notice.id, CounterNotice.status == "valid")
            .order_by(CounterNotice.id.desc())
        )
        if counter is None:
            raise Conflict(f"notice {notice.id} has no pending counter-notice")
        return counter

    # -- wrong and abusive notices -------------------------------------------------------------

    def mark_unfounded(
        self, notice_id: int, reason: str, reviewer: User, ip: str | None = None
    ) -> bool:
        """Record the notice against its sender and restore what it took down; returns
        True when the sender is now flagged for often unfounded notices (DSA art. 23)."""
        require(reviewer, Perm.REVIEW)
        notice = self.get(notice_id)
        self._restore(notice, None, reviewer, f"the notice was unfounded: {reason}")
        notice.unfounded = reason[:2000]
        notice.status = NoticeStatus.REJECTED
        self._step(notice, "notice.unfounded", reviewer, ip, reason=reason)
        total, unfounded = self.session.execute(
            select(func.count(Notice.id), func.count(Notice.unfounded)).where(
                Notice.sender_id == notice.sender_id, Notice.status != NoticeStatus.INCOMPLETE
            )
        ).one()
        flagged = unfounded >= self.settings.unfounded_flag_count and (
            unfounded / max(total, 1) >= self.settings.unfounded_flag_share
        )
        if flagged:
            audit.append(
                self.session,
                at=self.clock.now(),
                action="sender.flagged",
                subject_type="user",
                subject_id=notice.sender_id,
                actor_id=reviewer.id,
                payload={"unfounded": unfounded, "notices": total},
            )
        return bool(flagged)

    # -- clocks ------------------------------------------------------------------------------

    def _deadline(
        self, notice: Notice, clock: str, due: datetime, prof: Profile, counter: CounterNotice
    ) -> None:
        self.session.add(
            Deadline(
                notice_id=notice.id,
                counter_id=counter.id,
                clock=clock,
                due_at=due,
                remind_at=due - timedelta(hours=prof.clocks.reminder_before_hours),
                status="open",
            )
        )

    def _deadlines(self, notice: Notice, clock: str) -> list[Deadline]:
        return list(
            self.session.scalars(
                select(Deadline).where(
                    Deadline.notice_id == notice.id,
                    Deadline.clock == clock,
                    Deadline.status.in_(("open", "overdue")),
                )
            )
        )

    def run_clocks(self, now: datetime | None = None) -> dict[str, int]:
        """Everything due by ``now``: reminders, escalations of overdue cases to the
        reviewers, scheduled restorations. Safe to run as often as wanted."""
        now = now or self.clock.now()
        done = {"reminders": 0, "escalations": 0, "restorations": 0}
        reviewers = self._reviewers()
        for d in self.session.scalars(
            select(Deadline).where(
                Deadline.status == "open",
                Deadline.remind_at <= now,
                Deadline.reminded_at.is_(None),
                Deadline.due_at > now,
            )
        ):
            d.reminded_at = now
            self._tell_staff(reviewers, d, f"due at {d.due_at:%Y-%m-%d %H:%M} UTC")
            done["reminders"] += 1
        for d in list(
            self.session.scalars(
                select(Deadline).where(Deadline.status == "open", Deadline.due_at <= now)
            )
        ):
            notice = self.get(d.notice_id)
            if d.clock == "restore":
                counter = self.session.get(CounterNotice, d.counter_id) if d.counter_id else None
                d.status, d.done_at = "done", now
                self._restore(notice, counter, None, "no complaint or lawsuit shown in time")
                done["restorations"] += 1
            else:
                # The case is late: reviewers are told, and it stays on top of their queue.
                d.status = "overdue"
                self._tell_staff(reviewers, d, "OVERDUE since " + f"{d.due_at:%Y-%m-%d %H:%M} UTC")
                self._step(notice, "notice.overdue", None, None, clock=d.clock)
                done["escalations"] += 1
        return done

    def _reviewers(self) -> list[User]:
        return list(
            self.session.scalars(
                select(User).where(
                    User.role.in_((UserRole.REVIEWER, UserRole.ADMIN)), User.status == "active"
                )
            )
        )

    def _tell_staff(self, staff: list[User], d: Deadline, when: str) -> None:
        for u in staff:
            messages.post(
                self.session,
                self.clock,
                to=u,
                kind=f"clock.{d.clock}",
                notice_id=d.notice_id,
                subject=f"Notice {d.notice_id}: '{d.clock}' {when}",
                body=f"Notice {d.notice_id} needs attention: the '{d.clock}' clock is {when}.",
            )

    # -- reading -----------------------------------------------------------------------------

    def get(self, notice_id: int) -> Notice:
        notice = self.session.get(Notice, notice_id)
        if notice is None:
            raise NotFound(f"no notice {notice_id}")
        return notice

    def visible(self, notice: Notice, viewer: User) -> Notice:
        if notice.sender_id == viewer.id or has(viewer, Perm.REVIEW):
            return notice
        uploaders = {
            c.uploader_id
            for i in notice.items
            if i.content_id and (c := self.session.get(Content, i.content_id))
        }
        if viewer.id in uploaders:
            return notice
        raise Forbidden("only the sender, the uploaders concerned and reviewers may see a notice")

    def deadlines(self, notice: Notice) -> list[Deadline]:
        """Every clock set on ``notice``, in the order they were set."""
        return list(
            self.session.scalars(
                select(Deadline).where(Deadline.notice_id == notice.id).order_by(Deadline.id)
            )
        )

    def counters_for_review(self) -> list[tuple[CounterNotice, Deadline]]:
        """Valid counter-notices (complaints) that a person must decide (the profile's
        restoration is ``human_review``), with their running clock."""
        rows = self.session.execute(
            select(CounterNotice, Deadline)
            .join(Deadline, Deadline.counter_id == CounterNotice.id)
            .where(
                CounterNotice.status == "valid",
                Deadline.clock == "review",
                Deadline.status.in_(("open", "overdue")),
            )
            .order_by(Deadline.due_at, CounterNotice.id)
        )
        return [(c, d) for c, d in rows]

    def list_notices(self, viewer: User, status: str | None = None) -> list[Notice]:
        q = select(Notice).order_by(Notice.id)
        if status:
            q = q.where(Notice.status == status)
        if not has(viewer, Perm.REVIEW):
            q = q.where(Notice.sender_id == viewer.id)
        return list(self.session.scalars(q))

    def _step(
        self, notice: Notice, action: str, actor: User | None, ip: str | None, **payload: Any
    ) -> None:
        audit.append(
            self.session,
            at=self.clock.now(),
            action=action,
            subject_type="notice",
            subject_id=notice.id,
            actor_id=actor.id if actor else None,
            actor_ip=ip,
            payload={"status": notice.status, **payload},
        )


def notice_view(svc: Services, notice: Notice, viewer: User | None = None) -> dict[str, Any]:
    from safeharbor.audit.service import history, record_view

    steps = []
    for rec in history(svc.session, "notice", notice.id):
        doc = record_view(rec)
        steps.append({"step": doc["action"], "at": doc["at"], "by": doc["actor"]["id"]})
    items = []
    for i in notice.items:
        c = svc.session.get(Content, i.content_id) if i.content_id else None
        items.append(
            {
                "item_id": i.id,
                "content_id": c.public_id if c else None,
                "state": c.state if c else None,
                "item_state": i.state,
                "locator": i.locator,
                "located_by": i.located_by,
                "certainty": i.certainty,
                "measure": i.measure,
            }
        )
    deadlines = [
        {"clock": d.clock, "due": d.due_at.isoformat(), "status": d.status, "note": d.note}
        for d in svc.session.scalars(
            select(Deadline).where(Deadline.notice_id == notice.id).order_by(Deadline.id)
        )
    ]
    return {
        "notice_id": notice.id,
        "status": notice.status,
        "profile": notice.profile,
        "channel": notice.channel,
        "missing": notice.missing,
        "work_id": notice.work_id,
        "created_at": notice.created_at.isoformat(),
        "steps": steps,
        "items": items,
        "deadlines": deadlines,
    }
