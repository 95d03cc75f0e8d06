"""The figures of a transparency report: what happened in a period, read from the database.

Everything here is a read (no row is written or changed). The period is half-open,
``start <= at < end``, over timezone-aware moments; stored times are UTC, so the bounds are
turned to UTC before they reach SQL (SQLite keeps no zone and compares the text).

Definitions (the same in every format the report is rendered to):

* **time to act** on a notice item: from the moment the notice became valid
  (``Notice.valid_at``, when the 24-hour clock of LEGAL.md C3 starts) to the moment the
  item's measure was taken (``NoticeItem.acted_at``). Items are counted in the period in
  which they were acted on, whatever the notice's date.
* **median**: the middle value of the sorted durations; for an even count, the mean of the
  two middle values.
* **95th percentile**: nearest rank: the value at rank ``ceil(0.95 * n)`` (1-based) of the
  sorted durations, so it is always an observed duration (for n <= 20 it is the largest).
* **share within 24 h**: items acted on at most 24 hours after the notice became valid,
  over all items acted on in the period.
* **automated or human**: a measure taken in the same step as the notice's validation has
  no actor in the ledger (automated); one a reviewer took carries the reviewer. Screening
  decisions are automated; reviewers' ``content.review.*`` decisions are human.
* figures with no source in the platform are ``None`` (shown as "not measured" with the
  reason), never 0.
"""

from __future__ import annotations

import json
import math
import statistics
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from safeharbor.accounts.models import Role, User
from safeharbor.audit.models import Record
from safeharbor.notices.models import CounterNotice, Notice, NoticeItem, NoticeStatus
from safeharbor.registry.models import Work
from safeharbor.screening.models import Content, Screening

DAY_HOURS = 24.0
#: a period longer than this is charted per ISO week rather than per day
DAILY_LIMIT_DAYS = 92

#: ledger actions that are decisions on content, accounts or requests (for automated/human)
DECISION_ACTIONS = (
    "screening.decision",
    "notice.measure",
    "notice.item_dismissed",
    "notice.unfounded",
    "notice.restore",
    "counter.rejected",
    "content.review.allow",
    "content.review.block",
    "strike.add",
    "strike.remove",
    "strike.appeal_decided",
    "account.level",
    "disclosure.grant",
    "disclosure.refuse",
    "blacklist.add",
    "link.blocked",
)
#: decisions a machine takes whoever the actor named in the record is (the uploader is the
#: actor of their own upload's screening)
ALWAYS_AUTOMATED = ("screening.decision", "link.blocked")


# -- the tree ------------------------------------------------------------------------------


@dataclass
class Durations:
    """A distribution of durations, in hours (see the module docstring for definitions)."""

    count: int
    median_hours: float | None
    p95_hours: float | None
    within_24h: int
    share_within_24h: float | None
    hours: list[float] = field(default_factory=list)


@dataclass
class Series:
    """Counts per bucket (day or ISO week, in the report's time zone)."""

    bucket: str  # day | week
    points: list[tuple[date, int]]


@dataclass
class NoticeFigures:
    received: int
    valid: int
    incomplete: int
    by_type: dict[str, int]
    by_sender_kind: dict[str, int]
    by_channel: dict[str, int]
    by_profile: dict[str, int]
    per_bucket: Series
    items_named: int
    items_acted: int
    items_by_measure: dict[str, int]
    items_by_location: dict[str, int]
    items_dismissed: int
    items_unlocated: int
    acted_automatically: int
    acted_after_review: int
    time_to_act: Durations
    overdue: int
    unfounded: int
    senders_flagged: int
    #: DSA 22: no trusted flaggers are designated on the platform (no such role exists)
    trusted_flaggers: int | None = None


@dataclass
class CounterFigures:
    filed: int
    incomplete: int
    by_outcome: dict[str, int]
    decided: int
    time_to_decide: Durations
    reversals: int
    restorations: int
    restorations_by_reason: dict[str, int]


@dataclass
class ScreeningFigures:
    """Own-initiative measures: the automated screen of uploads and its review."""

    uploads: int
    screenings_by_purpose: dict[str, int]
    upload_decisions: dict[str, int]
    restricted_automatically: int
    reviewed: int
    review_released: int
    review_blocked: int
    #: reviewers released what the screen restricted, over all reviewed (an error indicator)
    overturn_rate: float | None
    median_screening_ms: float | None


@dataclass
class EnforcementFigures:
    strikes_added: int
    strikes_removed: dict[str, int]
    appeals: int
    appeals_decided: int
    level_changes: dict[str, int]
    evasions: int
    authority_reports: int
    suspensions: int
    terminations: int
    accounts_suspended: int


@dataclass
class DisclosureFigures:
    requests_by_kind: dict[str, int]
    granted: int
    refused: int
    time_to_answer: Durations


@dataclass
class ListFigures:
    blacklist_added: int
    links_blocked: int
    share_imports: int


@dataclass
class DecisionFigures:
    automated: int
    human: int
    by_action: dict[str, tuple[int, int]]  # action -> (automated, human)


@dataclass
class Figures:
    start: datetime
    end: datetime
    tz: str
    notices: NoticeFigures
    counters: CounterFigures
    screening: ScreeningFigures
    enforcement: EnforcementFigures
    disclosure: DisclosureFigures
    lists: ListFigures
    decisions: DecisionFigures
    active_uploaders: int
    #: DSA 24(2): we record no visits by recipients, so this is not measured
    monthly_active_recipients: int | None = None
    authority_orders: int | None = None


# -- statistics ----------------------------------------------------------------------------


def median(values: Sequence[float]) -> float | None:
    return statistics.median(values) if values else None


def nearest_rank(values: Sequence[float], q: float) -> float | None:
    """The value at rank ceil(q * n) of the sorted values (nearest-rank percentile)."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, math.ceil(q * len(ordered)))
    return ordered[rank - 1]


def durations(hours: Iterable[float]) -> Durations:
    values = sorted(hours)
    within = sum(1 for h in values if h <= DAY_HOURS)
    return Durations(
        count=len(values),
        median_hours=median(values),
        p95_hours=nearest_rank(values, 0.95),
        within_24h=within,
        share_within_24h=within / len(values) if values else None,
        hours=values,
    )


def _hours(delta: timedelta) -> float:
    return delta.total_seconds() / 3600


# -- gathering -----------------------------------------------------------------------------


class Gatherer:
    def __init__(self, session: Session, start: datetime, end: datetime, tz: str) -> None:
        if start.tzinfo is None or end.tzinfo is None:
            raise ValueError("report periods are timezone-aware")
        self.session = session
        self.zone = ZoneInfo(tz)
        self.tz = tz
        # stored in UTC; SQLite compares the text, so the bounds must be UTC too
        self.start = start.astimezone(UTC)
        self.end = end.astimezone(UTC)
        self._records: dict[str, list[Record]] = {}

    def _in(self, column: Any) -> Any:
        return (column >= self.start) & (column < self.end)

    def records(self, *actions: str) -> list[Record]:
        """The period's records of these actions (one query per action set, cached)."""
        key = ",".join(actions)
        if key not in self._records:
            self._records[key] = list(
                self.session.scalars(
                    select(Record)
                    .where(self._in(Record.at), Record.action.in_(actions))
                    .order_by(Record.id)
                )
            )
        return self._records[key]

    def count(self, action: str) -> int:
        if action in self._records:
            return len(self._records[action])
        return int(
            self.session.scalar(
                select(func.count(Record.id)).where(self._in(Record.at), Record.action == action)
            )
            or 0
        )

    def by_payload(self, action: str, key: str, default: str = "unspecified") -> dict[str, int]:
        counts: Counter[str] = Counter()
        for rec in self.records(action):
            counts[str(payload(rec).get(key) or default)] += 1
        return dict(sorted(counts.items()))

    # -- notices ---------------------------------------------------------------------------

    def notices(self) -> NoticeFigures:
        rows = self.session.execute(
            select(Notice, User.role, Work.work_type, Work.holder_id)
            .join(User, User.id == Notice.sender_id)
            .outerjoin(Work, Work.id == Notice.work_id)
            .where(self._in(Notice.created_at))
            .order_by(Notice.id)
        ).all()
        # a notice completed later is closed and filed again as a new one: count it once
        received = [
            r for r in rows if not (r[0].status == NoticeStatus.CLOSED and r[0].valid_at is None)
        ]
        modality = self._first_modality([r[0].id for r in received])
        by_type: Counter[str] = Counter()
        kinds: Counter[str] = Counter()
        for notice, role, work_type, holder_id in received:
            by_type[work_type or modality.get(notice.id) or "unspecified"] += 1
            kinds[sender_kind(notice, role, holder_id)] += 1

        items = self.session.execute(
            select(NoticeItem, Notice.valid_at, Notice.id)
            .join(Notice, Notice.id == NoticeItem.notice_id)
            .where(self._in(NoticeItem.acted_at))
            .order_by(NoticeItem.id)
        ).all()
        public = self._public_ids([i.content_id for i, _, _ in items if i.content_id])
        manual = {
            (rec.subject_id, str(payload(rec).get("content")))
            for rec in self.records("notice.measure")
            if rec.actor_id is not None
        }
        delays, auto, human = [], 0, 0
        for item, valid_at, notice_id in items:
            if valid_at is not None and item.acted_at is not None:
                delays.append(_hours(item.acted_at - valid_at))
            if (str(notice_id), public.get(item.content_id or 0)) in manual:
                human += 1
            else:
                auto += 1
        named = self.session.execute(
            select(NoticeItem.state, NoticeItem.located_by)
            .join(Notice, Notice.id == NoticeItem.notice_id)
            .where(self._in(Notice.valid_at))
        ).all()
        return NoticeFigures(
            received=len(received),
            valid=sum(1 for r in received if r[0].valid_at is not None),
            incomplete=sum(1 for r in received if r[0].status == NoticeStatus.INCOMPLETE),
            by_type=dict(sorted(by_type.items())),
            by_sender_kind=dict(sorted(kinds.items())),
            by_channel=_tally(r[0].channel for r in received),
            by_profile=_tally(r[0].profile for r in received),
            per_bucket=self.series([r[0].created_at for r in received]),
            items_named=len(named),
            items_acted=len(items),
            items_by_measure=_tally(i.measure or "unspecified" for i, _, _ in items),
            items_by_location=_tally(i.located_by or "unspecified" for i, _, _ in items),
            items_dismissed=self.count("notice.item_dismissed"),
            items_unlocated=sum(1 for state, _ in named if state == "unlocated"),
            acted_automatically=auto,
            acted_after_review=human,
            time_to_act=durations(delays),
            overdue=self.count("notice.overdue"),
            unfounded=self.count("notice.unfounded"),
            senders_flagged=self.count("sender.flagged"),
        )

    def _first_modality(self, notice_ids: list[int]) -> dict[int, str]:
        if not notice_ids:
            return {}
        out: dict[int, str] = {}
        for nid, modality in self.session.execute(
            select(NoticeItem.notice_id, Content.modality)
            .join(Content, Content.id == NoticeItem.content_id)
            .where(NoticeItem.notice_id.in_(notice_ids))
            .order_by(NoticeItem.id)
        ):
            out.setdefault(nid, modality)
        return out

    def _public_ids(self, content_ids: list[int]) -> dict[int, str]:
        if not content_ids:
            return {}
        return dict(
            self.session.execute(
                select(Content.id, Content.public_id).where(Content.id.in_(set(content_ids)))
            ).all()
        )

    def series(self, moments: list[datetime]) -> Series:
        first = self.start.astimezone(self.zone).date()
        last = (self.end - timedelta(microseconds=1)).astimezone(self.zone).date()
        weekly = (last - first).days + 1 > DAILY_LIMIT_DAYS

        def bucket(d: date) -> date:
            return d - timedelta(days=d.weekday()) if weekly else d

        counts = Counter(bucket(m.astimezone(self.zone).date()) for m in moments)
        points, day = [], bucket(first)
        while day <= last:
            points.append((day, counts.get(day, 0)))
            day += timedelta(days=7 if weekly else 1)
        return Series("week" if weekly else "day", points)

    # -- counter-notices -------------------------------------------------------------------

    def counters(self) -> CounterFigures:
        rows = self.session.execute(
            select(CounterNotice, Notice.closed_at)
            .join(Notice, Notice.id == CounterNotice.notice_id)
            .where(self._in(CounterNotice.created_at))
            .order_by(CounterNotice.id)
        ).all()
        complete = [(c, closed) for c, closed in rows if c.status != "incomplete"]
        waits = []
        for c, closed in complete:
            if c.status in ("valid", "incomplete"):
                continue  # still pending
            ended = c.decided_at or c.holder_action_at or closed
            if ended is not None:
                waits.append(_hours(ended - c.created_at))
        restores = self.records("content.restore")
        reasons: Counter[str] = Counter()
        for rec in restores:
            why = str(payload(rec).get("why", ""))
            if why.startswith("the notice was unfounded"):
                reasons["unfounded_notice"] += 1
            elif why.startswith("no complaint or lawsuit"):
                reasons["period_expired"] += 1
            else:
                reasons["counter_notice"] += 1
        return CounterFigures(
            filed=len(complete),
            incomplete=len(rows) - len(complete),
            by_outcome=_tally("pending" if c.status == "valid" else c.status for c, _ in complete),
            decided=len(waits),
            time_to_decide=durations(waits),
            reversals=sum(1 for c, _ in complete if c.status == "upheld"),
            restorations=len(restores),
            restorations_by_reason=dict(sorted(reasons.items())),
        )

    # -- screening -------------------------------------------------------------------------

    def screening(self) -> ScreeningFigures:
        rows = self.session.execute(
            select(Screening.purpose, Screening.decision, Screening.elapsed_ms).where(
                self._in(Screening.created_at)
            )
        ).all()
        uploads = [r for r in rows if r.purpose == "upload"]
        released = self.count("content.review.allow")
        blocked = self.count("content.review.block")
        reviewed = released + blocked
        return ScreeningFigures(
            uploads=len(uploads),
            screenings_by_purpose=_tally(r.purpose.split(":")[0] for r in rows),
            upload_decisions=_tally(r.decision for r in uploads),
            restricted_automatically=sum(
                1 for r in uploads if r.decision in ("hold", "block", "review")
            ),
            reviewed=reviewed,
            review_released=released,
            review_blocked=blocked,
            overturn_rate=released / reviewed if reviewed else None,
            median_screening_ms=median([r.elapsed_ms for r in rows]),
        )

    # -- after an infringement -------------------------------------------------------------

    def enforcement(self) -> EnforcementFigures:
        levels = self.by_payload("account.level", "to")
        suspended_status = sum(
            1 for rec in self.records("user.status") if payload(rec).get("to") == "suspended"
        )
        return EnforcementFigures(
            strikes_added=self.count("strike.add"),
            strikes_removed=self.by_payload("strike.remove", "why"),
            appeals=self.count("strike.appeal"),
            appeals_decided=self.count("strike.appeal_decided"),
            level_changes=levels,
            evasions=self.count("account.evasion"),
            authority_reports=self.count("authority.report"),
            suspensions=levels.get("suspended", 0),
            terminations=levels.get("terminated", 0),
            accounts_suspended=suspended_status,
        )

    def disclosure(self) -> DisclosureFigures:
        asked = {(r.subject_type, r.subject_id): r.at for r in self.records("disclosure.request")}
        waits = []
        answers = self.records("disclosure.grant", "disclosure.refuse")
        for rec in answers:
            at = asked.pop((rec.subject_type, rec.subject_id), None)
            if at is not None:
                waits.append(_hours(rec.at - at))
        return DisclosureFigures(
            requests_by_kind=self.by_payload("disclosure.request", "kind"),
            granted=sum(1 for r in answers if r.action == "disclosure.grant"),
            refused=sum(1 for r in answers if r.action == "disclosure.refuse"),
            time_to_answer=durations(waits),
        )

    def lists(self) -> ListFigures:
        return ListFigures(
            blacklist_added=self.count("blacklist.add"),
            links_blocked=self.count("link.blocked"),
            share_imports=self.count("share.import"),
        )

    def decisions(self) -> DecisionFigures:
        split: dict[str, list[int]] = {}
        no_actor = Record.actor_id.is_(None)
        for action, automated, n in self.session.execute(
            select(Record.action, no_actor, func.count(Record.id))
            .where(self._in(Record.at), Record.action.in_(DECISION_ACTIONS))
            .group_by(Record.action, no_actor)
        ):
            pair = split.setdefault(action, [0, 0])
            pair[0 if action in ALWAYS_AUTOMATED or automated else 1] += n
        return DecisionFigures(
            automated=sum(a for a, _ in split.values()),
            human=sum(h for _, h in split.values()),
            by_action={k: (v[0], v[1]) for k, v in sorted(split.items())},
        )

    def active_uploaders(self) -> int:
        return int(
            self.session.scalar(
                select(func.count(func.distinct(Content.uploader_id))).where(
                    self._in(Content.created_at)
                )
            )
            or 0
        )


def payload(rec: Record) -> dict[str, Any]:
    value = json.loads(rec.document).get("payload") or {}
    return value if isinstance(value, dict) else {}


def sender_kind(notice: Notice, role: str, work_holder_id: int | None) -> str:
    """Who sent a notice: ``agent`` (for a holder: an authorisation field, the agent flag,
    or a named work registered to someone else), ``holder`` (a rights holder's own),
    ``email`` (a holder account opened by the email intake for a first-time sender),
    or the sender's role otherwise."""
    fields = notice.fields or {}
    if (
        fields.get("authorisation")
        or str(fields.get("agent", "")).lower() in ("true", "yes", "1")
        or (work_holder_id is not None and work_holder_id != notice.sender_id)
    ):
        return "agent"
    if notice.channel == "email" and role == Role.HOLDER and work_holder_id is None:
        return "email"
    return "holder" if role == Role.HOLDER else str(role)


def _tally(values: Iterable[str]) -> dict[str, int]:
    return dict(sorted(Counter(values).items()))


def gather(session: Session, start: datetime, end: datetime, tz: str = "UTC") -> Figures:
    """Every figure of the period ``[start, end)``."""
    g = Gatherer(session, start, end, tz)
    return Figures(
        start=g.start,
        end=g.end,
        tz=tz,
        notices=g.notices(),
        counters=g.counters(),
        screening=g.screening(),
        enforcement=g.enforcement(),
        disclosure=g.disclosure(),
        lists=g.lists(),
        decisions=g.decisions(),
        active_uploaders=g.active_uploaders(),
    )
