"""Recordings and films through the whole screen: registered as works, found in uploads
and placed in time, through the CLI contract and the upload path.

The media are made here with PyAV: "music" is a seeded melody of tones and chords with
noise, a "film" is a camera panning over a seeded picture with that music as its sound.
"""

from __future__ import annotations

import functools
import math
from pathlib import Path

import av
import numpy as np
import pytest

from tests.test_cli import lines, sh
from tests.test_screening import approved_work, upload

RATE = 24000  # one rate every encoder here takes (Opus: 8-48 kHz steps)
W, H, FPS = 320, 240, 12


def music(seed: int, seconds: float) -> np.ndarray:
    """A seeded melody: notes of 0.15-0.6 s, some chords, a little noise."""
    rng = np.random.default_rng(seed)
    out = np.zeros(int(seconds * RATE), np.float32)
    t = 0.0
    while t < seconds:
        dur = float(rng.uniform(0.15, 0.6))
        n = int(dur * RATE)
        start = int(t * RATE)
        tt = np.arange(n) / RATE
        env = np.minimum(1, np.minimum(tt / 0.01, (dur - tt) / 0.05)).astype(np.float32)
        for _ in range(int(rng.integers(1, 4))):
            f = 110 * 2 ** (int(rng.integers(0, 36)) / 12)
            seg = (np.sin(2 * np.pi * f * tt) + 0.3 * np.sin(4 * np.pi * f * tt)) * env
            out[start : start + n] += 0.2 * seg[: len(out) - start].astype(np.float32)
        t += dur
    out += 0.01 * rng.standard_normal(len(out)).astype(np.float32)
    return np.clip(out, -1, 1)


@functools.cache
def backdrop(seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    big = np.zeros((H * 2, W * 2, 3), np.uint8)
    yy, xx = np.mgrid[0 : H * 2, 0 : W * 2]
    for c in range(3):
        fx, fy, ph = rng.uniform(1, 5), rng.uniform(1, 5), rng.uniform(0, 6)
        big[..., c] = (127 + 100 * np.sin(xx / W * fx + yy / H * fy + ph)).astype(np.uint8)
    for _ in range(40):
        x, y, r = (int(v) for v in rng.integers(0, [W * 2, H * 2, 40]))
        big[max(0, y - r) : y + r, max(0, x - r) : x + r] = rng.integers(0, 256, 3)
    return big


def scene(seed: int, t: float) -> np.ndarray:
    big = backdrop(seed)
    x = int(W * (0.5 + 0.5 * math.sin(t * 0.08 + seed)))
    y = int(H * (0.5 + 0.5 * math.cos(t * 0.06 + seed)))
    return np.ascontiguousarray(big[y : y + H, x : x + W])


def write_audio(path: Path, samples: np.ndarray, codec: str = "libmp3lame") -> Path:
    with av.open(str(path), "w") as out:
        s = out.add_stream(codec, rate=RATE, layout="mono")
        _encode_audio(out, s, samples)
    return path


def _encode_audio(out: av.container.OutputContainer, s: av.AudioStream, x: np.ndarray) -> None:
    pcm = (x * 32767).astype(np.int16)
    step = 1152
    for i in range(0, len(pcm), step):
        frame = av.AudioFrame.from_ndarray(pcm[None, i : i + step], format="s16", layout="mono")
        frame.sample_rate = RATE
        for p in s.encode(frame):
            out.mux(p)
    for p in s.encode():
        out.mux(p)


def write_film(path: Path, seed: int, start: float, seconds: float, sound: bool = True) -> Path:
    """``seconds`` of film ``seed`` from ``start``, with its music (the same seed) as sound."""
    with av.open(str(path), "w") as out:
        v = out.add_stream("libx264" if "libx264" in av.codecs_available else "mpeg4", rate=FPS)
        v.width, v.height, v.pix_fmt = W, H, "yuv420p"
        # every stream is added before the first packet is written (the header)
        a = out.add_stream("aac", rate=RATE, layout="mono") if sound else None
        for i in range(int(seconds * FPS)):
            frame = av.VideoFrame.from_ndarray(scene(seed, start + i / FPS), format="rgb24")
            for p in v.encode(frame):
                out.mux(p)
        for p in v.encode():
            out.mux(p)
        if a is not None:
            track = music(seed, start + seconds)[int(start * RATE) :]
            _encode_audio(out, a, track)
    return path


@pytest.fixture(scope="module")
def media(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    d = tmp_path_factory.mktemp("media")
    song = music(5, 60)
    noise_song = music(6, 40)
    mix = np.concatenate(
        [noise_song[: 12 * RATE], song[20 * RATE : 32 * RATE], noise_song[12 * RATE :]]
    )
    return {
        "song": write_audio(d / "song.mp3", song),
        # 12 s of the song inside another recording, re-encoded at a low bitrate
        "mix": write_audio(d / "mix.ogg", mix, codec="libopus"),
        "other": write_audio(d / "other.mp3", music(7, 30)),
        "film": write_film(d / "film.mp4", 11, 0, 45),
        "clip": write_film(d / "clip.mp4", 11, 15, 15),
        "silent_clip": write_film(d / "silent.mp4", 11, 15, 15, sound=False),
    }


def test_cli_registers_music_and_finds_an_excerpt_in_a_mix(tmp_path, media):
    home = tmp_path / "home"
    works = lines(
        sh(home, "works", "add", str(media["song"]), "--holder", "Label", "--approve", "--json")
    )
    assert works[0]["status"] == "approved"
    rows = lines(sh(home, "scan", str(media["mix"]), str(media["other"]), "--json"))
    mix, other = rows
    assert mix["modality"] == "audio" and mix["decision"] != "allow"
    best = mix["matches"][0]
    assert best["work_id"] == works[0]["id"] and best["signal"] == "audio"
    # placed in time: 12 s in the upload from 12 s, taken from 20 s of the song
    q0, q1 = best["query_span"]
    r0, r1 = best["reference_span"]
    assert abs(q0 - 12) < 1.5 and abs(r0 - 20) < 1.5 and q1 - q0 > 8
    assert other["decision"] == "allow" and other["matches"] == []


def test_film_clip_upload_is_stopped_by_pictures_and_by_sound(platform, people, media):
    work_id = approved_work(platform, people, media["film"], title="The Film")
    content, res = upload(platform, people["uploader"].id, media["clip"])
    assert res.sniffed.modality == "video" and res.verdict.decision.value != "allow"
    (match,) = [m for m in res.matches if m.work_id == work_id]
    assert {"video", "audio"} <= set(match.signals)
    for name in ("video", "audio"):
        # both place the clip at 15 s of the film
        span = match.signals[name]["reference_span"]
        assert span is not None and abs(span[0] - 15) < 2.5, name
    # without its sound track the pictures alone still find it
    _, silent = upload(platform, people["uploader"].id, media["silent_clip"])
    assert [set(m.signals) for m in silent.matches if m.work_id == work_id] == [{"video"}]
    assert silent.verdict.decision.value != "allow"


def test_truncated_recording_is_screened_as_far_as_it_decodes(platform, people, media, tmp_path):
    approved_work(platform, people, media["song"])
    data = media["song"].read_bytes()
    cut = tmp_path / "cut.mp3"
    cut.write_bytes(data[: len(data) // 2])
    content, res = upload(platform, people["uploader"].id, cut)
    # the first half is the song's first 30 s: still found, and the cut is reported
    assert res.verdict.decision.value != "allow"
    assert any("stopped" in n or "truncat" in n for n in res.notes), res.notes
