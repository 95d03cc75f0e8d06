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
    #: a partner platform's shared item (not registered here): the partner's trust,
    #: "trusted" (a match is held for proof) or "review" (a match goes to a reviewer)
    shared: str | None = None
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
            elif m.shared is not None:
                v = _shared(m, threshold)
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


def _shared(m: MatchFacts, threshold: float) -> Verdict:
    # The work is registered with a partner, not here: its holder has proven nothing to
    # this platform, so a match is never blocked on it; a trusted partner's item holds
    # the upload for proof or a licence, another's waits for a reviewer.
    if m.shared == "trusted":
        return Verdict(
            Decision.HOLD,
            f"Held: this upload matches (score {m.score:.2f}) the work {m.title!r}, "
            "which a partner platform reports as protected.",
            "Upload a licence from the rights holder, or proof that you own the work; a "
            "reviewer will decide. Until then the upload is not published.",
            m,
            threshold,
        )
    return Verdict(
        Decision.REVIEW,
        f"Resembles the work {m.title!r} (score {m.score:.2f}), which a partner platform "
        "reports as protected; a reviewer will check it before it is published.",
        "No action is needed from you; you will be told the outcome.",
        m,
        threshold,
    )


_PRIORITY_LABEL = {
    "authority": "on an authority's protection list",
    "release_window": "in its theatrical-release or broadcast window",
}


def at_least_review(verdict: Verdict, active_strikes: int) -> Verdict:
    """An uploader under repeat-infringer restrictions: what the screen would publish
    waits for a reviewer instead (a hold or block stays as it is)."""
    if verdict.decision not in (Decision.ALLOW, Decision.ALLOW_LICENSED):
        return verdict
    return Verdict(
        Decision.REVIEW,
        f"Your account has {active_strikes} active strike(s) under the repeat-infringer "
        "policy: every upload is checked by a reviewer before it is published. " + verdict.reason,
        "No action is needed from you; you will be told the outcome.",
        verdict.deciding,
        verdict.threshold,
    )


def with_blacklisted_links(verdict: Verdict, links: list[dict[str, Any]]) -> Verdict:
    """An upload that links to blacklisted sites or apps: what would be published waits
    for a reviewer, with the links named; a hold or block keeps its decision and gains the
    reason. (The links themselves are disabled wherever the upload is shown.)"""
    shown = ", ".join(sorted({str(h["entry"]["pattern"]) for h in links})[:5])
    why = f"It links to sites or apps on the platform's blacklist ({shown})."
    if verdict.decision not in (Decision.ALLOW, Decision.ALLOW_LICENSED):
        return Verdict(
            verdict.decision,
            f"{verdict.reason} {why}",
            verdict.next_step,
            verdict.deciding,
            verdict.threshold,
        )
    return Verdict(
        Decision.REVIEW,
        f"{why} A reviewer will check the upload before it is published.",
        "Remove the links to infringing sites, or wait for the reviewer's decision.",
        verdict.deciding,
        verdict.threshold,
    )
