"""Images, the second opinion: local features (ORB keypoints) confirmed by geometry.

PDQ blocks (``image.py``) recognise a whole picture, or a rectangle of picture found by its
edges. They lose it as soon as a crop moves the frame by more than a few per cent, a
caption band or logo covers a fifth of it, or it is one tile of a collage whose edges do
not stand out. Keypoints survive all three: each is a small patch of the picture (a
corner, a blob) described by 256 binary intensity comparisons (ORB, OpenCV), so the part of
the picture that is left still carries most of its keypoints, wherever it now sits.

* **Extraction** (``detect``): FAST corners on a 6-level pyramid (scale 1.3 per level, so
  a picture shown at a quarter of its size still lines up) of the grey working copy. The
  strongest corners are taken per cell of a 4 x 4 grid rather than over the whole picture:
  a caption or logo has far stronger corners than a photograph and would otherwise take the
  whole budget (measured: recall on captioned pictures 0.78 without the grid, 0.96 with).
  References keep ``REF_POINTS``, uploads ``QUERY_POINTS`` (an upload may be a collage, so
  the reference's part of it gets only its share).
* **Fingerprint**: kind ``keypoints``; ``value`` = n x (x, y as float16 pixels of the
  working copy) followed by n x 32-byte descriptors. An upload has a second one, meta
  ``variant`` ``flip_h``: the same corners in its mirror image (``detect_with_mirror``),
  because ORB descriptors are not mirror-invariant and a mirrored crop or caption would
  otherwise go unseen (PDQ's flip variants need the whole frame). Both are searched; a
  match found mirrored is reported in the upload's own coordinates (``unmirrored``).
* **Search** (``KeypointIndex``), in two steps. *Candidates*: the upload's
  ``PROBE_POINTS`` strongest descriptors (spread over the grid) each look up their 2
  nearest reference descriptors in the whole collection (faiss binary inverted file,
  Hamming distance <= ``MAX_DESCRIPTOR_DISTANCE``); the references with most such votes
  (at most ``CANDIDATES``) go on. *Verification*: each candidate's keypoints are paired
  with all the upload's by exact search within that one reference (``candidate_pairs``),
  a similarity transform (scale, rotation, shift) is fitted with RANSAC
  (``cv2.estimateAffinePartial2D``), and the score comes from the number of distinct
  keypoint pairs it explains, counting also the pairs found where the transform puts each
  reference keypoint (guided matching, ``guided_pairs``: at most ``GUIDED_GAIN`` times the
  fitted pairs' count). A transform that shrinks the reference below a tenth, or whose
  inliers bunch into a small spot (repeated texture, star fields), explains nothing and
  scores 0. Why two steps: the collection-wide lookup is memory-bound (at 100,000
  references it reads some 400 MB of lists for 1,000 descriptors, 83 ms on one core), and
  a third of the descriptors find the right candidates as well as all of them do
  (``docs/benchmarks.md``); pairing within a candidate costs 300 x 1,000 comparisons.

Score calibration (``score_from_inliers``): fitted on the image benchmark's 35,139 queries
(``docs/benchmarks.md``, corpus v5, in-sample) after the search began pairing each
candidate exactly, which raised every count, wrong references' too. 0.80 sits at 59
inliers: the lowest count at which no more than 6 keypoint false matches remain, all
between previews of two desktop themes' login screens (the same login dialog, clock and
logo at the same place on different wallpapers: a shared part that no geometric test
here tells from a crop); 0.65 at 36. At the previous anchor, 49, the same run had 31
such matches. Most true crops and captions have 59 to several hundred inliers (one true
crop of the run had 49-58, and is now missed). An upload that
shows less than ``MIN_SHOWN`` of a reference's area (measured inside the upload's bars
and mats, ``image.bars_trimmed``) is a partial match, scored at most ``PARTIAL_CAP``: a
review, not a match by itself. The issue asks the screen to see through 20 % cut off
every side (0.36 of the area left); five of the six login-screen false matches were a
crop around the dialog showing 0.24-0.33 of the other theme's preview. Each match also
reports ``shown``, ``in_view`` (reference keypoints the transform puts inside the upload)
and ``ref_cover`` (how much of their hull the matched ones span), for the reviewer.
"""

from __future__ import annotations

import array
import dataclasses
import functools
import json
import os
import threading
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import cv2
import faiss
import numpy as np
import numpy.typing as npt
from scipy.spatial import cKDTree

from safeharbor.arrays import F32, U8
from safeharbor.signals.base import Fingerprint, SignalMatch

KIND = "keypoints"
#: meta ``variant`` of an upload's second keypoint fingerprint: that of its mirror image
MIRRORED = "flip_h"
DESCRIPTOR_BYTES = 32
REF_POINTS = 300
QUERY_POINTS = 1000
GRID = 4
#: a cell short of corners is looked at again with the picture blurred by this many
#: pixels and its grey levels between these percentiles stretched to 0..255 (``detect``)
STRETCH_BLUR = 1.0
STRETCH_RANGE = (1.0, 99.0)
#: Hamming distance (of 256 bits) under which two descriptors are taken as the same patch
MAX_DESCRIPTOR_DISTANCE = 56
#: nearest reference descriptors looked up per upload descriptor
NEIGHBOURS = 2
#: upload descriptors (the strongest, spread over the grid) that look up candidate
#: references in the whole collection; each candidate is then paired with all of them
PROBE_POINTS = 300
#: references verified per upload, most votes first
CANDIDATES = 10
#: fewer candidate pairs than this cannot be verified (RANSAC needs a few to agree)
MIN_PAIRS = 6
#: RANSAC reprojection tolerance, as a share of the upload's long side (3 px at 512)
REPROJECTION = 3.0 / 512
#: a transform outside these scales (reference -> upload) is not a copy
MIN_SCALE, MAX_SCALE = 0.1, 8.0
#: inliers must spread over at least this share of the upload's long side (geometric
#: mean of the two axes' standard deviations: a tall, narrow figure spreads along one
#: axis only, a bunched spot along neither)
MIN_SPREAD = 0.04
#: guided matching (``guided_pairs``): tried once the candidate pairs give this many
#: inliers, a pair's descriptors may differ by this many bits, and the count may grow
#: to at most this many times the candidate pairs' own
GUIDED_FROM = 10
GUIDED_DISTANCE = 64
GUIDED_GAIN = 2
#: an upload that shows less than this share of a reference's area is a partial match,
#: scored at most PARTIAL_CAP (under the 0.80 of a match, at or over the 0.65 of review).
#: Cropping 20 % off every side, the most the issue asks to see through, leaves 0.36.
MIN_SHOWN = 1 / 3
PARTIAL_CAP = 0.79
#: score anchors in distinct inliers
K50, K65, K80, K99 = 20, 36, 59, 100

# One detector per process: cheap to keep, and OpenCV objects are not meant to be shared
# between threads (each thread gets its own through ``_detector``).
_DETECTORS: dict[int, Any] = {}


def _detector() -> Any:
    key = threading.get_ident()
    det = _DETECTORS.get(key)
    if det is None:
        det = cv2.ORB.create(
            nfeatures=5000,
            scaleFactor=1.3,
            nlevels=6,
            edgeThreshold=15,
            patchSize=31,
            fastThreshold=5,
        )
        _DETECTORS[key] = det
    return det


@dataclass(frozen=True)
class Keypoints:
    """Keypoint positions (pixels of the working copy) and their ORB descriptors."""

    points: F32  # (n, 2) x, y
    descriptors: U8  # (n, 32)
    width: int
    height: int
    #: the picture inside its uniform borders, letterbox bars or mat (x0, y0, x1, y1
    #: pixels, where known): what of a reference an upload shows is measured between
    #: the two sides' content, not their bars
    content: tuple[int, int, int, int] | None = None

    def __len__(self) -> int:
        return len(self.points)

    @functools.cached_property
    def tree(self) -> cKDTree:
        """The points in a k-d tree (built on first use, once per upload)."""
        return cKDTree(self.points)

    def pack(self) -> bytes:
        return self.points.astype(np.float16).tobytes() + self.descriptors.tobytes()

    @staticmethod
    def unpack(value: bytes, width: int, height: int) -> Keypoints:
        per = 4 + DESCRIPTOR_BYTES
        if len(value) % per:
            raise ValueError("keypoint fingerprints are n x 36 bytes")
        n = len(value) // per
        pts = np.frombuffer(value[: 4 * n], dtype=np.float16).reshape(n, 2).astype(np.float32)
        des = np.frombuffer(value[4 * n :], dtype=np.uint8).reshape(n, DESCRIPTOR_BYTES)
        return Keypoints(pts, des, width, height)


def detect(rgb: U8, n: int) -> Keypoints:
    """Up to ``n`` keypoints of ``rgb``, spread over a ``GRID`` x ``GRID`` grid.

    A cell with fewer corners than its quota (a soft gradient, a foggy landscape, a dim
    wallpaper: FAST finds little over steps of a few grey levels) is looked at again in
    a contrast-stretched copy (``_stretched``), and the corners found there fill it. The
    stretch is one monotonic map of the whole picture, so the descriptors (intensity
    comparisons, computed on the picture itself) are those of the same patches, and the
    extra corners of a crop are mostly those of its reference (measured on the image
    benchmark's crop_20: 8 -> 5 misses of 297, ``docs/benchmarks.md``)."""
    return _detect(cv2.cvtColor(np.ascontiguousarray(rgb), cv2.COLOR_RGB2GRAY), n)[0]


def detect_with_mirror(rgb: U8, n: int) -> tuple[Keypoints, Keypoints]:
    """``detect(rgb, n)``, and the same keypoints of the mirror image of ``rgb``.

    ORB descriptors are not mirror-invariant, but FAST corners and their scores are: the
    mirror's keypoints are the picture's at x -> width - 1 - x, oriented 180 degrees
    minus their angle, and only their descriptors are computed again, on the mirrored
    picture (identical to detecting there, checked in the tests, at a tenth of the cost:
    detection is nine tenths of ``detect``)."""
    grey = cv2.cvtColor(np.ascontiguousarray(rgb), cv2.COLOR_RGB2GRAY)
    plain, kps = _detect(grey, n)
    h, w = grey.shape
    if not kps:
        return plain, _empty(w, h)
    flipped = [
        cv2.KeyPoint(
            w - 1 - k.pt[0], k.pt[1], k.size, (180.0 - k.angle) % 360.0, k.response, k.octave
        )
        for k in kps
    ]
    fkps, fdes = _detector().compute(np.ascontiguousarray(grey[:, ::-1]), flipped)
    if fdes is None or not fkps:
        return plain, _empty(w, h)
    return plain, _ordered(fkps, fdes, w, h)[0]


def _detect(grey: npt.NDArray[Any], n: int) -> tuple[Keypoints, list[Any]]:
    """``detect`` on the grey picture, with the OpenCV keypoints in the returned order."""
    h, w = grey.shape
    det = _detector()
    found = list(det.detect(grey, None))
    quota = max(1, n // (GRID * GRID))
    counts = np.bincount(_cells(_xy(found), w, h), minlength=GRID * GRID)
    short = counts < quota
    if short.any():
        # only the short cells are searched (ORB drops masked-out corners before scoring
        # them); a picture with corners everywhere costs nothing more
        mask = np.zeros((h, w), np.uint8)
        for c in np.nonzero(short)[0].tolist():
            r, k = divmod(c, GRID)
            mask[r * h // GRID : (r + 1) * h // GRID, k * w // GRID : (k + 1) * w // GRID] = 255
        extra = det.detect(_stretched(grey), mask)
        if extra:
            found += [k for k, c in zip(extra, _cells(_xy(extra), w, h), strict=True) if short[c]]
    if not found:
        return _empty(w, h), []
    xy = _xy(found)
    resp = np.array([k.response for k in found], dtype=np.float32)
    rank = _rank_in_cell(xy, resp, w, h)
    chosen = rank < quota
    # cells with fewer corners than their quota leave room for the strongest of the rest
    spare = n - int(chosen.sum())
    if spare > 0:
        rest = np.nonzero(~chosen)[0]
        chosen[rest[np.argsort(-resp[rest], kind="stable")[:spare]]] = True
    kps, des = det.compute(grey, [found[i] for i in np.nonzero(chosen)[0]])
    if des is None or not kps:
        return _empty(w, h), []
    return _ordered(kps, des, w, h)


def _ordered(kps: Sequence[Any], des: U8, w: int, h: int) -> tuple[Keypoints, list[Any]]:
    """Strongest first within each cell, cells interleaved, so that any prefix of the list
    is spread over the grid and the search can probe with the first few
    (``PROBE_POINTS``); ordered after ``compute``, which groups points by pyramid level."""
    pts = _xy(kps)
    resp = np.array([k.response for k in kps], dtype=np.float32)
    order = np.lexsort((-resp, _rank_in_cell(pts, resp, w, h)))
    kept = Keypoints(
        np.ascontiguousarray(pts[order]), np.ascontiguousarray(des[order], dtype=np.uint8), w, h
    )
    return kept, [kps[i] for i in order.tolist()]


def _stretched(grey: npt.NDArray[Any]) -> U8:
    """``grey`` blurred by ``STRETCH_BLUR`` px (so JPEG blocking does not become corners)
    and stretched so that its ``STRETCH_RANGE`` percentiles span 0..255."""
    g = cv2.GaussianBlur(grey, (0, 0), STRETCH_BLUR).astype(np.float32)
    lo, hi = np.percentile(g, STRETCH_RANGE)
    g = (g - lo) * (255.0 / max(float(hi - lo), 1.0))
    return np.clip(g, 0, 255).astype(np.uint8)


def _xy(keypoints: Sequence[Any]) -> F32:
    if not keypoints:
        return np.zeros((0, 2), np.float32)
    # KeyPoint.convert: the positions in one C++ call (a Python loop costs ~1 ms per upload)
    pts = cv2.KeyPoint.convert(keypoints)
    return np.asarray(pts, dtype=np.float32).reshape(-1, 2)


def _cells(xy: F32, w: int, h: int) -> npt.NDArray[np.int64]:
    """Grid cell (row-major) of each point."""
    col = np.minimum(GRID - 1, (xy[:, 0] * GRID / w).astype(np.int64))
    row = np.minimum(GRID - 1, (xy[:, 1] * GRID / h).astype(np.int64))
    return row * GRID + col


def _rank_in_cell(xy: F32, resp: F32, w: int, h: int) -> npt.NDArray[np.int64]:
    """Rank of each point by ``resp`` (strongest 0) among the points of its grid cell."""
    cell = _cells(xy, w, h)
    order = np.lexsort((-resp, cell))
    rank = np.empty(len(order), dtype=np.int64)
    starts = np.r_[0, np.nonzero(np.diff(cell[order]))[0] + 1]
    counts = np.diff(np.r_[starts, len(order)])
    rank[order] = np.arange(len(order)) - np.repeat(starts, counts)
    return rank


def _empty(w: int, h: int) -> Keypoints:
    return Keypoints(np.zeros((0, 2), np.float32), np.zeros((0, DESCRIPTOR_BYTES), np.uint8), w, h)


def to_fingerprint(kp: Keypoints, signal: str, variant: str = "identity") -> Fingerprint:
    meta: dict[str, Any] = {"n": len(kp), "w": kp.width, "h": kp.height, "variant": variant}
    if kp.content is not None:
        meta["content"] = list(kp.content)
    return Fingerprint(signal, KIND, kp.pack(), quality=100, meta=meta)


def from_fingerprint(fp: Fingerprint) -> Keypoints | None:
    try:
        kp = Keypoints.unpack(fp.value, int(fp.meta["w"]), int(fp.meta["h"]))
        box = fp.meta.get("content")
        if box is None:
            return kp
        x0, y0, x1, y1 = (int(v) for v in box)
    except (KeyError, TypeError, ValueError):
        return None
    if not (0 <= x0 < x1 <= kp.width and 0 <= y0 < y1 <= kp.height):
        return kp
    return dataclasses.replace(kp, content=(x0, y0, x1, y1))


def score_from_inliers(n: int) -> float:
    """Calibrated score for a number of distinct inlier pairs (see the module docstring)."""
    pts = ((K50, 0.50), (K65, 0.65), (K80, 0.80), (K99, 0.99))
    if n < K50:
        return 0.0
    for (n0, s0), (n1, s1) in zip(pts, pts[1:], strict=False):
        if n <= n1:
            return round(s0 + (s1 - s0) * (n - n0) / (n1 - n0), 4)
    return 0.99


@dataclass(frozen=True)
class Verified:
    inliers: int
    scale: float
    #: the reference's picture as it appears in the upload: (x0, y0, x1, y1), shares of side
    query_box: list[float]
    #: keypoint pairs verification started from
    pairs: int
    #: hull of the matched reference keypoints, as a share of the hull of the reference
    #: keypoints in view (inside the upload's frame once transformed)
    ref_cover: float = 0.0
    #: reference keypoints that the transform puts inside the upload's frame
    in_view: int = 0
    #: the upload's probe descriptors that voted for this reference (set by the search)
    votes: int = 0
    #: the fitted reference -> upload map, 2 x 3 row-major, working-copy pixels
    transform: tuple[float, ...] = ()
    #: share of the reference's picture (inside its margins) that the transform puts
    #: inside the upload's picture (inside its bars); see ``Keypoints.content``
    shown: float = 1.0


def verify(
    query: Keypoints, ref: Keypoints, pairs: npt.NDArray[np.int64], guided: bool = True
) -> Verified | None:
    """Fit reference -> upload similarity to the candidate ``pairs`` (query row, ref row),
    then (``guided``) count every keypoint pair the fitted transform explains
    (``guided_pairs``)."""
    if len(pairs) < MIN_PAIRS:
        return None
    src = ref.points[pairs[:, 1]]
    dst = query.points[pairs[:, 0]]
    side = float(max(query.width, query.height))
    m, inl = cv2.estimateAffinePartial2D(
        src,
        dst,
        method=cv2.RANSAC,
        ransacReprojThreshold=REPROJECTION * side,
        maxIters=500,
        confidence=0.99,
    )
    if m is None or inl is None:
        return None
    keep = np.nonzero(inl.ravel())[0]
    if len(keep) == 0:
        return None
    scale = float(np.sqrt(abs(np.linalg.det(m[:, :2]))))
    q_in = dst[keep]
    # distinct points on both sides: one corner matched to three look-alikes is one pair
    n = min(len(np.unique(pairs[keep, 0])), len(np.unique(pairs[keep, 1])))
    spread = float(np.sqrt(q_in[:, 0].std() * q_in[:, 1].std())) / side
    ref_rows = np.unique(pairs[keep, 1])
    # where the transform puts each reference keypoint: for guided matching and for what
    # of the reference is in view
    proj = ref.points @ m[:, :2].T.astype(np.float32) + m[:, 2].astype(np.float32)
    if not (MIN_SCALE < scale < MAX_SCALE) or spread < MIN_SPREAD:
        n = 0
    elif guided and n >= GUIDED_FROM:
        # at most GUIDED_GAIN times what the proposed pairs support: a chance alignment
        # of a wrong reference (a shared login dialog, a drawing style) must not grow into
        # a match, a copy whose pairs were lost to look-alikes only needs to double
        found = guided_pairs(query, ref, proj, REPROJECTION * side)
        if len(found) > n:
            # the closest pairs first, as many as the count keeps
            ref_rows = found[: GUIDED_GAIN * n]
        n = max(n, min(GUIDED_GAIN * n, len(found)))
    # the reference keypoints inside the upload's frame: what a copy would show of it (all
    # of it for a collage tile, the middle for a crop)
    inside = (
        (proj[:, 0] >= 0)
        & (proj[:, 0] < query.width)
        & (proj[:, 1] >= 0)
        & (proj[:, 1] < query.height)
    )
    in_view = int(np.count_nonzero(inside))
    # for the reviewer: how much of what is in view the matched keypoints span (a shared
    # part, such as one login dialog on two wallpapers, spans little of it)
    cover = 0.0
    view_area = _hull_area(ref.points[inside]) if n else 0.0
    if view_area > 0:
        cover = round(min(1.0, _hull_area(ref.points[ref_rows]) / view_area), 4)
    # where the whole reference lands in the upload, for the reviewer's overlay
    corners = np.array([[0, 0], [ref.width, 0], [0, ref.height], [ref.width, ref.height]], float)
    land = corners @ m[:, :2].T + m[:, 2]
    # how much of the reference's picture (inside its own bars, mats or a blank sky that
    # ends at a horizon) lies inside the upload's
    rx0, ry0, rx1, ry1 = ref.content or (0, 0, ref.width, ref.height)
    ref_quad = np.array([[rx0, ry0], [rx1, ry0], [rx0, ry1], [rx1, ry1]], float)
    shown = _share_inside(
        ref_quad @ m[:, :2].T + m[:, 2], query.content or (0, 0, query.width, query.height)
    )
    box = [
        round(float(np.clip(land[:, 0].min() / query.width, 0, 1)), 4),
        round(float(np.clip(land[:, 1].min() / query.height, 0, 1)), 4),
        round(float(np.clip(land[:, 0].max() / query.width, 0, 1)), 4),
        round(float(np.clip(land[:, 1].max() / query.height, 0, 1)), 4),
    ]
    return Verified(
        inliers=n,
        scale=scale,
        query_box=box,
        pairs=len(pairs),
        ref_cover=cover,
        in_view=in_view,
        transform=tuple(round(float(x), 5) for x in m.ravel()),
        shown=shown,
    )


def _share_inside(corners: npt.NDArray[Any], box: tuple[int, int, int, int]) -> float:
    """Share of the quadrilateral ``corners`` (TL, TR, BL, BR) inside ``box``."""
    quad = np.ascontiguousarray(corners[[0, 1, 3, 2]], dtype=np.float32)
    area = float(cv2.contourArea(quad))
    if area <= 0:
        return 0.0
    x0, y0, x1, y1 = box
    frame = np.array([[x0, y0], [x1, y0], [x1, y1], [x0, y1]], dtype=np.float32)
    inter, _ = cv2.intersectConvexConvex(quad, frame)
    return round(min(1.0, float(inter) / area), 4)


def _hull_area(points: F32) -> float:
    """Area (pixels) of the convex hull of ``points``."""
    if len(points) < 3:
        return 0.0
    hull = cv2.convexHull(np.ascontiguousarray(points, dtype=np.float32))
    return float(cv2.contourArea(hull))


def candidate_pairs(upload: Any, ref: Keypoints) -> npt.NDArray[np.int64]:
    """(upload row, reference row) for each reference keypoint's ``NEIGHBOURS`` nearest
    upload descriptors within ``MAX_DESCRIPTOR_DISTANCE`` (``upload``: a faiss binary
    index over the upload's descriptors, built once per search).

    Exact, and within the one reference: no look-alike patch of another picture can
    stand in the way, as it can in the collection-wide lookup that chose the candidate.
    """
    dist, qrow = upload.search(ref.descriptors, NEIGHBOURS)
    ok = (qrow >= 0) & (dist <= MAX_DESCRIPTOR_DISTANCE)
    return np.stack([qrow[ok], np.nonzero(ok)[0]], axis=1).astype(np.int64)


def guided_pairs(
    query: Keypoints, ref: Keypoints, proj: F32, tolerance: float
) -> npt.NDArray[np.int64]:
    """Reference rows of the keypoint pairs that the fitted reference -> upload transform
    explains (``proj``: where it puts each reference keypoint), one to one, closest
    descriptors first.

    The candidate pairs (``candidate_pairs``) are each reference keypoint's 2 nearest
    upload descriptors within ``MAX_DESCRIPTOR_DISTANCE``: a true pair is missed when its
    descriptors differ by more (blur, JPEG, a changed scale), or when look-alike patches
    of the upload itself (repeated texture, a collage's other tiles) are nearer. Once a
    transform is fitted, every reference keypoint can be checked where it should land
    instead: a keypoint of the upload within ``tolerance`` pixels whose descriptor is
    within ``GUIDED_DISTANCE`` bits of it is a pair. A wrong reference's chance transform lines
    up next to little this way (the position and the patch must both agree), while a
    true copy's count rises to most of its keypoints in view. Pictures that share a part
    (one login dialog on two backgrounds, two drawings in one style) gain too, which is
    why ``verify`` caps the gain at ``GUIDED_GAIN``. Measured when it was added, with the
    single-step lookup of then (``docs/benchmarks.md``): recall at 0.80 on crop_20 0.957
    -> 0.977, screenshot 0.967 -> 0.980; false matches at 0.80 8 -> 16 in 35,000, all
    but one between pictures that share a drawing, a silhouette or a login dialog.
    """
    near = query.tree.query_ball_point(proj, tolerance)
    rows = [(q, r) for r, qs in enumerate(near) for q in qs]
    if not rows:
        return np.zeros(0, dtype=np.int64)
    qr = np.asarray(rows, dtype=np.int64)
    bits = np.bitwise_count(query.descriptors[qr[:, 0]] ^ ref.descriptors[qr[:, 1]]).sum(axis=1)
    ok = bits <= GUIDED_DISTANCE
    qr, bits = qr[ok], bits[ok]
    # one to one, closest descriptors first
    used_q: set[int] = set()
    paired: list[int] = []  # reference rows, in the order they were paired
    used_r: set[int] = set()
    for k in np.argsort(bits, kind="stable").tolist():
        q, r = int(qr[k, 0]), int(qr[k, 1])
        if q not in used_q and r not in used_r:
            used_q.add(q)
            used_r.add(r)
            paired.append(r)
    return np.asarray(paired, dtype=np.int64)


class KeypointIndex:
    """Reference descriptors in one faiss binary index; positions kept per reference.

    Exact search (``IndexBinaryFlat``) only while the collection is small: it compares
    every upload descriptor with every stored one (measured: 1,000 descriptors against
    90,000, 470 ms on one core). Past ``HASH_FROM`` descriptors (about 70 references) the
    index becomes an inverted file (``IndexBinaryIVF``): a vocabulary of binary centroids
    is trained by k-means on the collection's own descriptors, every descriptor is filed
    under its nearest centroid, and an upload descriptor is compared only with the lists of
    its ``NPROBE`` nearest centroids. Lists stay balanced because the centroids follow the
    data (measured imbalance 1.3 to 1.5 on real ORB descriptors). Hashing fixed 16-bit
    slices (``IndexBinaryMultiHash``, used before) does not: real ORB bits are biased and
    correlated, so the slices' buckets were 9 to 44 times more crowded than uniform, and a
    search against 100,000 references took 1.7 s even with uniform random fillers.

    Measured by ``bench/keypoint_index_bench.py`` (300 real references, 239 edited
    uploads; every upload descriptor looking up pairs, before the two-step search): the
    share of uploads keeping 49 inliers (the 0.80 anchor then) with exact search / this inverted
    file at 4,096 lists (as fine as at 100,000 references), ``NPROBE`` 2 / multi-hash is
    crop 0.93 / 0.85 / 0.78, caption 0.92 / 0.93 / 0.93, collage tile 0.30 / 0.22 / 0.12,
    screenshot 0.67 / 0.57 / 0.37. The vocabulary grows with the collection (``_nlist``):
    a rebuild re-trains it once the live descriptors have grown ``RETRAIN_GROWTH``-fold,
    so lists keep about ``LIST_TARGET`` descriptors up to ``NLIST_MAX`` lists. Removal is
    a tombstone, compacted once a quarter of the rows are dead; rebuilds happen lazily at
    the next search, so loading a whole collection at start-up rebuilds once.
    """

    HASH_FROM = 20_000
    #: inverted lists probed per upload descriptor
    NPROBE = 2
    #: descriptors per list the vocabulary size aims at, and its bounds
    LIST_TARGET = 2_048
    NLIST_MIN, NLIST_MAX = 16, 8_192
    #: k-means: training points per centroid (a sample of the collection) and iterations
    TRAIN_PER_LIST = 24
    TRAIN_ITERATIONS = 8
    RETRAIN_GROWTH = 4
    #: share of tombstoned rows past which the index is rebuilt (and a kept copy refused)
    DEAD_SHARE = 0.25

    def __init__(self) -> None:
        self._index: Any = faiss.IndexBinaryFlat(8 * DESCRIPTOR_BYTES)
        # ref id per row, -1 once removed; an array.array grows in amortised O(1) and is
        # viewed as numpy (without copying) only inside a call
        self._owner = array.array("q")
        self._first_row: dict[int, int] = {}
        self._refs: dict[int, Keypoints] = {}
        self._dead = 0
        self._hashed = False
        self._trained_rows = 0  # live descriptors when the vocabulary was trained
        self._stale = False
        self._unsaved = False  # a vocabulary trained since the last save
        # add/remove/rebuild swap arrays that a search reads: one at a time
        self._lock = threading.RLock()

    def __len__(self) -> int:
        return len(self._refs)

    def ref_ids(self) -> set[int]:
        return set(self._refs)

    def add(self, ref_id: int, kp: Keypoints) -> None:
        with self._lock:
            self._add(ref_id, kp)

    def _add(self, ref_id: int, kp: Keypoints) -> None:
        if len(kp) == 0 or ref_id in self._refs:
            return
        self._refs[ref_id] = kp
        self._first_row[ref_id] = len(self._owner)
        self._index.add(kp.descriptors)
        self._owner.extend([ref_id] * len(kp))
        self._stale |= self._rebuild_due()

    def remove(self, ref_id: int) -> None:
        with self._lock:
            self._remove(ref_id)

    def keypoints(self, ref_id: int) -> Keypoints:
        """The indexed keypoints of ``ref_id``."""
        return self._refs[ref_id]

    def _remove(self, ref_id: int) -> None:
        kp = self._refs.pop(ref_id, None)
        if kp is None:
            return
        first = self._first_row.pop(ref_id)
        np.frombuffer(self._owner, dtype=np.int64)[first : first + len(kp)] = -1
        self._dead += len(kp)
        self._stale |= self._rebuild_due()

    def _rebuild_due(self) -> bool:
        """Whether the next search should rebuild: a quarter of the rows are tombstones,
        the exact index has outgrown ``HASH_FROM``, or the collection has grown enough that
        a larger vocabulary is due (lists would be too long)."""
        live = len(self._owner) - self._dead
        if self._dead > self.DEAD_SHARE * len(self._owner):
            return True
        if not self._hashed:
            return live >= self.HASH_FROM
        outgrown = live >= self.RETRAIN_GROWTH * self._trained_rows
        return outgrown and self._nlist(self._trained_rows) < self.NLIST_MAX

    def search(
        self, query: Keypoints, min_score: float, guided: bool = True, min_inliers: int = 0
    ) -> list[tuple[int, float, Verified]]:
        """References verified against ``query``, best first; ``guided``: see ``verify``.
        With ``min_inliers``, every verified reference with that many inliers is returned
        whatever its score (the video signal weighs single pictures below a match's count,
        ``video_keypoints``)."""
        with self._lock:
            return self._search(query, min_score, guided, min_inliers)

    def _search(
        self, query: Keypoints, min_score: float, guided: bool, min_inliers: int = 0
    ) -> list[tuple[int, float, Verified]]:
        if self._stale:
            self._rebuild()
        if len(query) == 0 or self._index.ntotal == 0:
            return []
        # 1. candidates: the references most of the strongest upload descriptors vote for
        dist, rows = self._index.search(query.descriptors[:PROBE_POINTS], NEIGHBOURS)
        rows = rows[(rows >= 0) & (dist <= MAX_DESCRIPTOR_DISTANCE)]
        owner = np.frombuffer(self._owner, dtype=np.int64)[rows]
        owner = owner[owner >= 0]
        if len(owner) == 0:
            return []
        refs, votes = np.unique(owner, return_counts=True)
        order = np.argsort(-votes, kind="stable")[:CANDIDATES]
        # 2. each candidate paired with every upload descriptor, then verified
        flat = faiss.IndexBinaryFlat(8 * DESCRIPTOR_BYTES)
        flat.add(query.descriptors)
        out: list[tuple[int, float, Verified]] = []
        for ref_id, n_votes in zip(refs[order].tolist(), votes[order].tolist(), strict=True):
            ref = self._refs[ref_id]
            v = verify(query, ref, candidate_pairs(flat, ref), guided)
            if v is None:
                continue
            v = dataclasses.replace(v, votes=n_votes)
            score = score_from_inliers(v.inliers)
            if v.shown < MIN_SHOWN:
                # a small part of a reference is not by itself a copy of it: a login
                # dialog, a logo or a frame is shared by many pictures; it goes to review
                score = min(score, PARTIAL_CAP)
            if (min_inliers and v.inliers >= min_inliers) or (score > 0 and score >= min_score):
                out.append((ref_id, score, v))
        out.sort(key=lambda x: -x[1])
        return out

    def _rebuild(self) -> None:
        d = 8 * DESCRIPTOR_BYTES
        refs = list(self._refs.items())
        codes = (
            np.concatenate([kp.descriptors for _, kp in refs])
            if refs
            else np.zeros((0, DESCRIPTOR_BYTES), np.uint8)
        )
        owner = array.array("q")
        for r, kp in refs:
            owner.extend([r] * len(kp))
        self._first_row = {}
        row = 0
        for r, kp in refs:
            self._first_row[r] = row
            row += len(kp)
        self._hashed = len(codes) >= self.HASH_FROM
        index: Any
        if self._hashed:
            index = self.trained_ivf(codes)
            self._trained_rows = len(codes)
            self._unsaved = True
        else:
            index = faiss.IndexBinaryFlat(d)
        if len(codes):
            index.add(codes)
        self._index = index
        self._owner = owner
        self._dead = 0
        self._stale = False

    # ------------------------------------------------------------------ on disk

    SAVE_VERSION = 1

    def save(self, folder: Path) -> bool:
        """Keep the trained inverted file in ``folder`` if one was built since the last save
        (and is current: a rebuild due at the next search is not done here).

        At 100,000 references, training the vocabulary and filing 30 million descriptors
        takes about nine minutes on one core; a restart that loads this copy skips both.
        Two files: ``keypoints.faiss`` (faiss' own format) and ``keypoints.json`` (which
        rows belong to which reference, with a CRC of its descriptors), each written to a
        temporary name and renamed, the JSON last, so a crash leaves the old pair or none.
        Returns whether anything was written.
        """
        with self._lock:
            if self._stale or not (self._hashed and self._unsaved):
                return False
            folder.mkdir(parents=True, exist_ok=True)
            owner = np.frombuffer(self._owner, dtype=np.int64)
            refs = [
                [r, first, len(self._refs[r]), zlib.crc32(self._refs[r].descriptors.tobytes())]
                for r, first in sorted(self._first_row.items(), key=lambda x: x[1])
                if owner[first] == r
            ]
            head = {
                "version": self.SAVE_VERSION,
                "rows": int(self._index.ntotal),
                "trained_rows": self._trained_rows,
                "refs": refs,
            }
            tmp = folder / "keypoints.faiss.tmp"
            faiss.write_index_binary(self._index, str(tmp))
            os.replace(tmp, folder / "keypoints.faiss")
            tmp = folder / "keypoints.json.tmp"
            tmp.write_text(json.dumps(head, separators=(",", ":")))
            os.replace(tmp, folder / "keypoints.json")
            self._unsaved = False
            return True

    def load(self, folder: Path) -> bool:
        """Adopt the inverted file saved in ``folder`` instead of rebuilding it.

        Call after ``add``-ing the references (their positions are needed to verify
        matches anyway). A saved reference is kept only if it is still here with the same
        descriptors (CRC); the others' rows become tombstones, and references added since
        are filed into the loaded lists. Returns False, leaving the index as it was, when
        there is nothing usable to load (missing, another version, unreadable).
        """
        with self._lock:
            try:
                head = json.loads((folder / "keypoints.json").read_text())
                if head.get("version") != self.SAVE_VERSION:
                    return False
                index = faiss.read_index_binary(str(folder / "keypoints.faiss"))
            except (OSError, ValueError, RuntimeError):
                return False
            rows = int(head["rows"])
            if index.ntotal != rows or not isinstance(index, faiss.IndexBinaryIVF):
                return False
            index.nprobe = self.NPROBE
            owner = np.full(rows, -1, dtype=np.int64)
            first_row: dict[int, int] = {}
            for r, first, n, crc in head["refs"]:
                kp = self._refs.get(r)
                if kp is None or len(kp) != n or first + n > rows:
                    continue
                if zlib.crc32(kp.descriptors.tobytes()) != crc:
                    continue
                owner[first : first + n] = r
                first_row[r] = first
            if int((owner >= 0).sum()) < (1 - self.DEAD_SHARE) * rows:
                # mostly other references now: filing the fresh ones one by one and then
                # compacting would cost more than the rebuild it was meant to save
                return False
            fresh = [(r, kp) for r, kp in self._refs.items() if r not in first_row]
            owner_arr = array.array("q", owner.tobytes())
            for r, kp in fresh:
                first_row[r] = len(owner_arr)
                index.add(kp.descriptors)
                owner_arr.extend([r] * len(kp))
            self._index = index
            self._owner = owner_arr
            self._first_row = first_row
            self._hashed = True
            self._trained_rows = int(head["trained_rows"])
            self._dead = len(owner_arr) - sum(len(kp) for kp in self._refs.values())
            self._stale = self._rebuild_due()
            self._unsaved = bool(fresh) or self._dead > 0
            return True

    @classmethod
    def _nlist(cls, rows: int) -> int:
        """Vocabulary size for ``rows`` descriptors: a power of two near rows / LIST_TARGET."""
        n = 1 << max(0, int(rows // cls.LIST_TARGET).bit_length() - 1)
        return int(min(cls.NLIST_MAX, max(cls.NLIST_MIN, n)))

    @classmethod
    def trained_ivf(cls, codes: U8, nlist: int | None = None) -> Any:
        """An empty inverted file whose vocabulary is trained on ``codes`` (``nlist``
        lists; by default as many as ``_nlist`` picks for that many descriptors)."""
        d = 8 * DESCRIPTOR_BYTES
        nlist = nlist or cls._nlist(len(codes))
        quantizer = faiss.IndexBinaryFlat(d)
        # (faiss' Python constructor keeps a reference to the quantizer on the index)
        index = faiss.IndexBinaryIVF(quantizer, d, nlist)
        index.cp.niter = cls.TRAIN_ITERATIONS
        index.cp.min_points_per_centroid = 1  # a sample is small on purpose: no warning
        index.cp.max_points_per_centroid = cls.TRAIN_PER_LIST
        index.cp.seed = 0
        # a fixed sample: the same collection gives the same vocabulary (reproducible)
        take = min(len(codes), nlist * cls.TRAIN_PER_LIST)
        sample = codes[np.random.default_rng(0).choice(len(codes), take, replace=False)]
        index.train(sample)
        index.nprobe = cls.NPROBE
        return index


def match_evidence(v: Verified) -> dict[str, Any]:
    return {
        "query_kind": KIND,
        "inliers": v.inliers,
        "votes": v.votes,
        "pairs": v.pairs,
        "scale": round(v.scale, 3),
        "query_box": v.query_box,
        "ref_cover": v.ref_cover,
        "in_view": v.in_view,
        "transform": list(v.transform),
        "shown": v.shown,
    }


def keypoint_matches(
    index: KeypointIndex, query: Sequence[Fingerprint], min_score: float, signal: str
) -> list[SignalMatch]:
    """Search ``index`` with the upload's keypoint fingerprints (as it is and mirrored), as
    ``SignalMatch`` objects whose evidence refers to the upload as it is."""
    out: list[SignalMatch] = []
    for fp in query:
        if fp.signal != signal or fp.kind != KIND:
            continue
        kp = from_fingerprint(fp)
        if kp is None:
            continue
        mirrored = fp.meta.get("variant") == MIRRORED
        for ref_id, score, v in index.search(kp, min_score):
            if mirrored:
                v = unmirrored(v, kp.width)
            ev = match_evidence(v)
            ev["query_variant"] = MIRRORED if mirrored else "identity"
            out.append(
                SignalMatch(
                    ref_id=ref_id,
                    score=score,
                    signal=signal,
                    distance=float(v.inliers),
                    evidence=ev,
                )
            )
    return out


def unmirrored(v: Verified, width: int) -> Verified:
    """``v``, found in the mirror image of an upload ``width`` pixels wide, as it is in the
    upload itself: the transform followed by x -> width - 1 - x, and the box mirrored."""
    t = list(v.transform)
    if len(t) == 6:
        t[0], t[1], t[2] = -t[0], -t[1], round(width - 1 - t[2], 5)
    x0, y0, x1, y1 = v.query_box
    return dataclasses.replace(
        v, transform=tuple(t), query_box=[round(1 - x1, 4), y0, round(1 - x0, 4), y1]
    )
