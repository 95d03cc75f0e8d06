"""The decision: what the platform does with an upload, given what it matched.

Pure functions over plain data, so every rule is testable without a database: the
screening service gathers the facts (matches, licences, priority entries) and asks here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from safeharbor.config import Settings
from safeharbor.screening.models import Decision


@dataclass
class MatchFacts:
    """One matched work and what the policy needs to know about it."""

    work_id: int
    title: str
    work_type: str
    holder_id: int
    score: float
    signal: str
    exact: bool
    priority: str | None  # the priority list the work is on now, if any
    licence_id: int | None  # a licence in force for this uploader, if any
    #: a stay-down entry: content taken down on this notice (a re-upload is blocked)
    staydown_notice: int | None = None
    query_span: list[float] | None = None
    reference_span: list[float] | None = None
    evidence: dict[str, Any] = field(default_factory=dict)
    #: every signal that found this work, with its own score and spans (a film found by
    #: its pictures and by its sound is stronger evidence for a reviewer than either)
    signals: dict[str, dict[str, Any]] = field(default_factory=dict)

    def view(self) -> dict[str, Any]:
        return {
            "work_id": self.work_id,
            "title": self.title,
            "score": round(self.score, 4),
            "signal": self.signal,
            "query_span": self.query_span,
            "reference_span": self.reference_span,
            "priority": self.priority,
            "licence_id": self.licence_id,
            "staydown_notice": self.staydown_notice,
            "evidence": self.evidence,
            "signals": self.signals,
        }


@dataclass
class Verdict:
    decision: Decision
    reason: str
    next_step: str | None
    #: the match that decided, if any
    deciding: MatchFacts | None = None
    threshold: float | None = None


def decide(
    matches: list[MatchFacts],
    settings: Settings,
    uploader_id: int | None,
    *,
    strict: bool = False,
) -> Verdict:
    """The most severe outcome over all matched works.

    ``strict`` applies the priority threshold to every work: used before the platform
    promotes or earns from an upload (the "should have known" duty of care) and for
    uploaders under repeat-infringer watch.
    """
    t = settings.thresholds
    best = Verdict(Decision.ALLOW, "No registered work matched this upload.", None)
    for m in matches:
        priority = m.priority is not None or m.staydown_notice is not None
        threshold = t.priority if (priority or strict) else t.match
        if m.score >= threshold:
            if uploader_id is not None and m.holder_id == uploader_id:
                v = Verdict(
                    Decision.ALLOW,
                    f"Matches your own registered work '{m.title}'.",
                    None,
                    m,
                    threshold,
                )
            elif m.licence_id is not None:
                v = Verdict(
                    Decision.ALLOW_LICENSED,
                    f"Matches '{m.title}', which you are licensed to use (licence {m.licence_id}).",
                    None,
                    m,
                    threshold,
                )
            else:
                v = _infringing(m, settings, threshold, priority)
        elif m.score >= min(t.review, threshold):
            v = Verdict(
                Decision.REVIEW,
                f"Resembles the registered work '{m.title}' (score {m.score:.2f}); "
                "a reviewer will check it before it is published.",
                "No action is needed from you; you will be told the outcome.",
                m,
                threshold,
            )
        else:
            continue
        if v.decision.severity > best.decision.severity or (
            v.decision == best.decision
            and v.deciding is not None
            and (best.deciding is None or v.deciding.score > best.deciding.score)
        ):
            best = v
    return best


def _infringing(m: MatchFacts, settings: Settings, threshold: float, priority: bool) -> Verdict:
    policy = settings.policy_for(m.work_type)
    action = policy.on_exact if m.exact else policy.on_match
    if priority:
        # Works on an authority's protection list or in their release window are the ones
        # the regulator expects never to see uploaded: always blocked.
        action = "block"
    where = f"'{m.title}'" + (f" ({_PRIORITY_LABEL[m.priority]})" if m.priority else "")
    if m.staydown_notice is not None:
        where = f"'{m.title}' (taken down on notice {m.staydown_notice}: it stays down)"
    how = "an exact copy of" if m.exact else f"a match (score {m.score:.2f}) for"
    if action == "block":
        return Verdict(
            Decision.BLOCK,
            f"Blocked: this upload is {how} the protected work {where}.",
            "If you own this work or hold a licence for it, send the licence or proof of "
            "ownership; a reviewer will look at it. Uploading others' works without "
            "permission can lead to restrictions on your account.",
            m,
            threshold,
        )
    if action == "hold":
        return Verdict(
            Decision.HOLD,
            f"Held: this upload is {how} the registered work {where}.",
            "Upload a licence from the rights holder, or proof that you own the work; a "
            "reviewer will decide. Until then the upload is not published.",
            m,
            threshold,
        )
    return Verdict(
        Decision.REVIEW,
        f"This upload is {how} the registered work {where}; a reviewer will check it.",
        "No action is needed from you; you will be told the outcome.",
        m,
        threshold,
    )


_PRIORITY_LABEL = {
    "authority": "on an authority's protection list",
    "release_window": "in its theatrical-release or broadcast window",
}
