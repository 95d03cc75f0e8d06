"""The repeat-infringer levels, from the count of active strikes. Pure: no database, so
each rule is testable alone; the service gathers the counts and applies the outcome.
The levels are documented on ``RepeatInfringerPolicy`` (``safeharbor/config.py``)."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime, timedelta

from safeharbor.config import RepeatInfringerPolicy


class Level(enum.StrEnum):
    GOOD = "good"
    WARNING = "warning"
    RESTRICTED = "restricted"
    HIGHER_DUTY = "higher_duty"
    SUSPENDED = "suspended"
    TERMINATED = "terminated"

    @property
    def rank(self) -> int:
        return list(Level).index(self)


#: what the account's ``User.status`` is at a level (the rest stay "active")
ACCOUNT_STATUS = {Level.SUSPENDED: "suspended", Level.TERMINATED: "terminated"}


def level_for(active: int, policy: RepeatInfringerPolicy) -> Level:
    """The highest level whose threshold the number of active strikes reaches."""
    steps = [
        (policy.terminated, Level.TERMINATED),
        (policy.suspended, Level.SUSPENDED),
        (policy.higher_duty, Level.HIGHER_DUTY),
        (policy.restricted, Level.RESTRICTED),
        (policy.warning, Level.WARNING),
    ]
    for threshold, level in steps:
        if active >= threshold:
            return level
    return Level.GOOD


@dataclass(frozen=True)
class Outcome:
    level: Level
    suspended_until: datetime | None


def evaluate(
    active: int,
    previous: Level,
    suspended_until: datetime | None,
    now: datetime,
    policy: RepeatInfringerPolicy,
    *,
    by_time: bool = False,
) -> Outcome:
    """The level an account is at now. ``by_time``: re-evaluated because time passed
    (strikes expired, a suspension ended), not because a strike was added or lifted."""
    target = level_for(active, policy)
    if previous == Level.TERMINATED and by_time:
        # Termination is the end of the policy, not a sentence served: expiring strikes
        # do not reopen the account. Lifting a mistaken strike (appeal, counter-notice,
        # administrator) re-evaluates it.
        return Outcome(Level.TERMINATED, suspended_until)
    if target == Level.TERMINATED:
        return Outcome(Level.TERMINATED, suspended_until)
    if target == Level.SUSPENDED:
        if suspended_until is None:
            return Outcome(Level.SUSPENDED, now + timedelta(days=policy.suspension_days))
        if now < suspended_until:
            return Outcome(Level.SUSPENDED, suspended_until)
        # served: back, under the strictest restrictions, while the strikes last
        return Outcome(Level.HIGHER_DUTY, suspended_until)
    return Outcome(target, None)


@dataclass(frozen=True)
class UploadStance:
    """What the upload path does for an uploader at ``level``."""

    level: Level
    #: refused outright, with the reason told to the uploader
    refuse: str | None = None
    #: the priority threshold for every work (the duty of care that rises with history)
    strict: bool = False
    #: at least "review": a reviewer sees every upload before it is published
    review: bool = False
    active_strikes: int = 0


def stance_for(level: Level, active: int, suspended_until: datetime | None) -> UploadStance:
    if level == Level.TERMINATED:
        return UploadStance(
            level,
            refuse="Your account was terminated under the repeat-infringer policy "
            f"({active} active strikes); it may not upload.",
            active_strikes=active,
        )
    if level == Level.SUSPENDED:
        until = f" until {suspended_until:%Y-%m-%d %H:%M} UTC" if suspended_until else ""
        return UploadStance(
            level,
            refuse=f"Your account is suspended{until} under the repeat-infringer policy "
            f"({active} active strikes); uploads are refused until then.",
            active_strikes=active,
        )
    if level == Level.HIGHER_DUTY:
        return UploadStance(level, strict=True, review=True, active_strikes=active)
    if level == Level.RESTRICTED:
        return UploadStance(level, review=True, active_strikes=active)
    return UploadStance(level, active_strikes=active)


def lifts(level: Level) -> str:
    """What the uploader is told lifts the level (shown beside the strikes)."""
    if level == Level.GOOD:
        return "No active strikes."
    return (
        "Each strike stops counting on its expiry date. A strike is lifted at once when "
        "a counter-notice restores the content, or when a reviewer upholds your appeal "
        "(safeharbor strikes appeal STRIKE_ID, POST /api/strikes/{id}/appeal)."
    )
