"""Sampling the pictures of a video at about one per second, by timestamp, through PyAV.

Why by timestamp: a frame-rate change (25 -> 30 fps, 24 -> 12 fps) changes which frames
exist, not what is on screen at a given second, so the frame nearest to each target time
``t0, t0 + step, t0 + 2 step...`` is taken, whatever the frame rate.

Why group-of-pictures skipping: decoding is the dominant cost. Packets are demuxed (read,
not decoded: cheap) and kept per group of pictures (a keyframe and the packets that
depend on it). A group is decoded only when a target time falls inside it, from its
keyframe up to the last target in it, and every other group is dropped undecoded. With the
usual 1-2 s keyframe interval of uploads and one sample per second this decodes about
half the frames; with sparser sampling for long files (below) much less; with a long
keyframe interval (x264's default of 10 s) it degrades to decoding everything, never
worse. The decoder is reset (``flush_buffers``) whenever groups were skipped, so no
reference to a dropped frame is ever made.

Long files: ``step`` grows to ``duration / max_samples`` when the header gives a duration,
so a file never yields more than ``max_samples`` pictures (``docs/video-sampling.md`` has
the figures for a two-hour upload); when the header gives none, the step is doubled and
every other sample dropped each time the cap is reached.

Damaged files: packets the decoder rejects are skipped; when the demuxer fails or the
file ends well before its header says, sampling stops there and ``Sampled.note`` says
where. A file with no decodable picture raises ``SignalError``; a file with no video
stream (or only cover art) gives ``None``: audio is another signal's business.
"""

from __future__ import annotations

import io
import math
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import av
import numpy as np
from av.video.reformatter import VideoReformatter

from safeharbor.arrays import U8
from safeharbor.signals.base import SignalError

#: default spacing of samples, seconds
STEP = 1.0
#: at most this many pictures per file (two hours at one per 2 s)
MAX_SAMPLES = 3600
#: long side of the RGB working copies (PDQ resamples to 64 x 64 anyway)
WORK_SIDE = 256
#: packets of one group buffered before decoding it anyway (a file with no keyframes)
MAX_GOP_BYTES = 64 * 1024 * 1024
#: refuse headers claiming absurd picture sizes before decoding anything
MAX_PIXELS = 8192 * 8192


@dataclass
class Sampled:
    """Pictures taken from a video: RGB working copies and their times (seconds from the
    start of the video stream)."""

    frames: list[U8] = field(default_factory=list)
    times: list[float] = field(default_factory=list)
    step: float = STEP
    duration: float | None = None
    width: int = 0
    height: int = 0
    packets: int = 0  # video packets demuxed
    decoded: int = 0  # frames the decoder produced
    errors: int = 0  # packets the decoder rejected
    note: str | None = None


def _open(source: Path | str | bytes) -> Any:
    try:
        if isinstance(source, bytes | bytearray):
            if not source:
                raise SignalError("The file is empty (0 bytes), so there is no video to check.")
            return av.open(io.BytesIO(source), metadata_errors="ignore")
        return av.open(str(source), metadata_errors="ignore")
    except SignalError:
        raise
    except Exception as exc:  # FFmpeg cannot identify or parse the container
        raise SignalError(
            f"The file is not a video we can read: it is damaged or in an unknown format ({exc})."
        ) from None


def _video_stream(container: Any) -> Any | None:
    for s in container.streams.video:
        # cover art in a music file is a one-picture "video" stream: not a video
        if s.disposition & av.stream.Disposition.attached_pic:
            continue
        return s
    return None


def sample_video(
    source: Path | str | bytes,
    step: float = STEP,
    max_samples: int = MAX_SAMPLES,
    side: int = WORK_SIDE,
) -> Sampled | None:
    """Pictures of ``source`` at about one per ``step`` seconds (see the module docstring).

    Returns ``None`` when the file has no video stream; raises ``SignalError`` when it is
    not a readable media file or no picture in it decodes.
    """
    container = _open(source)
    try:
        vs = _video_stream(container)
        if vs is None:
            if container.streams.audio:
                return None
            raise SignalError("The file has neither pictures nor sound that we can read.")
        cc = vs.codec_context
        if cc.width and cc.height and cc.width * cc.height > MAX_PIXELS:
            raise SignalError(
                f"The video's pictures are too large to check ({cc.width} x {cc.height})."
            )
        return _Sampler(container, vs, step, max_samples, side).run()
    finally:
        container.close()


class _Sampler:
    def __init__(self, container: Any, vs: Any, step: float, max_samples: int, side: int):
        self.container = container
        self.vs = vs
        self.cc = vs.codec_context
        self.tb = float(vs.time_base) if vs.time_base else 1.0 / 90000
        self.side = side
        self.max_samples = max(8, max_samples)
        self.out = Sampled(width=int(self.cc.width or 0), height=int(self.cc.height or 0))
        dur = None
        if vs.duration is not None and vs.time_base:
            dur = float(vs.duration * vs.time_base)
        elif container.duration is not None:
            dur = float(container.duration) / 1_000_000
        self.out.duration = dur if dur and dur > 0 and math.isfinite(dur) else None
        if self.out.duration:
            step = max(step, self.out.duration / self.max_samples)
        self.out.step = step
        self.t0: float | None = None
        if vs.start_time is not None:
            self.t0 = float(vs.start_time * self.tb)
        self.next_t = 0.0  # next target, seconds after t0
        self.live = False  # streaming a group too large to buffer
        self.dirty = False  # decoder has been fed since its last reset
        self.prev: tuple[float, Any] | None = None  # last decoded frame not yet taken
        self.last_taken: float | None = None
        self.fps = float(vs.average_rate) if vs.average_rate else 25.0
        self.scaler = VideoReformatter()

    # -- timestamps
    def _ptime(self, pkt: Any) -> float | None:
        ts = pkt.pts if pkt.pts is not None else pkt.dts
        return None if ts is None else float(ts) * self.tb

    def _rel(self, t: float) -> float:
        if self.t0 is None:
            self.t0 = t
        return t - self.t0

    # -- main loop
    def run(self) -> Sampled:
        gop: list[Any] = []
        gop_bytes = 0
        stopped: str | None = None
        last_t = 0.0
        it: Iterator[Any] = self.container.demux(self.vs)
        while True:
            try:
                pkt = next(it)
            except StopIteration:
                break
            except Exception as exc:  # the demuxer hit damaged data: keep what we have
                stopped = f"the file could not be read past {last_t:.1f} s ({exc})"
                break
            if pkt.size == 0:
                continue  # the demuxer's end-of-stream marker
            self.out.packets += 1
            pt = self._ptime(pkt)
            if pt is not None:
                last_t = max(last_t, self._rel(pt))
            if pkt.is_keyframe and (gop or self.live):
                self._close_gop(gop, None if pt is None else self._rel(pt))
                gop, gop_bytes = [], 0
            if self.live:
                self._feed(pkt)
                continue
            gop.append(pkt)
            gop_bytes += pkt.size
            if gop_bytes > MAX_GOP_BYTES:
                # no keyframe for a long time: decode what we hold and stream on
                self.live = True
                for p in gop:
                    self._feed(p)
                gop, gop_bytes = [], 0
            if len(self.out.times) >= self.max_samples:
                self._thin()
        self._close_gop(gop, None)
        out = self.out
        if not out.frames:
            where = f" ({stopped})" if stopped else ""
            raise SignalError(f"No picture could be decoded from the video{where}.")
        if stopped:
            out.note = f"screened up to {out.times[-1]:.1f} s only: {stopped}"
        elif out.duration and last_t < out.duration - max(2.0, 2 * out.step):
            out.note = (
                f"screened up to {out.times[-1]:.1f} s only: the file ends at {last_t:.1f} s "
                f"although its header says {out.duration:.1f} s (truncated?)"
            )
        elif out.errors:
            out.note = f"{out.errors} damaged packet(s) skipped"
        return out

    def _close_gop(self, gop: list[Any], end: float | None) -> None:
        """A group of pictures is complete (``end``: its successor's keyframe time, ``None``
        at the end of the file): decode it when a target time falls inside it."""
        if not self.live and gop:
            slack = self._slack()
            kt = self._ptime(gop[0])
            kt = None if kt is None else self._rel(kt)
            if slack and kt is not None and abs(self.next_t - kt) <= slack:
                # sparse sampling: the keyframe alone stands for the target near it
                self._keyframe(gop[0], slack)
            if end is not None and self.next_t >= end - slack:
                # no target inside, or only one that the next keyframe is near enough to
                return  # dropped undecoded
            for p in gop:
                self._feed(p)
                if end is not None and self.next_t >= end:
                    break  # every target inside has been taken: skip the group's tail
        self._drain()

    def _slack(self) -> float:
        """How far from its target a sample may be. Zero at one picture a second (the
        matcher wants even spacing there); half the step when sampling is sparser, so a
        keyframe, decodable alone, can stand for a target up to that far away."""
        return self.out.step / 2 if self.out.step >= 1.5 else 0.0

    def _keyframe(self, pkt: Any, slack: float) -> None:
        if self.dirty:
            self._drain()
        frames: list[Any] = []
        try:
            frames.extend(self.cc.decode(pkt))
            frames.extend(self.cc.decode(None))
        except Exception:
            self.out.errors += 1
        self.cc.flush_buffers()
        self.out.decoded += len(frames)
        if not frames or frames[0].time is None:
            return
        f = frames[0]
        t = self._rel(float(f.time))
        if self.last_taken is None or t > self.last_taken:
            self._take(t, f)
        while self.next_t <= t + slack:
            self.next_t += self.out.step

    def _feed(self, pkt: Any) -> None:
        self.dirty = True
        try:
            frames = self.cc.decode(pkt)
        except Exception:  # a damaged packet: skip it, the next keyframe recovers
            self.out.errors += 1
            return
        for f in frames:
            self._frame(f)

    def _drain(self) -> None:
        """Take the frames the decoder holds back (reordering), then reset it so that the
        next group starts clean (groups between may have been skipped)."""
        if self.dirty:
            try:
                for f in self.cc.decode(None):
                    self._frame(f)
            except Exception:
                self.out.errors += 1
            self.cc.flush_buffers()
        self.dirty = False
        self.live = False
        self.prev = None

    def _frame(self, f: Any) -> None:
        self.out.decoded += 1
        if f.time is not None:
            t = self._rel(float(f.time))
        elif self.prev is not None:
            t = self.prev[0] + 1.0 / self.fps
        else:
            t = self.next_t
        while t >= self.next_t:
            # the target lies between the previous frame and this one: take the nearer
            if self.prev is not None and self.next_t - self.prev[0] < t - self.next_t:
                pick_t, pick = self.prev
            else:
                pick_t, pick = t, f
            if self.last_taken is None or pick_t > self.last_taken:
                self._take(pick_t, pick)
            self.next_t += self.out.step
        self.prev = (t, f)

    def _take(self, t: float, f: Any) -> None:
        w, h = int(f.width), int(f.height)
        if w <= 0 or h <= 0:
            return
        scale = min(1.0, self.side / max(w, h))
        tw, th = max(2, round(w * scale)), max(2, round(h * scale))
        # one reformatter for the whole file: it keeps its scaler between calls (a fresh
        # one per frame costs 3-5 ms, more than decoding a 720p frame)
        small = self.scaler.reformat(f, width=tw, height=th, format="rgb24", interpolation="AREA")
        arr = small.to_ndarray()
        self.out.frames.append(np.ascontiguousarray(arr, dtype=np.uint8))
        self.out.times.append(round(t, 3))
        self.last_taken = t

    def _thin(self) -> None:
        """Cap reached with no duration known: halve the sampling rate."""
        out = self.out
        out.frames = out.frames[::2]
        out.times = out.times[::2]
        out.step *= 2
        self.next_t = out.times[-1] + out.step if out.times else 0.0
