"""Video (the pictures): PDQ of frames sampled once a second, matched by temporal alignment.

The sound track is ``safeharbor.signals.audio``'s business; the screen keeps the best score
per reference over all signals, so this signal looks at the pictures only.

Design (figures in ``docs/benchmarks.md``, section "Video"; sampling and decoding cost in
``docs/video-sampling.md``):

* **Sampling** (``video_decode.sample_video``): the frame nearest to every whole second
  (by timestamp, so frame-rate changes do not matter), decoded group-of-pictures by group
  and only where a sample falls; long files are sampled sparser (at most ``MAX_SAMPLES``
  pictures for an upload, ``MAX_SAMPLES_REF`` for a reference).
* **Tracks**. A fingerprint is one *track*: a 256-bit PDQ hash per sampled picture of one
  window of the frame, with the picture's time and PDQ quality (packed in ``value``; the
  window and variant in ``meta``). Windows are taken inside the video's picture area:
  letterbox/pillarbox bars cut off by the image module's ``trim_borders``, judged per
  side over two dozen samples so that a dark scene does not count as a bar.

  - A reference has two tracks: ``full`` (the picture area) and ``crop`` (10 % off its
    left, right and top, 25 % off its bottom: see "Crops").
  - An upload has ``full`` as is and mirrored (``flip_h``; hashed from mirrored pixels,
    because pdqhash's dihedral variants come out ~25 bits off the real mirror), three
    ``zoom`` windows, and one ``region`` track per picture-in-picture window found
    (``find_regions``: edges that stay at the same pixels while the video plays are drawn
    as lines and closed into boxes by the image module's ``find_rectangles``; the edges of
    scenery move, a window's border does not).
* **Crops**. PDQ of a whole picture does not survive cropping: 5 % off each side moves it
  ~85 bits, 10 % ~120 (as far as unrelated pictures). So the reference also keeps its
  ``crop`` window, and the upload's ``zoom`` windows are where that window lies in an
  upload cropped by 0, 5 or 10 % on every side (``zoom_window``): one of them shows the same
  part of the scene as the reference's crop. The crop window leaves out the bottom quarter,
  so the zoom tracks also match uploads with burnt-in subtitles. Uneven crops are matched
  only when close to even (``docs/benchmarks.md`` has the figures).
* **Search**: every query picture of quality >= 50 (PDQ's own advice: flatter pictures hash
  to noise) is looked up in a faiss binary flat index (``safeharbor.index.hamming``, one per
  reference track: ``full``/``flip_h``/``region`` against ``full``, ``zoom`` against
  ``crop``), radius ``CANDIDATE_RADIUS`` bits, a random quarter of the bits compared first
  (``PREFILTER_BITS``: the scan is memory-bound at 1,000 hours). That radius is far too wide
  to trust one picture (unrelated pictures come that close), and no single picture is ever
  trusted: for each reference and pair of tracks, the picture pairs are fitted to one line
  ``ref_time = a * query_time + b`` with ``a`` in [0.85, 1.15] (speed changes up to 15 %) by
  a Hough vote over ``a`` and ``b``; the four best-voted lines are refined by least squares
  on the pairs near them, and the one with the most evidence wins. Only pairs within
  ``ALIGN_TOL`` s of the line count, each query picture once, weighed by closeness: ``weight
  = 1 - distance / CANDIDATE_RADIUS``. The evidence is the sum of the weights, and at least
  ``MIN_ALIGNED`` pictures must line up. The aligned pictures give the query span (a picture
  standing for the second after it) and, through the line, the reference span.

* **Keyframes** (``video_keypoints``): a reference also keeps the keypoints of one
  picture every 2 s, an upload those of up to 30 of its pictures, as they are and
  mirrored. Each upload picture is
  verified against the keyframes like an image upload (RANSAC on ORB pairs); the pairs
  that put the reference's picture at one place and size in the upload are lined up in
  time by the same ``align`` (wider tolerance: a keyframe stands for 2 s), weighed by
  their inliers, and scored with the same anchors. They find what PDQ tracks cannot:
  uneven crops, large overlays, picture-in-picture windows without clean edges. Where
  the PDQ tracks also score 0.80 or more for the same reference, the line reported is
  the one that the PDQ and keyframe pairs together bear out best (``_chosen``): a picture
  a second places a segment more precisely, but a slow pan tilts PDQ's line.

Score calibration (``score_from_evidence``): piecewise linear in the evidence through
``(0, 0)``, ``(E50, 0.50)``, ``(E65, 0.65)``, ``(E80, 0.80)`` and ``(E_ONE, 1.0)``. The
anchors were fitted on ``bench/video_bench.py``'s unrelated queries: 462 whole uploads
(30 s distractor segments through all 13 transformations, and reference segments against
the other references and against an index of the distractor videos) plus 10 s and 30 s
windows cut every 2-4 s from them and from whole distractor videos, 2,648 in all. None of
them lined up even the minimum of 4 pictures (so none scored above 0); E65 = 3.0 and E80 =
4.0 are set where 4 pictures must be close (about 18 and 0 bits on average) or 6-8
pictures moderately close, which true matches of 10 s reach under every transformation
but uneven crops. With no unrelated query near the anchors, the data bound the
false-match rate only to below ~1/2,600 at both thresholds: the 1e-4 target is a design
margin here, not a measurement. The windows overlap, so they are not independent draws,
and the corpus is synthetic (slideshows over photographs): re-fit on real footage, where
recurring shots (studio sets, black title cards) line up more easily, before relying on
the 1e-4 figure.
"""

from __future__ import annotations

import struct
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import numpy.typing as npt
import pdqhash

from safeharbor.arrays import F64, U8
from safeharbor.index.hamming import HammingIndex
from safeharbor.signals import video_keypoints as vk
from safeharbor.signals.base import (
    Fingerprint,
    Media,
    Role,
    SignalError,
    SignalIndex,
    SignalMatch,
    SignalType,
    Span,
    best_per_ref,
)
from safeharbor.signals.image import find_rectangles, trim_borders
from safeharbor.signals.video_decode import MAX_SAMPLES, STEP, Sampled, sample_video

Box = tuple[int, int, int, int]

#: a reference is sampled at one picture a second for up to four hours
MAX_SAMPLES_REF = 14_400
#: windows are resampled to this square before PDQ
BLOCK_SIDE = 128
MIN_QUALITY = 50
#: bits within which a reference picture is a candidate for a query picture
CANDIDATE_RADIUS = 72
#: the index compares a random quarter of each picture's bits first and only pictures
#: within PREFILTER_RADIUS of them in full (``safeharbor.index.hamming``): a 256-bit scan
#: of 1,000 hours of pictures is memory-bound, and most of them are nowhere near
PREFILTER_BITS = 64
PREFILTER_RADIUS = 20
#: time-warp slopes tried (ref seconds per query second) and the offset bin of the vote
SLOPE_MIN = 0.85
SLOPE_MAX = 1.15
SLOPES = np.linspace(SLOPE_MIN, SLOPE_MAX, 31)
OFFSET_BIN = 0.5
#: a pair lies on the line when its reference time is within this many seconds of it
#: (pictures are a second apart on both sides, so the nearest is at most 0.5 s away)
ALIGN_TOL = 0.75
#: fewer aligned pictures than this are never a match, whatever their distances
MIN_ALIGNED = 4
#: score anchors in evidence (sum of weights of aligned pictures); see the docstring
E50 = 2.5
E65 = 3.0
E80 = 4.0
E_ONE = 12.0
#: picture-in-picture: a box must recur in this share of the probed samples
REGION_PROBES = 16
REGION_SHARE = 0.4
MAX_REGIONS = 3
#: ... and each of its sides must lie on such edges in this share of the probes, on average
REGION_SUPPORT = 0.35
#: the reference's crop window, as fractions of its picture area: 10 % off the left, right
#: and top, 25 % off the bottom, so that it also leaves out where subtitles go
REF_CROP = (0.10, 0.10, 0.90, 0.75)
#: uniform crops (share cut off each side) for which the upload gets a zoom window that
#: shows exactly the reference's crop window
ZOOM_CROPS = (0.0, 0.05, 0.10)

#: where PDQ and keyframes both score this much, the line both sets of pairs bear out
#: best is reported; without the pairs, PDQ's unless the keyframes' alignment is longer by
#: LONGER_BY seconds (``_chosen``)
PDQ_SUFFICES = 0.80
LONGER_BY = 2.0
#: ... where the two lines put the same upload moment more than this many seconds apart
#: in the reference, the one with more evidence (see ``_chosen``)
AGREE_BY = 2.0

KIND = "frames"
_MAGIC = b"VPQ1"


# --------------------------------------------------------------------------- tracks


@dataclass
class Track:
    """PDQ hashes of one window over the sampled pictures of a video."""

    name: str  # full, crop, region, zoom
    variant: str  # identity, flip_h
    box: list[float]  # window as fractions of the frame: x0, y0, x1, y1
    times: F64
    quality: npt.NDArray[np.uint8]
    hashes: U8  # (n, 32)

    def pack(self) -> bytes:
        n = len(self.times)
        return b"".join(
            (
                _MAGIC,
                struct.pack("<I", n),
                np.asarray(self.times, dtype="<f4").tobytes(),
                np.asarray(self.quality, dtype=np.uint8).tobytes(),
                np.ascontiguousarray(self.hashes, dtype=np.uint8).tobytes(),
            )
        )

    @staticmethod
    def unpack(fp: Fingerprint) -> Track | None:
        v = fp.value
        if len(v) < 8 or v[:4] != _MAGIC:
            return None
        (n,) = struct.unpack("<I", v[4:8])
        if len(v) != 8 + n * (4 + 1 + 32):
            return None
        times = np.frombuffer(v, dtype="<f4", count=n, offset=8).astype(np.float64)
        quality = np.frombuffer(v, dtype=np.uint8, count=n, offset=8 + 4 * n)
        hashes = np.frombuffer(v, dtype=np.uint8, offset=8 + 5 * n).reshape(n, 32)
        meta = fp.meta or {}
        return Track(
            str(meta.get("track", "full")),
            str(meta.get("variant", "identity")),
            list(meta.get("box", [0.0, 0.0, 1.0, 1.0])),
            times,
            quality,
            hashes,
        )


def _window(a: U8, box: Box) -> U8:
    x0, y0, x1, y1 = box
    sub = a[y0:y1, x0:x1]
    return np.ascontiguousarray(
        cv2.resize(sub, (BLOCK_SIDE, BLOCK_SIDE), interpolation=cv2.INTER_AREA)
    )


def _pack_bits(bits: npt.NDArray[Any]) -> U8:
    return np.packbits(np.asarray(bits, dtype=np.uint8))


def _iou(a: Box, b: Box) -> float:
    ix = max(0, min(a[2], b[2]) - max(a[0], b[0]))
    iy = max(0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = ix * iy
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return inter / union if union else 0.0


def video_box(frames: Sequence[U8]) -> Box:
    """The picture area of the video: bars cut off, judged over many samples.

    Each sample is trimmed on its own; per side, the box reaches as far out as a quarter of
    the samples do. Bars are on every sample, while a dark scene that reaches the edge is on
    few, so it does not eat into the picture.
    """
    h, w = frames[0].shape[:2]
    idx = np.linspace(0, len(frames) - 1, min(len(frames), 24)).round().astype(int)
    boxes = np.array([trim_borders(frames[i]) for i in sorted(set(idx.tolist()))])
    x0 = int(np.percentile(boxes[:, 0], 25))
    y0 = int(np.percentile(boxes[:, 1], 25))
    x1 = int(np.ceil(np.percentile(boxes[:, 2], 75)))
    y1 = int(np.ceil(np.percentile(boxes[:, 3], 75)))
    if x1 - x0 < 16 or y1 - y0 < 16:
        return 0, 0, w, h
    return x0, y0, x1, y1


def find_regions(frames: Sequence[U8], full: Box) -> list[Box]:
    """Picture-in-picture windows: boxes drawn by edges that stay put while the video plays.

    The border of a window laid over a video is an edge at the same pixels in every frame,
    while the edges of the scenery move. Edges (steps of more than 12 grey levels between
    neighbours) present at a pixel in at least ``REGION_SHARE`` of ``REGION_PROBES``
    samples are drawn as white lines on black, and ``find_rectangles`` of the image module
    closes them into boxes. Each box is snapped onto the lines, boxes under 6 % or over
    80 % of the picture area are dropped (logos and captions; the frame itself, which the
    ``full`` track covers), and the rest are ranked by their weakest side (the share of
    probes with an edge along it; at least ``REGION_SUPPORT``); up to ``MAX_REGIONS``.
    """
    if len(frames) < 4:
        return []
    idx = sorted(set(np.linspace(0, len(frames) - 1, REGION_PROBES).round().astype(int).tolist()))
    h, w = frames[0].shape[:2]
    vx = np.zeros((h, w), np.float32)
    vy = np.zeros((h, w), np.float32)
    for i in idx:
        g = cv2.cvtColor(frames[i], cv2.COLOR_RGB2GRAY).astype(np.int16)
        vx[:, 1:] += np.abs(np.diff(g, axis=1)) > 12
        vy[1:, :] += np.abs(np.diff(g, axis=0)) > 12
    lines = ((vx >= REGION_SHARE * len(idx)) | (vy >= REGION_SHARE * len(idx))).astype(np.uint8)
    if lines.mean() > 0.25:
        return []  # a still picture: every edge stays put, nothing to learn
    canvas = np.repeat((lines * 255)[:, :, None], 3, axis=2)
    fx0, fy0, fx1, fy1 = full
    farea = (fx1 - fx0) * (fy1 - fy0)
    # rank boxes by their weakest side: a window's four sides all stay put, while a box
    # that borrows one side from the scenery (a still shot inside the window) does not
    # (find_rectangles places a box side up to 2 px off a 1 px line: dilated)
    band = cv2.dilate(np.maximum(vx, vy) / len(idx), np.ones((5, 5), np.uint8))
    ranked: list[tuple[float, Box]] = []
    for b in find_rectangles(canvas, max_rects=8):
        area = (b[2] - b[0]) * (b[3] - b[1])
        if area < 0.06 * farea or area > 0.8 * farea:
            continue
        x0, y0, x1, y1 = _snap(b, vx, vy)
        b = (x0, y0, x1, y1)
        xa, xb = min(x0, w - 1), min(x1, w - 1)
        ya, yb = min(y0, h - 1), min(y1, h - 1)
        sides = (
            band[ya, x0:x1].mean(),
            band[yb, x0:x1].mean(),
            band[y0:y1, xa].mean(),
            band[y0:y1, xb].mean(),
        )
        ranked.append((float(min(sides)), b))
    out: list[Box] = []
    for support, b in sorted(ranked, key=lambda r: -r[0]):
        if support < REGION_SUPPORT or any(_iou(b, o) > 0.7 for o in out):
            continue
        out.append(b)
        if len(out) >= MAX_REGIONS:
            break
    return out


def _snap(b: Box, vx: npt.NDArray[np.float32], vy: npt.NDArray[np.float32]) -> Box:
    """Move each side of ``b`` onto the strongest persistent edge within 3 px: the box
    comes from lines drawn 1 px wide, whose two flanks ``find_rectangles`` may pick."""
    h, w = vx.shape
    x0, y0, x1, y1 = b

    def best(profile: npt.NDArray[np.float32], at: int, lo: int, hi: int) -> int:
        cand = range(max(lo, at - 3), min(hi, at + 3) + 1)
        return max(cand, key=lambda k: (float(profile[k]), -abs(k - at)))

    colx = vx[y0:y1].mean(axis=0) if y1 > y0 else np.zeros(w, np.float32)
    rowy = vy[:, x0:x1].mean(axis=1) if x1 > x0 else np.zeros(h, np.float32)
    # vx[:, k] is the step between columns k-1 and k: a window starting at column k
    # has its left edge at k, and one ending before column k its right edge at k
    nx0 = best(colx, x0, 0, w - 1)
    nx1 = best(colx, x1, 1, w - 1) if x1 < w else w
    ny0 = best(rowy, y0, 0, h - 1)
    ny1 = best(rowy, y1, 1, h - 1) if y1 < h else h
    if nx1 - nx0 < 16 or ny1 - ny0 < 16:
        return b
    return nx0, ny0, nx1, ny1


def _sub(box: Box, f: Sequence[float]) -> Box:
    """The window ``f`` (fractions x0, y0, x1, y1) of ``box``, in pixels."""
    x0, y0, x1, y1 = box
    w, h = x1 - x0, y1 - y0
    return (
        int(round(x0 + f[0] * w)),
        int(round(y0 + f[1] * h)),
        int(round(x0 + f[2] * w)),
        int(round(y0 + f[3] * h)),
    )


def zoom_window(c: float) -> tuple[float, float, float, float]:
    """Where the reference's crop window lies in an upload cropped by ``c`` on each side."""
    k = 1 - 2 * c
    x0, y0, x1, y1 = REF_CROP
    return (x0 - c) / k, (y0 - c) / k, (x1 - c) / k, (y1 - c) / k


def make_tracks(s: Sampled, role: Role, full: Box | None = None) -> list[Track]:
    """The tracks of a sampled video (see the module docstring); ``full``: its picture
    area, where already known (``video_box``)."""
    frames = s.frames
    h, w = frames[0].shape[:2]
    full = full or video_box(frames)
    times = np.asarray(s.times, dtype=np.float64)
    n = len(frames)

    def frac(b: Box) -> list[float]:
        return [round(b[0] / w, 4), round(b[1] / h, 4), round(b[2] / w, 4), round(b[3] / h, 4)]

    def plain(name: str, box: Box) -> Track:
        hs = np.zeros((n, 32), np.uint8)
        qs = np.zeros(n, np.uint8)
        for i, a in enumerate(frames):
            bits, q = pdqhash.compute(_window(a, box))
            hs[i] = _pack_bits(bits)
            qs[i] = int(q)
        return Track(name, "identity", frac(box), times, qs, hs)

    if role is Role.REFERENCE:
        return [plain("full", full), plain("crop", _sub(full, REF_CROP))]
    # the full window as is and mirrored; the mirror is hashed from the mirrored pixels,
    # not taken from pdqhash's dihedral variants, which are ~25 bits off the real thing
    ident = plain("full", full)
    flip = np.zeros((n, 32), np.uint8)
    for i, a in enumerate(frames):
        bits, _ = pdqhash.compute(np.ascontiguousarray(_window(a, full)[:, ::-1]))
        flip[i] = _pack_bits(bits)
    tracks = [ident, Track("full", "flip_h", ident.box, times, ident.quality, flip)]
    for c in ZOOM_CROPS:
        tracks.append(plain("zoom", _sub(full, zoom_window(c))))
    for box in find_regions(frames, full):
        tracks.append(plain("region", box))
    return tracks


# --------------------------------------------------------------------------- alignment


@dataclass(frozen=True)
class Alignment:
    slope: float
    offset: float
    evidence: float
    aligned: int  # distinct query pictures on the line
    q_start: float
    q_end: float
    median_distance: float


def _weights(d: npt.NDArray[Any]) -> F64:
    return np.clip(1.0 - np.asarray(d, np.float64) / CANDIDATE_RADIUS, 0.0, 1.0)


def align(
    qi: npt.NDArray[Any], qt: F64, rt: F64, d: npt.NDArray[Any], tol: float = ALIGN_TOL
) -> Alignment | None:
    """Fit ``rt = a * qt + b`` to the picture pairs (query index, query time, reference
    time, distance) and measure the evidence of the pairs within ``tol`` s of the line."""
    if len(np.unique(qi)) < MIN_ALIGNED:
        return None
    p = _Pairs(qi, qt, rt, d, _weights(d), tol)
    w = p.w
    # Hough vote: for each slope, offsets binned; a bin's vote is the summed weight of its
    # pairs (each query picture counted once per bin by taking its best pair)
    cands: list[tuple[float, float, float]] = []
    for a in SLOPES:
        b = rt - a * qt
        key = np.floor(b / OFFSET_BIN).astype(np.int64)
        order = np.lexsort((-w, qi, key))
        k, q, ww = key[order], qi[order], w[order]
        first = np.ones(len(k), bool)
        first[1:] = (k[1:] != k[:-1]) | (q[1:] != q[:-1])
        k, ww = k[first], ww[first]
        uk, start = np.unique(k, return_index=True)
        sums = np.add.reduceat(ww, start)
        # the pairs of one line spread over about a second of offset (pictures are a
        # second apart): each bin's vote includes both neighbours
        merged = sums.copy()
        for step in (-1, 1):
            nb = np.searchsorted(uk, uk + step)
            ok = (nb >= 0) & (nb < len(uk))
            ok[ok] &= uk[nb[ok]] == uk[ok] + step
            merged[ok] += sums[nb[ok]]
        j = int(np.argmax(merged))
        cands.append((float(merged[j]), float(a), (uk[j] + 0.5) * OFFSET_BIN))
    # refine the few best-voted lines and keep the one with the most evidence: a wrong
    # slope can win the coarse vote on a short query and still lose after refinement
    best: Alignment | None = None
    for _, a, b in sorted(cands, reverse=True)[:4]:
        al = p.refine(a, b)
        if al is not None and (best is None or al.evidence > best.evidence):
            best = al
    return best


@dataclass(frozen=True)
class _Pairs:
    """The picture pairs of one reference track being lined up: query picture index, query
    time, reference time, distance and weight of each pair, and the tolerance (seconds)
    within which a pair is on a line."""

    qi: npt.NDArray[Any]
    qt: F64
    rt: F64
    d: npt.NDArray[Any]
    w: F64
    tol: float

    def near(self, a: float, b: float, tol: float | None = None) -> npt.NDArray[np.bool_]:
        return np.abs(self.rt - (a * self.qt + b)) <= (self.tol if tol is None else tol)

    def pick(self, mask: npt.NDArray[np.bool_]) -> npt.NDArray[np.int64]:
        """Indices of the heaviest masked pair of each query picture."""
        idx = np.nonzero(mask)[0]
        if not len(idx):
            return idx
        order = idx[np.lexsort((-self.w[idx], self.qi[idx]))]
        q = self.qi[order]
        first = np.ones(len(order), bool)
        first[1:] = q[1:] != q[:-1]
        return order[first]

    def refine(self, a: float, b: float) -> Alignment | None:
        """Least squares on the best pair per query picture near the line, tightening; the
        voted line itself (offset re-centred only) is kept instead when it holds more
        evidence: in a slow pan the neighbours of the right reference picture match
        almost as well, and least squares can tilt the line towards them and lose the
        segment's end."""
        fixed = self.evaluate(a, self.recentre(a, b))
        fitted = self.fit(a, b)
        if fixed is None or (fitted is not None and fitted.evidence > fixed.evidence):
            return fitted
        return fixed

    def recentre(self, a: float, b: float) -> float:
        near = self.near(a, b)
        if not near.any():
            return b
        sel = self.pick(near)
        return float(np.median(self.rt[sel] - a * self.qt[sel]))

    def fit(self, a: float, b: float) -> Alignment | None:
        qt, rt, w = self.qt, self.rt, self.w
        for t in (2 * self.tol, 1.5 * self.tol, self.tol):
            near = self.near(a, b, t)
            if near.sum() < min(2, MIN_ALIGNED):
                return None
            sel = self.pick(near)
            if len(np.unique(qt[sel])) >= 3:
                a2, b2 = np.polyfit(qt[sel], rt[sel], 1, w=w[sel] + 1e-3)
                if SLOPE_MIN <= a2 <= SLOPE_MAX:
                    a, b = float(a2), float(b2)
                else:
                    b = float(np.median(rt[sel] - a * qt[sel]))
            else:
                b = float(np.median(rt[sel] - a * qt[sel]))
        return self.evaluate(a, b)

    def evaluate(self, a: float, b: float) -> Alignment | None:
        """The evidence of the pairs within ``tol`` of the line, one per query picture."""
        sel = self.pick(self.near(a, b))
        if len(sel) < MIN_ALIGNED:
            return None
        return Alignment(
            slope=round(a, 4),
            offset=round(b, 3),
            evidence=round(float(self.w[sel].sum()), 3),
            aligned=len(sel),
            q_start=float(self.qt[sel].min()),
            q_end=float(self.qt[sel].max()),
            median_distance=float(np.median(self.d[sel])),
        )


#: a lined-up span grows over the query pictures beyond its ends that are this close to
#: the reference picture the line puts them at (within EXTEND_WINDOW s): unrelated PDQ
#: hashes differ by 128 bits on average (standard deviation about 8), so 100 bits is 3.5
#: deviations, while the first pictures of a fast zoom, sampled half a second from the
#: reference's, can be 80-100 bits apart and never reach the 72-bit search radius
EXTEND_BITS = 100
EXTEND_WINDOW = 1.0


def extend_span(al: Alignment, chosen: Track, query: Sequence[Track], ref: _Ref) -> Alignment:
    """``al`` (lined up on the query track ``chosen``) with its query span grown over the
    neighbouring pictures that agree with the line, as seen through any of the query's
    tracks (the window that lined up best overall need not be the one that sees a given
    second best). A closer look, not a search: evidence and score are unchanged, only the
    placement. It stops at the first picture that does not agree."""
    views: list[tuple[Track, F64, U8]] = []
    for t in query:
        target = ROUTE.get(t.name)
        for r in ref.tracks:
            ok = r.quality >= MIN_QUALITY
            if r.name == target and ok.any():
                views.append((t, r.times[ok], r.hashes[ok]))

    def agrees(at_query: float) -> bool:
        at = al.slope * at_query + al.offset
        for t, rt, rh in views:
            j = int(np.searchsorted(t.times, at_query))
            if j >= len(t.times) or abs(t.times[j] - at_query) > 1e-3:
                continue
            if t.quality[j] < MIN_QUALITY:
                continue
            lo, hi = np.searchsorted(rt, [at - EXTEND_WINDOW, at + EXTEND_WINDOW + 1e-9])
            if lo < hi:
                bits = np.bitwise_count(np.bitwise_xor(rh[lo:hi], t.hashes[j])).sum(axis=1)
                if int(bits.min()) <= EXTEND_BITS:
                    return True
        return False

    times = np.unique(chosen.times)
    start, end = al.q_start, al.q_end
    for t in times[times < al.q_start][::-1].tolist():
        if not agrees(t):
            break
        start = t
    for t in times[times > al.q_end].tolist():
        if not agrees(t):
            break
        end = t
    if start == al.q_start and end == al.q_end:
        return al
    return replace(al, q_start=start, q_end=end)


def score_from_evidence(e: float) -> float:
    """Calibrated score for an evidence sum (see the module docstring)."""
    pts = ((0.0, 0.0), (E50, 0.50), (E65, 0.65), (E80, 0.80), (E_ONE, 1.0))
    if e >= E_ONE:
        return 1.0
    for (e0, s0), (e1, s1) in zip(pts, pts[1:], strict=False):
        if e <= e1:
            return round(s0 + (s1 - s0) * (e - e0) / (e1 - e0), 4)
    return 1.0


# --------------------------------------------------------------------------- signal


class VideoSignal(SignalType):
    """The pictures of a video: PDQ per sampled second, matched by temporal alignment."""

    name = "video"
    modalities = frozenset({"video"})

    def __init__(self, step: float = STEP, max_samples: int = MAX_SAMPLES) -> None:
        self.step = step
        self.max_samples = max_samples

    def extract(self, media: Media, role: Role) -> list[Fingerprint]:
        source: Path | bytes
        if media.path is not None and media.data is None:
            source = media.path
        else:
            try:
                source = media.read()
            except OSError as exc:
                raise SignalError(f"The video could not be read from storage ({exc}).") from None
        cap = MAX_SAMPLES_REF if role is Role.REFERENCE else self.max_samples
        s = sample_video(source, step=self.step, max_samples=cap)
        if s is None:
            return []  # sound only: nothing for this signal
        return self.fingerprints(s, role)

    def fingerprints(self, s: Sampled, role: Role) -> list[Fingerprint]:
        """Fingerprints of an already sampled video."""
        out = []
        common: dict[str, Any] = {
            "step": round(s.step, 3),
            "duration": None if s.duration is None else round(s.duration, 3),
        }
        if s.note:
            common["note"] = s.note
        full = video_box(s.frames)
        for t in make_tracks(s, role, full):
            meta: dict[str, Any] = {
                "track": t.name,
                "variant": t.variant,
                "box": t.box,
                "frames": len(t.times),
                **common,
            }
            q = int(np.median(t.quality)) if len(t.quality) else 0
            out.append(Fingerprint(self.name, KIND, t.pack(), quality=q, meta=meta))
        # keypoints of some pictures: the second opinion for uneven crops, overlays and
        # picture-in-picture (``video_keypoints``)
        out += vk.keyframe_fingerprints(
            s.frames, s.times, full, role is Role.REFERENCE, self.name, common
        )
        return out

    def new_index(self) -> SignalIndex:
        return VideoIndex()


#: which reference track each query track is compared with: the upload's picture (as is,
#: mirrored, or a window found inside it) with the reference's picture, the upload's zoom
#: windows with the reference's crop window. One faiss index per reference track, so each
#: query picture is compared with half the reference pictures.
ROUTE = {"full": "full", "region": "full", "zoom": "crop"}


@dataclass
class _Slots:
    """Per indexed picture of one reference in one index: its track and its time."""

    track: npt.NDArray[np.int32]
    time: F64


@dataclass
class _Ref:
    tracks: list[Track]
    slots: dict[str, _Slots]


class VideoIndex(SignalIndex):
    """Reference pictures' PDQ in faiss binary flat indexes (one per reference track:
    ``full`` and ``crop``); a search aligns the pictures it finds in time."""

    def __init__(self) -> None:
        self._codes: dict[str, HammingIndex] = {}
        self._refs: dict[int, _Ref] = {}
        self._keys = vk.KeyframeIndex()

    def __len__(self) -> int:
        return len(self._refs.keys() | self._keys.ref_ids())

    def add(self, ref_id: int, fingerprints: Sequence[Fingerprint]) -> None:
        for fp in fingerprints:
            if fp.signal == VideoSignal.name and fp.kind == vk.KIND:
                keys = vk.Keyframes.unpack(fp)
                if keys is not None:
                    self._keys.add(ref_id, keys)
        tracks = [
            t
            for fp in fingerprints
            if fp.signal == VideoSignal.name and fp.kind == KIND
            for t in [Track.unpack(fp)]
            if t is not None and t.name in ("full", "crop")
        ]
        ref = self._refs.get(ref_id) or _Ref([], {})
        added = False
        for t in tracks:
            k = len(ref.tracks)
            ref.tracks.append(t)
            # flat pictures (fades, black, title cards) would match every flat upload
            keep = t.quality >= MIN_QUALITY
            if not keep.any():
                continue
            sl = ref.slots.get(t.name)
            n = int(keep.sum())
            new = _Slots(np.full(n, k, np.int32), t.times[keep])
            if sl is None:
                ref.slots[t.name] = new
            else:
                sl.track = np.concatenate([sl.track, new.track])
                sl.time = np.concatenate([sl.time, new.time])
            codes = self._codes.get(t.name)
            if codes is None:
                codes = self._codes[t.name] = HammingIndex(
                    256, prefilter_bits=PREFILTER_BITS, prefilter_radius=PREFILTER_RADIUS
                )
            codes.add(ref_id, t.hashes[keep])
            added = True
        if added:
            self._refs[ref_id] = ref

    def remove(self, ref_id: int) -> None:
        self._refs.pop(ref_id, None)
        for codes in self._codes.values():
            codes.remove(ref_id)
        self._keys.remove(ref_id)

    def search(self, query: Sequence[Fingerprint], min_score: float) -> list[SignalMatch]:
        qtracks = [
            t
            for fp in query
            if fp.signal == VideoSignal.name and fp.kind == KIND
            for t in [Track.unpack(fp)]
            if t is not None and t.name in ROUTE
        ]
        # every pair found: query track, query picture, ref id, ref track, ref time, bits
        pairs: list[tuple[npt.NDArray[Any], ...]] = []
        for target in ("full", "crop"):
            codes_index = self._codes.get(target)
            if codes_index is None:
                continue
            codes, q_track, q_pic = [], [], []
            for k, t in enumerate(qtracks):
                if ROUTE[t.name] != target:
                    continue
                keep = np.nonzero(t.quality >= MIN_QUALITY)[0]
                codes.append(t.hashes[keep])
                q_track.append(np.full(len(keep), k, np.int64))
                q_pic.append(keep)
            if not codes or sum(len(c) for c in codes) == 0:
                continue
            qtr = np.concatenate(q_track)
            qpic = np.concatenate(q_pic)
            hits = codes_index.search_radius_arrays(np.concatenate(codes), CANDIDATE_RADIUS)
            if not len(hits):
                continue
            h_q, h_ref, h_slot, h_d = hits.query, hits.ref_id, hits.row, hits.distance
            r_track = np.zeros(len(hits), np.int64)
            r_time = np.zeros(len(hits), np.float64)
            for ref_id in np.unique(h_ref).tolist():
                m = h_ref == ref_id
                sl = self._refs[ref_id].slots[target]
                r_track[m] = sl.track[h_slot[m]]
                r_time[m] = sl.time[h_slot[m]]
            pairs.append((qtr[h_q], qpic[h_q], h_ref, r_track, r_time, h_d))
        # the picture pairs each match was lined up on, to weigh one line against the
        # other's pairs where PDQ and keyframes both match a reference (``_chosen``)
        support: dict[int, _Pairs] = {}
        by_keys = self._by_keyframes(query, min_score, support)
        matches: list[SignalMatch] = []
        if not pairs:
            return best_per_ref(by_keys)
        qk, qp, rid, rk, rtm, dist = (np.concatenate(x) for x in zip(*pairs, strict=True))
        for ref_id in np.unique(rid).tolist():
            ref = self._refs.get(ref_id)
            if ref is None:
                continue
            m = rid == ref_id
            group = qk[m] * 1024 + rk[m]
            best: tuple[Alignment, int, int, _Pairs] | None = None
            for g in np.unique(group).tolist():
                gm = group == g
                qtr_ = qtracks[g // 1024]
                args = (qp[m][gm], qtr_.times[qp[m][gm]], rtm[m][gm], dist[m][gm])
                al = align(*args)
                if al is not None and (best is None or al.evidence > best[0].evidence):
                    best = (al, g // 1024, g % 1024, _Pairs(*args, _weights(args[3]), ALIGN_TOL))
            if best is None:
                continue
            al, qi, ri, used = best
            score = score_from_evidence(al.evidence)
            if score < min_score:
                continue
            qt_, rt_ = qtracks[qi], ref.tracks[ri]
            al = extend_span(al, qt_, qtracks, ref)
            about = {
                "query_track": qt_.name,
                "query_variant": qt_.variant,
                "query_box": qt_.box,
                "reference_track": rt_.name,
            }
            matches.append(self._match(ref_id, _step(qt_.times), al, score, about))
            support[id(matches[-1])] = used
        return _prefer_pdq(best_per_ref(matches), by_keys, support)

    def _by_keyframes(
        self, query: Sequence[Fingerprint], min_score: float, support: dict[int, _Pairs]
    ) -> list[SignalMatch]:
        """Matches from the upload's keyframes (``video_keypoints``), lined up in time;
        the pairs each was lined up on go to ``support`` (by the match's ``id``)."""
        out: list[SignalMatch] = []
        if not len(self._keys):
            return out
        for fp in query:
            if fp.signal != VideoSignal.name or fp.kind != vk.KIND:
                continue
            keys = vk.Keyframes.unpack(fp)
            if keys is None:
                continue
            step = float(fp.meta.get("step") or STEP)
            for ref_id, p in self._keys.pairs(keys, CANDIDATE_RADIUS).items():
                al = align(p.qi, p.qt, p.rt, p.distance, tol=vk.ALIGN_TOL_KEY)
                if al is None:
                    continue
                score = score_from_evidence(al.evidence)
                if score < min_score:
                    continue
                # an upload picture stands for the span until the next searched one
                q_step = max(step, _step(keys.times))
                about = {
                    "query_track": "keyframes",
                    "query_variant": str(fp.meta.get("variant", "identity")),
                    "best_inliers": p.best_inliers,
                    # where the reference's picture sits in the upload's, for the reviewer
                    "centre": list(p.centre),
                    "scale": p.scale,
                }
                out.append(self._match(ref_id, q_step, al, score, about))
                w = _weights(p.distance)
                support[id(out[-1])] = _Pairs(p.qi, p.qt, p.rt, p.distance, w, vk.ALIGN_TOL_KEY)
        return out

    @staticmethod
    def _match(
        ref_id: int, step: float, al: Alignment, score: float, about: dict[str, Any]
    ) -> SignalMatch:
        # a picture stands for the second that follows it
        qs, qe = al.q_start, al.q_end + step
        return SignalMatch(
            ref_id=int(ref_id),
            score=score,
            signal=VideoSignal.name,
            distance=al.median_distance,
            query_span=Span(round(qs, 2), round(qe, 2), "s"),
            reference_span=Span(
                round(max(0.0, al.slope * qs + al.offset), 2),
                round(al.slope * qe + al.offset, 2),
                "s",
            ),
            evidence={
                "aligned_frames": al.aligned,
                "evidence": al.evidence,
                "speed": al.slope,
                "offset_s": al.offset,
                "median_distance": al.median_distance,
                **about,
            },
        )


def _prefer_pdq(
    pdq: list[SignalMatch], keys: list[SignalMatch], support: dict[int, _Pairs] | None = None
) -> list[SignalMatch]:
    """Per reference, the better of the PDQ and the keyframe match (``_chosen``);
    ``support``: the picture pairs each match was lined up on, by the match's ``id``."""
    best = {m.ref_id: m for m in pdq}
    for m in keys:
        cur = best.get(m.ref_id)
        best[m.ref_id] = m if cur is None else _chosen(m, cur, support)
    return sorted(best.values(), key=lambda m: (-m.score, m.ref_id))


def _chosen(
    key: SignalMatch, pdq: SignalMatch, support: dict[int, _Pairs] | None = None
) -> SignalMatch:
    """Where either is short of a match (``PDQ_SUFFICES``), the higher score. Where both
    match and the picture pairs of both are known (``support``), the line that the pairs
    of *both* bear out best (``_joint``), its span widened to what either lined up
    (``_joined``) where the two place the upload alike (``_agree``): PDQ pictures that a
    caption or a crop moved too far do not line up, keyframes between two reference
    keyframes do not either, and each side often misses the first seconds the other has.
    Each line is judged on the other's pairs too because each can be wrong in its own way:

    * the PDQ hashes of a still shot, a slow pan or zoom change little from one second to
      the next, and a crop that moves the picture (uneven, or a window) matches the
      second of the pan that shows the same part best, so PDQ's line can slip or tilt by
      seconds; a keyframe pair is a verified geometry (one place and size of the
      reference in the upload, ``video_keypoints``), where the wrong second of a pan
      lands elsewhere, so a slipped PDQ line finds few keyframe pairs on it;
    * a keyframe line rests on a keyframe every ``vk.REF_STEP`` seconds and can be a
      second or two off at the ends of a short segment, so it finds fewer of the PDQ
      pictures (a second apart, ``ALIGN_TOL``) than PDQ's own line does.

    Without the pairs (or where they share no part of the upload): by placement and
    length as below. Placed more than ``AGREE_BY`` apart: the one with more evidence;
    placed alike: PDQ's (a picture every second places a segment more precisely), unless
    the keyframes line up a longer part of the upload by more than ``LONGER_BY`` seconds.
    Measured on ``bench/video_bench.py`` (``docs/benchmarks.md``).
    """
    if min(key.score, pdq.score) < PDQ_SUFFICES:
        return key if key.score > pdq.score else pdq
    agree = _agree(key, pdq)
    pk = pp = None
    if support is not None:
        pk, pp = support.get(id(key)), support.get(id(pdq))
    if agree is not None and pk is not None and pp is not None:
        # PDQ on a tie: the finer line
        win, other = (key, pdq) if _joint(key, pk, pp) > _joint(pdq, pk, pp) else (pdq, key)
        return _joined(win, other) if agree else win
    if agree is False:
        return key if _evidence(key) > _evidence(pdq) else pdq
    win, other = (key, pdq) if _length(key) > _length(pdq) + LONGER_BY else (pdq, key)
    return _joined(win, other) if agree else win


def _joint(m: SignalMatch, *pairs: _Pairs) -> float:
    """The evidence that ``m``'s time line finds among each set of picture pairs (each
    with its own tolerance, each upload picture once), summed."""
    speed, offset = m.evidence.get("speed"), m.evidence.get("offset_s")
    if not isinstance(speed, int | float) or not isinstance(offset, int | float):
        return 0.0
    total = 0.0
    for p in pairs:
        al = p.evaluate(float(speed), float(offset))
        total += 0.0 if al is None else al.evidence
    return total


def _agree(a: SignalMatch, b: SignalMatch) -> bool | None:
    """Whether two matches' time lines put the middle of the upload span they share at the
    same reference time, within ``AGREE_BY`` seconds (a keyframe places to about +-1.5 s);
    None where they share no part of the upload, or a line is not known."""
    if a.query_span is None or b.query_span is None:
        return None
    lo = max(a.query_span.start, b.query_span.start)
    hi = min(a.query_span.end, b.query_span.end)
    if hi <= lo:
        return None
    ra, rb = _ref_time(a, (lo + hi) / 2), _ref_time(b, (lo + hi) / 2)
    if ra is None or rb is None:
        return None
    return abs(ra - rb) <= AGREE_BY


def _joined(m: SignalMatch, other: SignalMatch) -> SignalMatch:
    """``m`` with its upload span widened to cover ``other``'s, placed by ``m``'s line."""
    qa, qb = m.query_span, other.query_span
    if qa is None or qb is None:
        return m
    qs, qe = min(qa.start, qb.start), max(qa.end, qb.end)
    if (qs, qe) == (qa.start, qa.end):
        return m
    rs, re_ = _ref_time(m, qs), _ref_time(m, qe)
    if rs is None or re_ is None:
        return m
    ev = {**m.evidence, "span_joined_with": other.evidence.get("query_track")}
    return replace(
        m,
        query_span=Span(round(qs, 2), round(qe, 2), "s"),
        reference_span=Span(round(max(0.0, rs), 2), round(re_, 2), "s"),
        evidence=ev,
    )


def _evidence(m: SignalMatch) -> float:
    e = m.evidence.get("evidence")
    return float(e) if isinstance(e, int | float) else 0.0


def _ref_time(m: SignalMatch, t: float) -> float | None:
    """Where ``m``'s time line puts upload second ``t`` in the reference."""
    speed, offset = m.evidence.get("speed"), m.evidence.get("offset_s")
    if not isinstance(speed, int | float) or not isinstance(offset, int | float):
        return None
    return float(speed) * t + float(offset)


def _length(m: SignalMatch) -> float:
    return 0.0 if m.query_span is None else m.query_span.end - m.query_span.start


def _step(times: F64) -> float:
    """The usual time between consecutive pictures."""
    return float(np.median(np.diff(times))) if len(times) > 1 else STEP
