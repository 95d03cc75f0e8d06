"""The edits an infringer makes to a film segment, applied with PyAV + OpenCV.

Each transformation takes a segment ``[start, start + length)`` of a source video and
writes an upload; ``Truth`` says where the segment is in the upload (query span) and in
the source (reference span). Frames are drawn by *time* from a streaming reader, so speed
and frame-rate changes are exact and memory stays at one frame.

Transformations (the list of the issue):

==============  =========================================================================
lowbitrate      re-encoded at 120 kbit/s (640x360: heavy blocking)
scale_down      scaled to half size, 320x180 (what 360p is to a 720p film)
crop_10         10 % cut off every side (output 512x288)
crop_uneven     0-10 % cut off each side, drawn per segment (seeded)
flip            mirrored left-right
overlay         a channel logo in a corner and changing two-line subtitles at the bottom
letterbox       fitted into a 4:3 frame (640x480): black bars above and below
pillarbox       fitted into a 21:9 frame (840x360): black bars left and right
fps_change      20 -> 12 frames a second
pip_half        shrunk to half size and laid over an unrelated video, top right
speed_up        played 10 % faster
slow_down       played 10 % slower
embedded        15 s of unrelated video, the segment, 15 s of another unrelated video
==============  =========================================================================

Every upload but ``lowbitrate`` is encoded with libx264 CRF 26 (a typical upload).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import av
import cv2
import numpy as np

U8 = np.ndarray

TRANSFORMS = (
    "lowbitrate",
    "scale_down",
    "crop_10",
    "crop_uneven",
    "flip",
    "overlay",
    "letterbox",
    "pillarbox",
    "fps_change",
    "pip_half",
    "speed_up",
    "slow_down",
    "embedded",
)
EMBED_PAD = 15.0


@dataclass(frozen=True)
class Truth:
    query: tuple[float, float]
    reference: tuple[float, float]


class Reader:
    """Frames of a video by time, for non-decreasing times (nearest frame)."""

    def __init__(self, path: Path, start: float = 0.0) -> None:
        self.c = av.open(str(path))
        self.s = self.c.streams.video[0]
        self.s.thread_type = "AUTO"
        if start > 1.0:
            self.c.seek(int((start - 1.0) / self.s.time_base), stream=self.s, backward=True)
        self.frames: Iterator[Any] = self.c.decode(self.s)
        self.cur: tuple[float, U8] | None = None
        self.nxt: tuple[float, U8] | None = None
        self._advance()
        self._advance()

    def _advance(self) -> None:
        self.cur = self.nxt
        try:
            f = next(self.frames)
            self.nxt = (float(f.time), f.to_ndarray(format="rgb24"))
        except (StopIteration, av.error.FFmpegError):
            self.nxt = None

    def at(self, t: float) -> U8:
        while self.nxt is not None and (self.cur is None or self.nxt[0] <= t):
            self._advance()
        # cur is the last frame at or before t; take nxt when it is nearer
        if self.cur is None:
            assert self.nxt is not None
            return self.nxt[1]
        if self.nxt is not None and self.nxt[0] - t < t - self.cur[0]:
            return self.nxt[1]
        return self.cur[1]

    def close(self) -> None:
        self.c.close()


class Writer:
    def __init__(self, path: Path, w: int, h: int, fps: int, bitrate: int | None = None) -> None:
        self.c = av.open(str(path), "w")
        self.s = self.c.add_stream("libx264", rate=fps)
        self.s.width, self.s.height, self.s.pix_fmt = w - w % 2, h - h % 2, "yuv420p"
        self.s.gop_size = 2 * fps
        if bitrate:
            self.s.bit_rate = bitrate
            self.s.options = {"preset": "veryfast"}
        else:
            self.s.options = {"crf": "26", "preset": "ultrafast"}

    def write(self, frame: U8) -> None:
        w, h = self.s.width, self.s.height
        if frame.shape[1] != w or frame.shape[0] != h:
            frame = cv2.resize(frame, (w, h), interpolation=cv2.INTER_AREA)
        vf = av.VideoFrame.from_ndarray(np.ascontiguousarray(frame), format="rgb24")
        for p in self.s.encode(vf):
            self.c.mux(p)

    def close(self) -> None:
        for p in self.s.encode():
            self.c.mux(p)
        self.c.close()


def _fit(frame: U8, cw: int, ch: int) -> U8:
    """``frame`` scaled to fit inside a black cw x ch canvas, centred."""
    h, w = frame.shape[:2]
    s = min(cw / w, ch / h)
    nw, nh = round(w * s), round(h * s)
    out = np.zeros((ch, cw, 3), np.uint8)
    x, y = (cw - nw) // 2, (ch - nh) // 2
    out[y : y + nh, x : x + nw] = cv2.resize(frame, (nw, nh), interpolation=cv2.INTER_AREA)
    return out


def _logo(frame: U8, t: float) -> U8:
    out = frame.copy()
    h, w = out.shape[:2]
    # the logo: a translucent rounded badge with letters, top left
    x0, y0, x1, y1 = int(0.03 * w), int(0.04 * h), int(0.22 * w), int(0.16 * h)
    roi = out[y0:y1, x0:x1].astype(np.float32)
    out[y0:y1, x0:x1] = (0.45 * roi + 0.55 * np.array([200, 30, 30])).astype(np.uint8)
    cv2.putText(out, "TV24", (x0 + 8, y1 - 10), cv2.FONT_HERSHEY_DUPLEX, 0.9, (255, 255, 255), 2)
    # subtitles: two lines, changing every 3 s, white with a black outline
    k = int(t // 3)
    lines = [f"Line {k} of the dialogue goes here,", f"and the answer number {k * 7 % 13}."]
    for i, text in enumerate(lines):
        y = int(h * (0.84 + 0.08 * i))
        for col, th in (((0, 0, 0), 4), ((255, 255, 255), 1)):
            cv2.putText(out, text, (int(0.12 * w), y), cv2.FONT_HERSHEY_SIMPLEX, 0.75, col, th)
    return out


def make_query(
    kind: str,
    src: Path,
    start: float,
    length: float,
    out: Path,
    background: tuple[Path, Path] | None = None,
    seed: int = 0,
) -> Truth:
    """Write the upload for transformation ``kind`` of ``src[start:start+length]``."""
    rng = np.random.default_rng(seed)
    fps = 20
    speed = {"speed_up": 1.1, "slow_down": 0.9}.get(kind, 1.0)
    qlen = length / speed
    size = {
        "scale_down": (320, 180),
        "crop_10": (512, 288),
        "letterbox": (640, 480),
        "pillarbox": (840, 360),
    }.get(kind, (640, 360))
    if kind == "fps_change":
        fps = 12
    fx: Callable[[U8, float], U8] = lambda f, t: f  # noqa: E731
    if kind == "crop_10":
        fx = lambda f, t: f[36:324, 64:576]  # noqa: E731
    elif kind == "crop_uneven":
        c = rng.uniform(0.0, 0.10, 4)  # left, top, right, bottom
        x0, y0, x1, y1 = (
            int(640 * c[0]),
            int(360 * c[1]),
            int(640 * (1 - c[2])),
            int(360 * (1 - c[3])),
        )
        size = (x1 - x0, y1 - y0)
        fx = lambda f, t: f[y0:y1, x0:x1]  # noqa: E731
    elif kind == "flip":
        fx = lambda f, t: cv2.flip(f, 1)  # noqa: E731
    elif kind == "overlay":
        fx = _logo
    elif kind == "letterbox":
        fx = lambda f, t: _fit(f, 640, 480)  # noqa: E731
    elif kind == "pillarbox":
        fx = lambda f, t: _fit(f, 840, 360)  # noqa: E731
    w = Writer(out, size[0], size[1], fps, bitrate=120_000 if kind == "lowbitrate" else None)
    try:
        if kind == "embedded":
            assert background is not None
            before, after = Reader(background[0], 5.0), Reader(background[1], 5.0)
            reader = Reader(src, start)
            n_pad = int(EMBED_PAD * fps)
            for i in range(n_pad):
                w.write(before.at(5.0 + i / fps))
            for i in range(int(round(length * fps))):
                w.write(reader.at(start + i / fps))
            for i in range(n_pad):
                w.write(after.at(5.0 + i / fps))
            for r in (before, after, reader):
                r.close()
            return Truth((EMBED_PAD, EMBED_PAD + length), (start, start + length))
        reader = Reader(src, start)
        bg = Reader(background[0], 5.0) if kind == "pip_half" and background else None
        for i in range(int(round(qlen * fps))):
            t = i / fps
            frame = reader.at(start + speed * t)
            if bg is not None:
                canvas = bg.at(5.0 + t).copy()
                small = cv2.resize(frame, (320, 180), interpolation=cv2.INTER_AREA)
                canvas[20:200, 300:620] = small
                frame = canvas
            else:
                frame = fx(frame, t)
            w.write(frame)
        reader.close()
        if bg is not None:
            bg.close()
        return Truth((0.0, qlen), (start, start + length))
    finally:
        w.close()
