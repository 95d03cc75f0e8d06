"""The video (pictures) signal on small synthetic videos made with PyAV in tmp_path.

Each "film" is a camera panning over a generated picture (a smooth colour field with
discs), rendered as a function of time so that a segment, a speed change or a mirrored
copy is drawn directly from the same scene and then encoded like an upload would be.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable
from pathlib import Path

import av
import cv2
import numpy as np
import pytest

from safeharbor.signals import video_keypoints as vk
from safeharbor.signals.base import Fingerprint, Media, Role, SignalError, SignalMatch, Span
from safeharbor.signals.video import AGREE_BY, VideoSignal, _prefer_pdq, score_from_evidence
from safeharbor.signals.video_decode import sample_video

U8 = np.ndarray
W, H = 320, 240
FPS = 15
CODEC = next(c for c in ("libx264", "h264", "mpeg4", "libvpx") if c in av.codecs_available)


def scene(seed: int) -> Callable[[float], U8]:
    """A deterministic pan over a random picture: ``frame(t)`` for t in seconds."""
    rng = np.random.default_rng(seed)
    bw, bh = W * 2, H * 2
    big = cv2.resize(
        rng.integers(0, 256, (9, 12, 3), dtype=np.uint8), (bw, bh), interpolation=cv2.INTER_CUBIC
    )
    for _ in range(60):
        c = tuple(int(x) for x in rng.integers(0, 256, 3))
        centre = (int(rng.integers(0, bw)), int(rng.integers(0, bh)))
        cv2.circle(big, centre, int(rng.integers(8, 50)), c, -1)
    # slow enough (at most ~5 % of the frame a second) that a picture half a second off
    # still resembles its neighbour, as in most film shots
    fx, fy = rng.uniform(0.05, 0.1, 2)

    def frame(t: float) -> U8:
        x = int((bw - W) * (0.5 + 0.5 * math.sin(t * fx + 2 * seed)))
        y = int((bh - H) * (0.5 + 0.5 * math.cos(t * fy + 3 * seed)))
        return np.ascontiguousarray(big[y : y + H, x : x + W])

    return frame


def write(path: Path, frames: list[U8], fps: int = FPS, container: str | None = None) -> Path:
    h, w = frames[0].shape[:2]
    with av.open(str(path), "w", format=container) as out:
        s = out.add_stream(CODEC, rate=fps)
        s.width, s.height, s.pix_fmt = w, h, "yuv420p"
        s.gop_size = 2 * fps
        for f in frames:
            for p in s.encode(av.VideoFrame.from_ndarray(f, format="rgb24")):
                out.mux(p)
        for p in s.encode():
            out.mux(p)
    return path


def render(fn: Callable[[float], U8], seconds: float, fps: int = FPS) -> list[U8]:
    return [fn(i / fps) for i in range(int(round(seconds * fps)))]


REF_SEED, OTHER_SEED = 1, 2
REF_SECONDS = 30.0


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    d = tmp_path_factory.mktemp("video")
    ref = write(d / "ref.mp4", render(scene(REF_SEED), REF_SECONDS))
    sig = VideoSignal()
    index = sig.new_index()
    ref_fps = sig.extract(Media("video", "video/mp4", path=ref), Role.REFERENCE)
    index.add(7, ref_fps)
    return {"dir": d, "sig": sig, "index": index, "ref": ref, "reference_fps": ref_fps}


def _query(world: dict[str, object], name: str, frames: list[U8], fps: int = FPS):
    sig = world["sig"]
    path = write(Path(str(world["dir"])) / name, frames, fps)
    fps_ = sig.extract(Media("video", "video/mp4", path=path), Role.QUERY)  # type: ignore[attr-defined]
    return world["index"].search(fps_, 0.0)  # type: ignore[attr-defined]


def _check(matches, q_span: tuple[float, float], r_span: tuple[float, float], tol: float = 1.5):
    assert matches, "the segment was not found"
    m = matches[0]
    assert m.ref_id == 7
    assert m.score >= 0.80, m
    assert m.query_span is not None and m.reference_span is not None
    assert abs(m.query_span.start - q_span[0]) <= tol, m.query_span
    assert abs(m.query_span.end - q_span[1]) <= tol, m.query_span
    assert abs(m.reference_span.start - r_span[0]) <= tol, m.reference_span
    assert abs(m.reference_span.end - r_span[1]) <= tol, m.reference_span
    assert m.evidence["aligned_frames"] >= 4
    return m


SEG = (8.0, 20.0)  # a 12 s segment of the reference


def _segment(t_of: Callable[[float], float], seconds: float, fps: int = FPS) -> list[U8]:
    f = scene(REF_SEED)
    return [f(t_of(i / fps)) for i in range(int(round(seconds * fps)))]


def test_segment_found_and_placed(world: dict[str, object]) -> None:
    frames = _segment(lambda t: SEG[0] + t, SEG[1] - SEG[0])
    m = _check(_query(world, "seg.mp4", frames), (0.0, 12.0), SEG)
    assert m.evidence["query_variant"] == "identity"


def test_flipped(world: dict[str, object]) -> None:
    frames = [np.ascontiguousarray(f[:, ::-1]) for f in _segment(lambda t: SEG[0] + t, 12.0)]
    m = _check(_query(world, "flip.mp4", frames), (0.0, 12.0), SEG)
    assert m.evidence["query_variant"] == "flip_h"


def test_scaled_down_and_other_frame_rate(world: dict[str, object]) -> None:
    fps = 10
    frames = [
        cv2.resize(f, (160, 120), interpolation=cv2.INTER_AREA)
        for f in _segment(lambda t: SEG[0] + t, 12.0, fps)
    ]
    _check(_query(world, "small.mp4", frames, fps), (0.0, 12.0), SEG)


def test_embedded_in_unrelated_video(world: dict[str, object]) -> None:
    other = scene(OTHER_SEED)
    before = render(other, 8.0)
    after = [other(8.0 + i / FPS) for i in range(8 * FPS)]
    frames = before + _segment(lambda t: SEG[0] + t, 12.0) + after
    _check(_query(world, "embedded.mp4", frames), (8.0, 20.0), SEG)


def test_speed_up_ten_percent(world: dict[str, object]) -> None:
    seconds = (SEG[1] - SEG[0]) / 1.1
    frames = _segment(lambda t: SEG[0] + 1.1 * t, seconds)
    m = _check(_query(world, "fast.mp4", frames), (0.0, seconds), SEG)
    assert 1.05 <= m.evidence["speed"] <= 1.15


def test_unrelated_video_does_not_match(world: dict[str, object]) -> None:
    matches = _query(world, "other.mp4", render(scene(OTHER_SEED), 25.0))
    assert all(m.score < 0.65 for m in matches), matches


def test_truncated_file_is_screened_as_far_as_it_decodes(world: dict[str, object]) -> None:
    d = Path(str(world["dir"]))
    full = write(d / "whole.mkv", _segment(lambda t: t, 24.0), container="matroska")
    data = full.read_bytes()
    cut = data[: len(data) // 2]
    fps_ = VideoSignal().extract(Media("video", "video/x-matroska", data=cut), Role.QUERY)
    assert fps_
    note = fps_[0].meta.get("note", "")
    assert "screened up to" in note and "truncated" in note
    # what was decoded still matches, placed at the start of the reference
    matches = world["index"].search(fps_, 0.0)  # type: ignore[attr-defined]
    assert matches and matches[0].score >= 0.8
    assert matches[0].reference_span is not None and matches[0].reference_span.start < 2.0


def test_garbage_raises_signal_error() -> None:
    sig = VideoSignal()
    with pytest.raises(SignalError, match="not a video we can read"):
        sig.extract(Media("video", "video/mp4", data=b"\x00\x01garbage" * 500), Role.QUERY)
    with pytest.raises(SignalError, match="empty"):
        sig.extract(Media("video", "video/mp4", data=b""), Role.QUERY)


def test_audio_only_file_gives_no_fingerprints(tmp_path: Path) -> None:
    path = tmp_path / "tone.m4a"
    with av.open(str(path), "w") as out:
        s = out.add_stream("aac", rate=16000)
        t = np.arange(16000 * 3) / 16000
        pcm = (0.3 * np.sin(2 * np.pi * 440 * t)).astype(np.float32)[None, :]
        frame = av.AudioFrame.from_ndarray(pcm, format="fltp", layout="mono")
        frame.sample_rate = 16000
        for p in s.encode(frame):
            out.mux(p)
        for p in s.encode():
            out.mux(p)
    assert VideoSignal().extract(Media("audio", "audio/mp4", path=path), Role.QUERY) == []


def test_index_remove(world: dict[str, object]) -> None:
    sig = VideoSignal()
    index = sig.new_index()
    ref = sig.extract(Media("video", "video/mp4", path=world["ref"]), Role.REFERENCE)  # type: ignore[arg-type]
    index.add(1, ref)
    index.add(2, ref)
    assert len(index) == 2
    query = sig.extract(Media("video", "video/mp4", path=world["ref"]), Role.QUERY)  # type: ignore[arg-type]
    assert {m.ref_id for m in index.search(query, 0.8)} == {1, 2}
    index.remove(1)
    assert len(index) == 1
    assert {m.ref_id for m in index.search(query, 0.8)} == {2}
    index.remove(2)
    assert len(index) == 0 and index.search(query, 0.0) == []


def test_sampling_is_by_timestamp_and_skips_groups(tmp_path: Path) -> None:
    frames = render(scene(3), 20.0, 30)
    s = sample_video(write(tmp_path / "a.mp4", frames, 30))
    assert s is not None
    assert len(s.times) == 20 and s.times[:3] == [0.0, 1.0, 2.0]
    assert s.decoded < len(frames)  # not every frame was decoded
    sparse = sample_video(tmp_path / "a.mp4", max_samples=8)
    assert sparse is not None and len(sparse.times) <= 8 and sparse.decoded < s.decoded


def test_score_is_monotonic_and_bounded() -> None:
    xs = [score_from_evidence(e) for e in np.linspace(0, 30, 61)]
    assert xs[0] == 0.0 and xs[-1] == 1.0
    assert all(b >= a for a, b in zip(xs, xs[1:], strict=False))


def _uneven_crop_with_caption(f: U8) -> U8:
    """8 % off the left, 1 % off the top, 2 % off the right and 9 % off the bottom, and a
    caption band over the lower part: no zoom window of the PDQ tracks fits it."""
    h, w = f.shape[:2]
    out = np.ascontiguousarray(f[int(0.01 * h) : int(0.91 * h), int(0.08 * w) : int(0.98 * w)])
    ch = out.shape[0]
    out[int(0.72 * ch) : int(0.86 * ch), :] = (20, 20, 20)
    cv2.putText(out, "FREE HD FULL MOVIE", (8, int(0.82 * ch)), 0, 0.6, (255, 255, 255), 2)
    return out


@pytest.mark.parametrize("mirrored", [False, True], ids=["as-is", "mirrored"])
def test_uneven_crop_with_caption_is_found_by_keyframes(
    world: dict[str, object], mirrored: bool
) -> None:
    frames = [_uneven_crop_with_caption(f) for f in _segment(lambda t: SEG[0] + t, 12.0)]
    if mirrored:
        frames = [np.ascontiguousarray(f[:, ::-1]) for f in frames]
    name = f"uneven-{mirrored}.mp4"
    m = _check(_query(world, name, frames), (0.0, 12.0), SEG, tol=2.0)
    assert m.evidence["query_track"] == "keyframes"
    assert m.evidence["query_variant"] == ("flip_h" if mirrored else "identity")
    # the reference's picture lands where the crop put it: enlarged, and shifted left
    # (right, in the mirrored upload, whose keypoints are taken mirrored back)
    assert m.evidence["scale"] > 1.0 and m.evidence["centre"][0] < 0.5
    # the PDQ tracks alone do not find it
    pdq_only = VideoSignal().new_index()
    pdq_only.add(7, [fp for fp in world["reference_fps"] if fp.kind != vk.KIND])  # type: ignore[attr-defined]
    sig = world["sig"]
    path = Path(str(world["dir"])) / name
    q = sig.extract(Media("video", "video/mp4", path=path), Role.QUERY)  # type: ignore[attr-defined]
    assert all(x.score < 0.80 for x in pdq_only.search(q, 0.0))


def test_keyframes_of_another_film_do_not_line_up(world: dict[str, object]) -> None:
    """Pictures of an unrelated pan may each share a few corners with some keyframe, but
    not at one place and one size, in time order: the keyframe evidence stays under 0.65."""
    sig = world["sig"]
    path = write(Path(str(world["dir"])) / "other2.mp4", render(scene(OTHER_SEED), 20.0))
    q = sig.extract(Media("video", "video/mp4", path=path), Role.QUERY)  # type: ignore[attr-defined]
    keys = [fp for fp in q if fp.kind == vk.KIND]
    # one picture a second, as they are and mirrored
    assert [(k.meta["variant"], k.meta["keyframes"]) for k in keys] == [
        ("identity", 20),
        ("flip_h", 20),
    ]
    assert all(m.score < 0.65 for m in world["index"].search(keys, 0.0))  # type: ignore[attr-defined]


def test_keyframes_round_trip_and_reference_sampling() -> None:
    rng = np.random.default_rng(5)
    frames = [rng.integers(0, 256, (144, 256, 3), dtype=np.uint8) for _ in range(9)]
    times = [float(t) for t in range(9)]
    ref, none = vk.make_keyframes(frames, times, (0, 0, 256, 144), role_ref=True)
    assert none is None  # a reference is not searched mirrored
    assert ref.times.tolist() == [0.0, 2.0, 4.0, 6.0, 8.0]  # one every REF_STEP seconds
    fp = vk.to_fingerprint(ref, "video", {})
    back = vk.Keyframes.unpack(fp)
    assert back is not None and back.times.tolist() == ref.times.tolist()
    for a, b in zip(ref.frames, back.frames, strict=True):
        assert (a.descriptors == b.descriptors).all() and np.allclose(a.points, b.points, atol=0.1)
    # a damaged fingerprint is refused, not misread
    bad = Fingerprint(fp.signal, fp.kind, fp.value[:-7], fp.quality, fp.meta)
    assert vk.Keyframes.unpack(bad) is None
    assert len(vk.pick([float(t) for t in range(100)], role_ref=False)) == vk.QUERY_FRAMES


def _placed(
    score: float, q: tuple[float, float], offset: float, track: str, evidence: float
) -> SignalMatch:
    """A match of reference 1 whose time line is ``ref_time = upload_time + offset``."""
    return SignalMatch(
        ref_id=1,
        score=score,
        signal="video",
        query_span=Span(*q),
        reference_span=Span(q[0] + offset, q[1] + offset),
        evidence={"speed": 1.0, "offset_s": offset, "query_track": track, "evidence": evidence},
    )


def test_pdq_and_keyframes_of_one_reference_are_weighed_by_where_they_place_the_upload() -> None:
    """PDQ's line can slip by seconds over a still or a slow pan under a caption; keyframe
    pairs are verified geometry. Both matching one reference:
    - placed more than AGREE_BY apart: the line with more evidence is reported;
    - placed alike: PDQ's line (a picture every second), over the upload span either
      lined up (each often misses the first seconds the other has);
    - on parts of the upload that do not overlap: the longer, as it was."""
    pdq = _placed(0.95, (3.0, 30.0), 43.0, "zoom-5", evidence=9.7)
    keys_elsewhere = _placed(1.0, (1.0, 30.0), 40.0, "keyframes", evidence=20.0)
    (chosen,) = _prefer_pdq([pdq], [keys_elsewhere])
    assert chosen.evidence["query_track"] == "keyframes"
    assert chosen.reference_span == Span(41.0, 70.0)
    strong_pdq = _placed(1.0, (0.0, 30.0), 43.0, "region", evidence=16.8)
    weak_keys = _placed(0.83, (5.0, 24.0), 43.0 - 1.5 * AGREE_BY, "keyframes", evidence=5.0)
    (chosen,) = _prefer_pdq([strong_pdq], [weak_keys])
    assert chosen is strong_pdq

    keys_alike = _placed(1.0, (1.0, 29.0), 43.0 + AGREE_BY / 2, "keyframes", evidence=20.0)
    (chosen,) = _prefer_pdq([pdq], [keys_alike])
    assert chosen.evidence["query_track"] == "zoom-5"
    assert chosen.query_span == Span(1.0, 30.0)
    assert chosen.reference_span == Span(44.0, 73.0)  # PDQ's line, not the keyframes'

    keys_later = _placed(1.0, (40.0, 50.0), 10.0, "keyframes", evidence=20.0)
    (chosen,) = _prefer_pdq([pdq], [keys_later])
    assert chosen is pdq


def _flip_bits(h: np.ndarray, n: int, rng: np.random.Generator) -> np.ndarray:
    bits = np.unpackbits(h)
    idx = rng.choice(256, size=n, replace=False)
    bits[idx] ^= 1
    return np.packbits(bits)


def test_a_lined_up_span_grows_over_pictures_that_agree_and_stops_at_unrelated_ones() -> None:
    """The first seconds of a fast zoom sit 80-100 bits from the reference pictures
    sampled half a second away: beyond the search radius, so the line starts late. The
    closer look at the line's ends takes them in, and stops at an unrelated picture (an
    embedded upload's other video), so placement improves without moving into it."""
    from safeharbor.signals.video import (
        CANDIDATE_RADIUS,
        EXTEND_BITS,
        Alignment,
        Track,
        _Ref,
        extend_span,
    )

    rng = np.random.default_rng(5)
    n_ref = 40
    ref_h = rng.integers(0, 256, size=(n_ref, 32), dtype=np.uint8)
    ref = Track(
        "full",
        "identity",
        [0, 0, 1, 1],
        np.arange(n_ref, dtype=float),
        np.full(n_ref, 100, np.uint8),
        ref_h,
    )
    # the upload: 3 unrelated pictures, then the reference from 10 s on, one a second
    q_times = np.arange(20, dtype=float)
    q_h = rng.integers(0, 256, size=(20, 32), dtype=np.uint8)
    for k in range(3, 20):
        far = 90 if k in (3, 4, 5) else 20  # the zoom's first pictures are far
        q_h[k] = _flip_bits(ref_h[10 + k - 3], far, rng)
    assert CANDIDATE_RADIUS < 90 <= EXTEND_BITS
    query = Track("full", "identity", [0, 0, 1, 1], q_times, np.full(20, 100, np.uint8), q_h)
    al = Alignment(
        slope=1.0,
        offset=7.0,
        evidence=9.0,
        aligned=14,
        q_start=6.0,
        q_end=19.0,
        median_distance=20.0,
    )
    grown = extend_span(al, query, [query], _Ref([ref], {}))
    assert (grown.q_start, grown.q_end) == (3.0, 19.0)
    assert grown.evidence == al.evidence
    # a flat (low-quality) picture cannot be checked, so the span does not grow over it
    flat = Track(
        "full",
        "identity",
        [0, 0, 1, 1],
        q_times,
        np.where(q_times == 5.0, 10, 100).astype(np.uint8),
        q_h,
    )
    assert extend_span(al, flat, [flat], _Ref([ref], {})).q_start == 6.0


def test_each_line_is_judged_on_the_other_s_pairs_too() -> None:
    """An uneven crop over a slow pan: PDQ's pictures match the second of the pan that
    shows the same part best, so its line tilts (speed 1.1) and ends seconds late, while
    the keyframes (verified geometry) follow the true line. The two agree at the middle
    of the upload, and PDQ's spans more of it, so PDQ's line used to be reported; judged
    on both sets of pairs, the keyframes' line wins and is reported over the whole span."""
    from safeharbor.signals.video import ALIGN_TOL, CANDIDATE_RADIUS, _Pairs, _weights

    q = np.arange(30, dtype=float)
    # PDQ: every second, weakly (54 bits), on the tilted line ref = 1.1 q + 5
    pdq_d = np.full(30, 54.0)
    pdq_pairs = _Pairs(np.arange(30), q, 1.1 * q + 5, pdq_d, _weights(pdq_d), ALIGN_TOL)
    # keyframes (one every 2 s in the reference) from 3 s on, on the true line ref = q + 5
    kq = q[3:]
    k_d = np.zeros(len(kq))
    key_pairs = _Pairs(
        np.arange(len(kq)), kq, 2 * np.round((kq + 5) / 2), k_d, _weights(k_d), vk.ALIGN_TOL_KEY
    )
    assert CANDIDATE_RADIUS > 54
    pdq = _placed(0.9, (0.0, 30.0), 5.0, "full", evidence=7.5)
    pdq.evidence["speed"] = 1.1
    pdq = dataclasses.replace(pdq, reference_span=Span(5.0, 38.0))
    key = _placed(1.0, (3.0, 30.0), 5.0, "keyframes", evidence=27.0)
    # without the pairs: PDQ's line, as before
    (old,) = _prefer_pdq([pdq], [key])
    assert old.evidence["query_track"] == "full"
    (chosen,) = _prefer_pdq([pdq], [key], {id(pdq): pdq_pairs, id(key): key_pairs})
    assert chosen.evidence["query_track"] == "keyframes"
    assert chosen.query_span == Span(0.0, 30.0)  # widened to what PDQ lined up
    assert chosen.reference_span == Span(5.0, 35.0)  # placed by the keyframes' line
