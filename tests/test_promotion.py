"""Duty of care: before the platform promotes or earns from an upload it screens again at
the priority threshold, and a complete pirated-looking film that matches nothing goes to a
reviewer (LEGAL.md "Repeat infringement, stay-down, misuse": SPC Prov 9-11, guideline 9.13)."""

from __future__ import annotations

from pathlib import Path

import av
import numpy as np
import pytest

from safeharbor.errors import Forbidden
from tests.conftest import photo, save
from tests.test_screening import (
    approved_work,
    match_score,
    set_thresholds_around,
    upload,
    weak_copy,
)


def tiny_video(path: Path, seconds: int = 2, size: tuple[int, int] = (160, 120)) -> Path:
    with av.open(str(path), "w") as out:
        stream = out.add_stream("mpeg4", rate=10)
        stream.width, stream.height = size
        stream.pix_fmt = "yuv420p"
        for i in range(seconds * 10):
            arr = np.full((size[1], size[0], 3), (i * 7) % 255, dtype=np.uint8)
            for packet in stream.encode(av.VideoFrame.from_ndarray(arr, format="rgb24")):
                out.mux(packet)
        for packet in stream.encode():
            out.mux(packet)
    return path


def test_promotion_rescreens_at_the_stricter_threshold(platform, people, tmp_path):
    approved_work(platform, people, save(photo(50), tmp_path / "r.jpg"), title="Poster")
    query = weak_copy(50, tmp_path / "q.jpg")
    set_thresholds_around(platform, match_score(platform, query), review_above=True)
    content, res = upload(platform, people["uploader"].id, query)
    assert res.verdict.decision == "allow" and content.state == "available"
    with platform.unit() as svc:
        with pytest.raises(Forbidden):
            svc.screening.promote(
                content.public_id, "feature", svc.accounts.get(people["uploader"].id)
            )
        c, res2, promoted = svc.screening.promote(
            content.public_id, "ads", svc.accounts.get(people["reviewer"].id)
        )
    assert not promoted and res2.verdict.decision == "hold" and c.state == "held"
    assert c.promotions == []
    # An unrelated upload is promoted and the promotion remembered.
    other, _ = upload(platform, people["uploader"].id, save(photo(51), tmp_path / "o.jpg"))
    with platform.unit() as svc:
        c, _, promoted = svc.screening.promote(
            other.public_id, "recommend", svc.accounts.get(people["reviewer"].id)
        )
    assert promoted and c.promotions == ["recommend"]


def test_complete_professional_film_that_matches_nothing_goes_to_review(platform, people, tmp_path):
    h = platform.settings.professional
    h.min_film_seconds, h.min_video_height = 1, 100  # a tiny stand-in for a 2-hour 1080p film
    film = tiny_video(tmp_path / "Wandering.Earth.3.2026.1080p.BluRay.x264.mp4")
    content, res = upload(platform, people["uploader"].id, film)
    assert res.verdict.decision == "allow"
    codes = {r["code"] for r in content.risk_reasons}
    assert {"professional_complete", "release_markers"} <= codes
    with platform.unit() as svc:
        c, res2, promoted = svc.screening.promote(
            content.public_id, "chart", svc.accounts.get(people["reviewer"].id)
        )
    assert not promoted and res2.verdict.decision == "review"
    assert "professionally made" in res2.verdict.reason
    # A short home video with a plain name is promoted.
    home = tiny_video(tmp_path / "our_cat.mp4", size=(64, 48))
    content2, _ = upload(platform, people["uploader"].id, home)
    with platform.unit() as svc:
        _, _, promoted2 = svc.screening.promote(
            content2.public_id, "chart", svc.accounts.get(people["reviewer"].id)
        )
    assert promoted2
