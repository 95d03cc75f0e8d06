"""The upload screen: decisions by policy, licences, priority works, holds and reviews,
terms, records of every decision."""

from __future__ import annotations

import hashlib
import json
from datetime import timedelta
from pathlib import Path

import pytest
from PIL import Image, ImageDraw, ImageOps

from safeharbor.audit.models import Record
from safeharbor.audit.service import AppendOnlyError, history, leaf_hash
from safeharbor.errors import Forbidden
from safeharbor.platform import Platform
from safeharbor.screening.models import Screening
from safeharbor.signals.base import Media, Role
from safeharbor.signals.image import ImageSignal
from tests.conftest import photo, save


def approved_work(platform: Platform, people, path: Path, **kw) -> int:  # noqa: ANN001
    with platform.unit() as svc:
        reg = svc.registry.register(svc.accounts.get(people["holder"].id), path, **kw)
        svc.registry.review(reg.work.id, "approve", svc.accounts.get(people["reviewer"].id))
        return reg.work.id


def upload(platform: Platform, user_id: int, path: Path, ip: str = "198.51.100.4"):  # noqa: ANN201
    with platform.unit() as svc:
        content, res = svc.screening.upload(svc.accounts.get(user_id), path, ip=ip)
        return content, res


def overlaid(img: Image.Image) -> Image.Image:
    img = img.copy()
    d = ImageDraw.Draw(img)
    d.rectangle([20, 20, 220, 70], fill=(255, 255, 255))
    d.text((30, 30), "@pirate_channel", fill=(0, 0, 0))
    return img


def weak_copy(seed: int, path: Path) -> Path:
    """A copy altered enough (slight crop, caption, heavy compression) to match weakly."""
    return save(overlaid(photo(seed).crop((20, 15, 620, 465))), path, quality=40)


def match_score(platform: Platform, path: Path) -> float:
    """The best score of ``path`` against the references, however weak."""
    t = platform.settings.thresholds
    saved = t.review
    t.review = 0.05
    try:
        with platform.unit() as svc:
            matches = svc.screening.screen_file(path, uploader=None).matches
    finally:
        t.review = saved
    assert matches, "the altered copy should still resemble its reference"
    return matches[0].score


def set_thresholds_around(platform: Platform, score: float, review_above: bool) -> None:
    """Too weak for an ordinary work, strong enough for a priority one (or a strict re-screen)."""
    t = platform.settings.thresholds
    t.match, t.priority = score + 0.01, score - 0.01
    t.review = score + 0.01 if review_above else score - 0.01


def test_transformed_copy_of_an_image_work_is_held_for_proof(platform, people, tmp_path):
    work_id = approved_work(platform, people, save(photo(10), tmp_path / "ref.jpg"))
    # mirrored, scaled down and recompressed (captions over a large area are matched more
    # weakly: docs/benchmarks.md, "Images")
    copy = ImageOps.mirror(photo(10).resize((400, 300)))
    content, res = upload(
        platform, people["uploader"].id, save(copy, tmp_path / "u.jpg", quality=45)
    )
    assert res.verdict.decision == "hold"  # the image policy holds for a licence or proof
    assert content.state == "held"
    assert res.matches[0].work_id == work_id
    assert "licence" in (content.next_step or "")
    # Unrelated pictures pass.
    content2, res2 = upload(platform, people["uploader"].id, save(photo(11), tmp_path / "o.jpg"))
    assert res2.verdict.decision == "allow" and content2.state == "available"


def test_work_type_policy_blocks_films_and_music(platform, people, tmp_path):
    """LEGAL.md, Repeat infringement: "professionally made complete films and music ...
    signal lack of licence (guideline 9.13)": their matches block, pictures are held."""
    still = save(photo(12), tmp_path / "still.png", "PNG")
    approved_work(platform, people, still, work_type="film", title="Wandering Earth")
    _, res = upload(
        platform, people["uploader"].id, save(photo(12), tmp_path / "s.jpg", quality=70)
    )
    assert res.verdict.decision == "block"
    assert "Wandering Earth" in res.verdict.reason


def test_uploaders_own_work_and_licences(platform, people, tmp_path):
    ref = save(photo(13), tmp_path / "ref.jpg")
    work_id = approved_work(platform, people, ref)
    copy = save(photo(13).resize((320, 240)), tmp_path / "copy.jpg")
    # The holder uploading their own work is allowed.
    _, own = upload(platform, people["holder"].id, copy)
    assert own.verdict.decision == "allow"
    clock = platform.clock
    with platform.unit() as svc:
        lic = svc.registry.grant_licence(
            work_id,
            svc.accounts.get(people["holder"].id),
            licensee=svc.accounts.get(people["uploader"].id),
            ends_at=clock.now() + timedelta(days=30),
        )
    _, licensed = upload(platform, people["uploader"].id, copy)
    assert licensed.verdict.decision == "allow-licensed"
    assert f"licence {lic.id}" in licensed.verdict.reason
    # Someone else is not covered by alice's licence.
    _, other = upload(platform, people["uploader2"].id, copy)
    assert other.verdict.decision == "hold"
    # After the period the licence no longer covers alice.
    clock.advance(timedelta(days=31))  # type: ignore[attr-defined]
    _, expired = upload(platform, people["uploader"].id, copy)
    assert expired.verdict.decision == "hold"
    # A licence to everyone covers bob too; revoking it ends that.
    with platform.unit() as svc:
        open_lic = svc.registry.grant_licence(
            work_id, svc.accounts.get(people["holder"].id), licensee=None
        )
    assert upload(platform, people["uploader2"].id, copy)[1].verdict.decision == "allow-licensed"
    with platform.unit() as svc:
        svc.registry.revoke_licence(open_lic.id, svc.accounts.get(people["holder"].id))
    assert upload(platform, people["uploader2"].id, copy)[1].verdict.decision == "hold"


def test_only_the_holder_grants_licences(platform, people, tmp_path):
    work_id = approved_work(platform, people, save(photo(14), tmp_path / "r.jpg"))
    with platform.unit() as svc, pytest.raises(Forbidden):
        svc.registry.grant_licence(work_id, svc.accounts.get(people["holder2"].id), licensee=None)


def test_priority_work_blocks_on_a_weaker_match(platform, people, tmp_path):
    """LEGAL.md, Repeat infringement, stay-down: "CN stay-down ... works on the NCAC
    key-supervision list; prevent unauthorised hot releases (NCAC 2015 items 5-6)", and
    guideline 9.13 (works in cinema or broadcast)."""
    work_id = approved_work(platform, people, save(photo(15), tmp_path / "r.jpg"))
    query = weak_copy(15, tmp_path / "q.jpg")
    set_thresholds_around(platform, match_score(platform, query), review_above=False)
    assert upload(platform, people["uploader"].id, query)[1].verdict.decision == "review"
    now = platform.clock.now()
    with platform.unit() as svc:
        entry = svc.registry.add_priority(
            work_id,
            "release_window",
            svc.accounts.get(people["admin"].id),
            starts_at=now - timedelta(days=1),
            ends_at=now + timedelta(days=30),
            source="theatrical release",
        )
    content, res = upload(platform, people["uploader"].id, query)
    assert res.verdict.decision == "block"
    assert "broadcast window" in res.verdict.reason
    assert any(r.code == "priority_work" for r in res.risk_reasons)
    # Once the window closes, the weaker match is no longer enough.
    platform.clock.advance(timedelta(days=31))  # type: ignore[attr-defined]
    assert upload(platform, people["uploader"].id, query)[1].verdict.decision == "review"
    with platform.unit() as svc, pytest.raises(Forbidden):
        svc.registry.remove_priority(entry.id, svc.accounts.get(people["holder"].id))


def test_hold_answered_with_a_licence_goes_to_a_reviewer(platform, people, tmp_path):
    approved_work(platform, people, save(photo(16), tmp_path / "r.jpg"))
    content, _ = upload(
        platform, people["uploader"].id, save(photo(16), tmp_path / "u.jpg", quality=50)
    )
    assert content.state == "held"
    licence_doc = tmp_path / "licence.pdf"
    licence_doc.write_bytes(b"%PDF-1.4 licence from the studio")
    with platform.unit() as svc:
        with pytest.raises(Forbidden):
            svc.screening.answer_hold(
                content.public_id,
                svc.accounts.get(people["uploader2"].id),
                kind="licence",
                statement="mine",
                document=None,
            )
        svc.screening.answer_hold(
            content.public_id,
            svc.accounts.get(people["uploader"].id),
            kind="licence",
            statement="licensed in 2025",
            document=licence_doc,
        )
        queue = svc.screening.review_queue()
        assert [c.public_id for c in queue] == [content.public_id]
        assert queue[0].risk_score > 0 and queue[0].risk_reasons
        svc.screening.review(
            content.public_id,
            "allow",
            svc.accounts.get(people["reviewer"].id),
            note="licence checked",
        )
    with platform.unit() as svc:
        c = svc.screening.get(content.public_id)
        assert c.state == "available"
        assert svc.screening.review_queue() == []
        actions = [r.action for r in history(svc.session, "content", c.public_id)]
        assert actions == ["screening.decision", "hold.answer", "content.review.allow"]


def test_every_decision_is_recorded_with_who_when_ip_and_fingerprints(platform, people, tmp_path):
    """LEGAL.md, Records: "uploader's user name, registration IP and time, upload IP and
    time, contact details, the information uploaded" (court guideline 9.10(3))."""
    approved_work(platform, people, save(photo(17), tmp_path / "r.jpg"))
    copy = save(photo(17), tmp_path / "u.jpg", quality=60)  # re-encoded: not an exact copy
    content, _ = upload(platform, people["uploader"].id, copy, ip="192.0.2.55")
    with platform.unit() as svc:
        rec = history(svc.session, "content", content.public_id)[0]
        doc = json.loads(rec.document)
        assert rec.actor_id == people["uploader"].id and rec.actor_ip == "192.0.2.55"
        assert doc["at"] == platform.clock.now().isoformat()
        assert doc["payload"]["decision"] == "hold"
        signals = {fp["signal"] for fp in doc["payload"]["fingerprints"]}
        assert {"exact", "image"} <= signals
        # small hashes inline; large ones (keypoints: tens of KB) by digest, which anyone
        # holding the file can recompute
        kinds = {
            fp["kind"]: fp
            for fp in doc["payload"]["fingerprints"]
            if fp.get("meta", {}).get("variant") != "flip_h"  # the mirror's keypoints
        }
        assert len(bytes.fromhex(kinds["sha256"]["value"])) == 32
        assert len(bytes.fromhex(kinds["global"]["value"])) == 160
        points = kinds["keypoints"]
        assert "value" not in points and points["bytes"] > 1000
        again = ImageSignal().extract(Media("image", "image/jpeg", path=copy), Role.QUERY)
        value = next(fp.value for fp in again if fp.kind == "keypoints")
        assert hashlib.sha256(value).hexdigest() == points["sha256"]
        assert doc["payload"]["matches"][0]["evidence"]  # which hashes justified it
        assert rec.leaf_hash == leaf_hash(rec.document)
        assert svc.session.query(Screening).filter_by(content_id=content.id).count() == 1
        # Review actions are recorded too.
        work_actions = {r.action for r in svc.session.query(Record).filter_by(subject_type="work")}
        assert {"work.register", "work.approve"} <= work_actions


def test_records_are_append_only(platform, people, tmp_path):
    with pytest.raises(AppendOnlyError), platform.unit() as svc:
        rec = svc.session.query(Record).first()
        rec.action = "forged"
    with pytest.raises(AppendOnlyError), platform.unit() as svc:
        svc.session.delete(svc.session.query(Record).first())
    with platform.unit() as svc:
        first = svc.session.query(Record).first()
        assert first.action == "user.create" and first.leaf_hash == leaf_hash(first.document)


def test_terms_must_be_accepted_once_and_are_recorded(platform, people, tmp_path):
    from tests.conftest import make_user

    newbie = make_user(platform, "carol", "uploader")
    path = save(photo(18), tmp_path / "n.jpg")
    with platform.unit() as svc, pytest.raises(Forbidden, match="accept the upload terms"):
        svc.screening.upload(svc.accounts.get(newbie.id), path)
    with platform.unit() as svc:
        user = svc.accounts.get(newbie.id)
        assert svc.accounts.accept_terms(user, platform.settings.terms_version, "192.0.2.1")
        assert not svc.accounts.accept_terms(user, platform.settings.terms_version, "192.0.2.1")
        svc.screening.upload(user, path)
        assert [r.action for r in history(svc.session, "user", newbie.id)] == [
            "user.create",
            "terms.accept",
        ]


def test_restart_adopts_the_kept_keypoint_index(platform, people, tmp_path, monkeypatch):
    """A deployment with a large collection does not re-train its keypoint index at every
    start: the first search after the build keeps a copy in the data folder, and the next
    process (same data folder) adopts it and still finds a cropped copy of a work."""
    from safeharbor.signals import image_keypoints as kp

    monkeypatch.setattr(kp.KeypointIndex, "HASH_FROM", 1500)  # ~6 works: an inverted file
    monkeypatch.setattr(kp.KeypointIndex, "LIST_TARGET", 100)
    ids = [
        approved_work(platform, people, save(photo(700 + i), tmp_path / f"w{i}.jpg"))
        for i in range(8)
    ]
    crop = save(photo(703).crop((60, 40, 560, 420)), tmp_path / "crop.jpg", quality=80)
    assert match_score(platform, crop) >= 0.8
    kept = platform.settings.home / "index-cache" / "work-staydown" / "image"
    assert (kept / "keypoints.json").exists() and (kept / "keypoints.faiss").exists()

    def no_training(*args: object, **kw: object) -> None:
        raise AssertionError("the kept index should have been adopted")

    monkeypatch.setattr(kp.KeypointIndex, "trained_ivf", classmethod(no_training))
    again = Platform(platform.settings, platform.clock)
    try:
        with again.unit() as svc:
            matches = svc.screening.screen_file(crop, uploader=None).matches
        assert matches and matches[0].work_id == ids[3] and matches[0].score >= 0.8
    finally:
        again.close()
