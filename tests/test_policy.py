"""The decision rules and the risk score, as pure functions."""

from __future__ import annotations

from safeharbor.config import ProfessionalWorkHeuristic, Settings
from safeharbor.screening.policy import MatchFacts, decide
from safeharbor.screening.risk import TitleIndex, assess, normalise_title, title_like


def fact(score: float, **kw) -> MatchFacts:  # noqa: ANN003
    base = dict(
        work_id=1,
        title="Work",
        work_type="image",
        holder_id=9,
        score=score,
        signal="image",
        exact=False,
        priority=None,
        licence_id=None,
    )
    base.update(kw)
    return MatchFacts(**base)  # type: ignore[arg-type]


S = Settings()


def test_thresholds_and_policies():
    assert decide([], S, 1).decision == "allow"
    assert decide([fact(0.9)], S, 1).decision == "hold"  # images are held for proof
    assert decide([fact(0.9, work_type="music")], S, 1).decision == "block"
    assert decide([fact(1.0, exact=True)], S, 1).decision == "block"  # exact copies block
    assert decide([fact(0.7)], S, 1).decision == "review"  # between review and match
    assert decide([fact(0.5)], S, 1).decision == "allow"


def test_priority_and_strict_use_the_weaker_threshold():
    assert decide([fact(0.7, priority="authority")], S, 1).decision == "block"
    assert decide([fact(0.7)], S, 1, strict=True).decision == "hold"
    assert decide([fact(0.62, priority="authority")], S, 1).decision == "review"


def test_own_work_and_licence_win_over_the_match_but_not_over_others():
    assert decide([fact(0.95, holder_id=1)], S, 1).decision == "allow"
    assert decide([fact(0.95, licence_id=3)], S, 1).decision == "allow-licensed"
    both = [fact(0.95, licence_id=3), fact(0.9, work_id=2, work_type="film")]
    v = decide(both, S, 1)
    assert v.decision == "block" and v.deciding is not None and v.deciding.work_id == 2


def test_per_work_type_policy_is_configurable():
    s = Settings(policies={"image": {"on_match": "block", "on_exact": "block"}})
    assert decide([fact(0.85)], s, 1).decision == "block"


def test_titles_like_known_works():
    assert normalise_title("Wandering.Earth.2019.1080p.BluRay.x264.mkv") == "wandering earth"
    assert (
        title_like("The.Wandering.Earth.2019.WEB-DL.mp4", ["Wandering Earth"]) == "Wandering Earth"
    )
    assert title_like("流浪地球 蓝光 完整版", ["流浪地球"]) == "流浪地球"
    assert title_like("our cat at home", ["Wandering Earth", "Up"]) is None
    assert title_like("Wanderng Earth", ["Wandering Earth"]) == "Wandering Earth"  # misspelt


def test_risk_reasons():
    h = ProfessionalWorkHeuristic()
    score, reasons, pirated = assess(
        modality="video",
        size=10,
        title="Wandering.Earth.1080p.mkv",
        info={"duration": 7200, "height": 1080},
        matches=[],
        known_titles=TitleIndex(["Wandering Earth", "Up"]),
        uploader_blocked=2,
        heuristic=h,
        match_threshold=0.8,
    )
    codes = [r.code for r in reasons]
    assert codes == [
        "professional_complete",
        "release_markers",
        "title_like_known_work",
        "uploader_history",
    ]
    assert pirated and 0.5 < score <= 1
    score2, reasons2, pirated2 = assess(
        modality="video",
        size=10,
        title="cat.mp4",
        info={"duration": 30, "height": 480},
        matches=[],
        known_titles=TitleIndex(["Up"]),
        uploader_blocked=0,
        heuristic=h,
        match_threshold=0.8,
    )
    assert (score2, reasons2, pirated2) == (0, [], False)


def test_title_index_finds_titles_sharing_a_word_or_character_pair():
    idx = TitleIndex(["Wandering Earth", "流浪地球", "Hero"])
    assert idx.like("Wanderng.Earth.2019.mkv") == "Wandering Earth"
    assert idx.like("【蓝光】流浪地球2.mp4") == "流浪地球"
    assert idx.like("holiday.jpg") is None
