"""Video pictures, the second opinion: keypoints of sampled pictures, lined up in time.

PDQ tracks (``video.py``) recognise a picture only where the upload shows the same window
of it: they lose a crop that is uneven (5 % off one side moves PDQ ~85 bits), a subtitle or
logo over a large part of it, or a picture-in-picture window whose edges do not stand out.
The image signal's keypoints (``image_keypoints``: ORB corners confirmed by a fitted
similarity transform) survive all of these, so the video signal uses them too, picture by
picture, and decides only on many pictures lined up in time, as it does for PDQ.

* **Reference** (fingerprint kind ``keyframes``): keypoints of one sampled picture every
  ``REF_STEP`` seconds (``REF_POINTS`` each, inside the video's picture area, so bars do
  not count), at most ``MAX_KEYFRAMES``; a longer reference is sampled sparser. Storage is
  about 36 bytes a point: ``REF_POINTS`` x 36 / ``REF_STEP`` = 2.7 KB per second of film,
  ~10 MB an hour (``docs/benchmarks.md`` has the index's memory).
* **Upload**: keypoints of up to ``QUERY_FRAMES`` of its sampled pictures, evenly spread
  (``QUERY_POINTS`` each: an upload's picture may hold the reference's at half size), as
  they are and mirrored (ORB patches are not mirror-invariant): two fingerprints, meta
  ``variant`` ``identity`` and ``flip_h``.
* **Search** (``KeyframeIndex``): each upload picture is searched in one
  ``image_keypoints.KeypointIndex`` holding every reference keyframe (candidates by
  descriptor votes, then RANSAC verification), giving (reference, reference time, inliers)
  pairs. They are lined up per reference by ``video.align`` exactly as PDQ pairs are
  (slope 0.85-1.15, each upload picture once), with the pair's weight ``inliers /
  FULL_INLIERS`` (at most 1) and a wider tolerance (``ALIGN_TOL_KEY``: a keyframe stands
  for the ``REF_STEP`` seconds around it). Fewer than ``MIN_INLIERS`` inliers is no pair.
  The evidence is scored with the same anchors as PDQ's (``video.score_from_evidence``):
  four or more upload pictures must line up, each with a verified geometric match.
"""

from __future__ import annotations

import struct
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from safeharbor.arrays import F64, U8
from safeharbor.signals import image_keypoints as kp
from safeharbor.signals.base import Fingerprint

KIND = "keyframes"
_MAGIC = b"VKF1"
#: a reference keeps the keypoints of one picture every REF_STEP seconds, at most
#: MAX_KEYFRAMES pictures (four hours at 2 s; longer references sparser)
REF_STEP = 2.0
MAX_KEYFRAMES = 7_200
REF_POINTS = 150
#: an upload searches up to QUERY_FRAMES of its pictures, evenly spread, as they are and
#: mirrored
QUERY_FRAMES = 30
QUERY_POINTS = 500
#: a picture pair counts from MIN_INLIERS inliers; FULL_INLIERS or more weigh 1
MIN_INLIERS = 12
FULL_INLIERS = 40
#: a keyframe stands for the REF_STEP seconds around it, plus the PDQ pictures' tolerance
ALIGN_TOL_KEY = REF_STEP / 2 + 0.25
#: pairs of one copy share one geometry: where the reference's centre lands in the upload
#: (within this share of each of the upload's sides) and at what scale (within this ratio)
SAME_PLACE = 0.04
SAME_SCALE = 1.08


@dataclass
class Keyframes:
    """Keypoints of some sampled pictures of a video, with their times."""

    times: F64
    frames: list[kp.Keypoints]

    def pack(self) -> bytes:
        parts = [_MAGIC, struct.pack("<I", len(self.frames))]
        for t, f in zip(self.times.tolist(), self.frames, strict=True):
            parts.append(struct.pack("<fHHH", t, len(f), f.width, f.height))
        parts += [f.pack() for f in self.frames]
        return b"".join(parts)

    @staticmethod
    def unpack(fp: Fingerprint) -> Keyframes | None:
        v = fp.value
        if len(v) < 8 or v[:4] != _MAGIC:
            return None
        (n,) = struct.unpack_from("<I", v, 4)
        head = 8 + n * 10
        if len(v) < head:
            return None
        times, frames, at = [], [], head
        per = 4 + kp.DESCRIPTOR_BYTES
        for i in range(n):
            t, count, w, h = struct.unpack_from("<fHHH", v, 8 + i * 10)
            end = at + count * per
            if end > len(v) or w == 0 or h == 0:
                return None
            frames.append(kp.Keypoints.unpack(v[at:end], w, h))
            times.append(t)
            at = end
        if at != len(v):
            return None
        return Keyframes(np.asarray(times, np.float64), frames)


def pick(times: Sequence[float], role_ref: bool) -> list[int]:
    """Which sampled pictures get keypoints: every ``REF_STEP`` s of a reference (sparser
    past ``MAX_KEYFRAMES``), up to ``QUERY_FRAMES`` evenly spread pictures of an upload."""
    n = len(times)
    if n == 0:
        return []
    if not role_ref:
        if n <= QUERY_FRAMES:
            return list(range(n))
        return sorted(set(np.linspace(0, n - 1, QUERY_FRAMES).round().astype(int).tolist()))
    span = float(times[-1] - times[0]) if n > 1 else 0.0
    step = max(REF_STEP, span / MAX_KEYFRAMES)
    out, nxt = [], float(times[0])
    for i, t in enumerate(times):
        if t + 1e-6 >= nxt:
            out.append(i)
            nxt = t + step
    return out


def make_keyframes(
    frames: Sequence[U8], times: Sequence[float], box: tuple[int, int, int, int], role_ref: bool
) -> tuple[Keyframes, Keyframes | None]:
    """Keypoints of the chosen pictures (``pick``), inside the picture area ``box``; for an
    upload also those of the mirrored pictures (``image_keypoints.detect_with_mirror``:
    the same corners, only their descriptors computed again)."""
    x0, y0, x1, y1 = box
    chosen = pick(times, role_ref)
    at = np.asarray([times[i] for i in chosen], np.float64)
    if role_ref:
        kps = [kp.detect(np.ascontiguousarray(frames[i][y0:y1, x0:x1]), REF_POINTS) for i in chosen]
        return Keyframes(at, kps), None
    both = [
        kp.detect_with_mirror(np.ascontiguousarray(frames[i][y0:y1, x0:x1]), QUERY_POINTS)
        for i in chosen
    ]
    return Keyframes(at, [b[0] for b in both]), Keyframes(at.copy(), [b[1] for b in both])


def keyframe_fingerprints(
    frames: Sequence[U8],
    times: Sequence[float],
    box: tuple[int, int, int, int],
    role_ref: bool,
    signal: str,
    meta: dict[str, Any],
) -> list[Fingerprint]:
    """A reference's keyframes; an upload's as they are and mirrored."""
    plain, mirrored = make_keyframes(frames, times, box, role_ref)
    out = []
    for k, variant in ((plain, "identity"), (mirrored, "flip_h")):
        if k is not None and len(k.times):
            out.append(to_fingerprint(k, signal, {**meta, "variant": variant}))
    return out


def to_fingerprint(k: Keyframes, signal: str, meta: dict[str, Any]) -> Fingerprint:
    meta = {**meta, "keyframes": len(k.times)}
    return Fingerprint(signal, KIND, k.pack(), quality=100, meta=meta)


@dataclass(frozen=True)
class FramePairs:
    """Picture pairs found for one reference: upload picture, its time, the reference
    keyframe's time, and the pair's pseudo distance (see ``KeyframeIndex.pairs``)."""

    qi: npt.NDArray[np.int64]
    qt: F64
    rt: F64
    distance: F64
    best_inliers: int
    #: the geometry they share: the reference centre in the upload (shares of its
    #: sides) and the scale, reference -> upload
    centre: tuple[float, float] = (0.5, 0.5)
    scale: float = 1.0


class KeyframeIndex:
    """Every reference keyframe in one ``image_keypoints.KeypointIndex``."""

    def __init__(self) -> None:
        self._kp = kp.KeypointIndex()
        # keyframe id -> (reference id, time); ids are never reused
        self._owner: dict[int, tuple[int, float]] = {}
        self._of_ref: dict[int, list[int]] = {}
        self._next = 0

    def __len__(self) -> int:
        return len(self._of_ref)

    def ref_ids(self) -> set[int]:
        return set(self._of_ref)

    def add(self, ref_id: int, k: Keyframes) -> None:
        ids = self._of_ref.setdefault(ref_id, [])
        for t, f in zip(k.times.tolist(), k.frames, strict=True):
            if len(f) < kp.MIN_PAIRS:
                continue  # a flat picture (black, a fade) has nothing to match
            kid = self._next
            self._next += 1
            self._owner[kid] = (ref_id, float(t))
            ids.append(kid)
            self._kp.add(kid, f)
        if not ids:
            del self._of_ref[ref_id]

    def remove(self, ref_id: int) -> None:
        for kid in self._of_ref.pop(ref_id, []):
            self._owner.pop(kid, None)
            self._kp.remove(kid)

    def pairs(self, query: Keyframes, full_distance: float) -> dict[int, FramePairs]:
        """Per reference, the verified picture pairs of ``query``'s pictures. A pair's
        weight ``min(1, inliers / FULL_INLIERS)`` is handed to ``video.align`` as a pseudo
        distance ``full_distance * (1 - weight)``, so PDQ and keypoint pairs are lined up
        and weighed by the same code."""
        # per reference: upload picture, its time, keyframe time, weight, inliers, and the
        # geometry (reference centre in the upload as shares of its sides, log scale)
        found: dict[int, list[tuple[float, ...]]] = {}
        for qi, (t, f) in enumerate(zip(query.times.tolist(), query.frames, strict=True)):
            if len(f) < kp.MIN_PAIRS:
                continue
            for kid, _score, v in self._kp.search(f, 0.0, min_inliers=MIN_INLIERS):
                if v.inliers < MIN_INLIERS or kid not in self._owner or len(v.transform) != 6:
                    continue
                ref_id, rt = self._owner[kid]
                ref = self._kp.keypoints(kid)
                a, b, tx, c, d, ty = v.transform
                cx, cy = ref.width / 2, ref.height / 2
                w = min(1.0, v.inliers / FULL_INLIERS)
                found.setdefault(ref_id, []).append(
                    (
                        qi,
                        t,
                        rt,
                        w,
                        v.inliers,
                        (a * cx + b * cy + tx) / f.width,
                        (c * cx + d * cy + ty) / f.height,
                        float(np.log(max(v.scale, 1e-6))),
                    )
                )
        out = {}
        for ref_id, rows in found.items():
            arr = np.asarray(rows, np.float64)
            keep = _one_geometry(arr[:, 5], arr[:, 6], arr[:, 7], arr[:, 3])
            arr = arr[keep]
            out[ref_id] = FramePairs(
                arr[:, 0].astype(np.int64),
                arr[:, 1],
                arr[:, 2],
                full_distance * (1 - arr[:, 3]),
                int(arr[:, 4].max()),
                (round(float(np.median(arr[:, 5])), 4), round(float(np.median(arr[:, 6])), 4)),
                round(float(np.exp(np.median(arr[:, 7]))), 4),
            )
        return out


def _one_geometry(x: F64, y: F64, log_scale: F64, weight: F64) -> npt.NDArray[np.bool_]:
    """The pairs that agree with the heaviest group of pairs on one geometry.

    A copy puts the reference's picture at one place and one size in the upload for as
    long as it lasts (a crop, a scaling, a picture-in-picture window do not move), while
    the pictures of a pan or of one still shot match many reference times, each at its
    own place: only the pairs at the copy's place are lined up in time."""
    near = (
        (np.abs(x[:, None] - x[None, :]) <= SAME_PLACE)
        & (np.abs(y[:, None] - y[None, :]) <= SAME_PLACE)
        & (np.abs(log_scale[:, None] - log_scale[None, :]) <= np.log(SAME_SCALE))
    )
    support = near @ weight
    return near[int(np.argmax(support))]
