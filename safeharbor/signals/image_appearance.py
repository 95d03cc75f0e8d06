"""Images, the last check: does the upload look like the reference where it is said to?

PDQ blocks and keypoints (``image.py``, ``image_keypoints.py``) each say *where* a
reference sits in an upload: a window and a flip/rotation for a block, a similarity
transform for keypoints. Neither looks at the rest of the picture inside that place. Two
pictures that share a part (one login dialog on two wallpapers, one logo on two posters)
give many consistent keypoints, and two pictures of the same layout (a bright disc on
black) give close PDQ hashes, though anyone who looked at both would tell them apart.

This module looks. Each reference keeps a small grey thumbnail (``REF_SIDE`` pixels on
its long side, 1-2.3 KB), each upload a larger one (``QUERY_SIDE``). To compare, the
upload's thumbnail is brought into the reference's frame by the match's own geometry
(``compare_affine`` for keypoints, ``compare_windows`` for blocks), the grey levels are
fitted once for the whole view, on its best-fitting 60 % of pixels (so brightness,
contrast, a colour cast or grayscale change nothing, and a caption does not skew it),
and the view is cut into cells of ``CELL`` x ``CELL`` thumbnail pixels.
A cell agrees when what is left after the fit is small against the picture's own
contrast (``TOLERANCE``). A copy agrees almost everywhere (a caption or logo covers a few
cells); a picture that shares only a dialog agrees only over the dialog.

What the share of agreeing cells does to a score is decided by the caller (``image.py``);
it is reported with each match (``Appearance``) so a reviewer sees it too.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import cv2
import numpy as np
import numpy.typing as npt

from safeharbor.arrays import F32, U8
from safeharbor.signals.base import Fingerprint

KIND = "thumb"
#: long side of a reference's thumbnail, and of an upload's (an upload may hold the
#: reference as one tile of a collage, so it needs more pixels to show it at all)
REF_SIDE = 48
QUERY_SIDE = 160
#: cell side, in reference thumbnail pixels
CELL = 6
#: a cell is compared when at least this share of it is in view
CELL_IN_VIEW = 0.75
#: a cell agrees when the RMS residual after the global grey-level fit is at most this
#: share of the reference's grey-level spread over the view
TOLERANCE = 0.7
#: blur (thumbnail pixels) applied to both sides before comparing
BLUR = 1.0
#: least-trimmed-squares grey-level fit: rounds, and the share of pixels kept each round
FIT_ROUNDS = 3
FIT_SHARE = 0.6
#: fewer cells than this in view say nothing (a sliver of the reference)
MIN_CELLS = 4
#: spread (grey levels) under which the view is flat: nothing to compare
MIN_SPREAD = 4.0


@dataclass(frozen=True)
class Thumb:
    """A grey thumbnail, and the size of the working copy it was made from."""

    pixels: U8  # (th, tw)
    width: int
    height: int


@dataclass(frozen=True)
class Appearance:
    #: share of the compared cells that agree
    agree: float
    #: cells compared (in view)
    cells: int
    #: zero-mean normalised correlation of the grey levels over the whole view
    ncc: float

    def evidence(self) -> dict[str, Any]:
        return {"agree": round(self.agree, 4), "cells": self.cells, "ncc": round(self.ncc, 4)}


def make_thumb(rgb: U8, side: int) -> Thumb:
    """Grey thumbnail of ``rgb`` (an RGB working copy) with ``side`` pixels on its long side."""
    h, w = rgb.shape[:2]
    grey = cv2.cvtColor(np.ascontiguousarray(rgb), cv2.COLOR_RGB2GRAY)
    k = side / max(w, h)
    tw, th = max(1, round(w * k)), max(1, round(h * k))
    small = cv2.resize(grey, (tw, th), interpolation=cv2.INTER_AREA)
    return Thumb(np.ascontiguousarray(small, dtype=np.uint8), w, h)


def to_fingerprint(t: Thumb, signal: str) -> Fingerprint:
    th, tw = t.pixels.shape
    meta = {"w": t.width, "h": t.height, "tw": tw, "th": th}
    return Fingerprint(signal, KIND, t.pixels.tobytes(), quality=100, meta=meta)


def from_fingerprint(fp: Fingerprint) -> Thumb | None:
    try:
        tw, th = int(fp.meta["tw"]), int(fp.meta["th"])
        w, h = int(fp.meta["w"]), int(fp.meta["h"])
    except (KeyError, TypeError, ValueError):
        return None
    if tw <= 0 or th <= 0 or len(fp.value) != tw * th or w <= 0 or h <= 0:
        return None
    return Thumb(np.frombuffer(fp.value, dtype=np.uint8).reshape(th, tw), w, h)


def compare_affine(ref: Thumb, query: Thumb, m: npt.NDArray[Any]) -> Appearance | None:
    """Compare where ``m`` (2 x 3, reference working-copy pixels -> upload working-copy
    pixels, as the keypoint transform gives it) puts the reference."""
    rh, rw = ref.pixels.shape
    qh, qw = query.pixels.shape
    # thumbnail pixels -> working copy -> upload working copy -> upload thumbnail (to
    # within half a working-copy pixel, a small share of a thumbnail pixel)
    to_work = np.array(
        [[ref.width / rw, 0, 0.5 * ref.width / rw], [0, ref.height / rh, 0.5 * ref.height / rh]]
    )
    to_thumb = np.array([[qw / query.width, 0, -0.5], [0, qh / query.height, -0.5]])
    full = _compose(to_thumb, _compose(np.asarray(m, dtype=np.float64), to_work))
    q = query.pixels.astype(np.float32)
    step = float(np.sqrt(abs(np.linalg.det(full[:, :2]))))
    if step > 1.5:
        # several upload pixels per reference pixel: average them, as the reference's
        # own thumbnail did, rather than pick one
        q = np.asarray(cv2.GaussianBlur(q, (0, 0), 0.5 * step), dtype=np.float32)
    flags = cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP
    warped = np.asarray(
        cv2.warpAffine(q, full, (rw, rh), flags=flags, borderValue=0.0), dtype=np.float32
    )
    inside = cv2.warpAffine(np.ones_like(q), full, (rw, rh), flags=flags, borderValue=0.0)
    return _compare(ref.pixels.astype(np.float32), warped, inside > 0.999)


def compare_windows(
    ref: Thumb,
    query: Thumb,
    ref_box: list[float],
    query_box: list[float],
    orient: Callable[[npt.NDArray[Any]], npt.NDArray[Any]],
) -> Appearance | None:
    """Compare the upload's window ``query_box``, turned by ``orient`` (the block's
    flip/rotation), with the reference's window ``ref_box`` (both as shares of side)."""
    rh, rw = ref.pixels.shape
    qh, qw = query.pixels.shape
    rx0, ry0, rx1, ry1 = _cells(ref_box, rw, rh)
    qx0, qy0, qx1, qy1 = _cells(query_box, qw, qh)
    if rx1 - rx0 < CELL or ry1 - ry0 < CELL or qx1 - qx0 < 2 or qy1 - qy0 < 2:
        return None
    win = np.ascontiguousarray(orient(query.pixels[qy0:qy1, qx0:qx1]), dtype=np.float32)
    win = np.asarray(
        cv2.resize(win, (rx1 - rx0, ry1 - ry0), interpolation=cv2.INTER_AREA), dtype=np.float32
    )
    r = ref.pixels[ry0:ry1, rx0:rx1].astype(np.float32)
    return _compare(r, win, np.ones(r.shape, dtype=bool))


def _cells(box: list[float], w: int, h: int) -> tuple[int, int, int, int]:
    x0, y0, x1, y1 = box
    return (
        int(np.clip(round(x0 * w), 0, w)),
        int(np.clip(round(y0 * h), 0, h)),
        int(np.clip(round(x1 * w), 0, w)),
        int(np.clip(round(y1 * h), 0, h)),
    )


def _compose(a: npt.NDArray[Any], b: npt.NDArray[Any]) -> npt.NDArray[np.float64]:
    """The 2 x 3 affine map ``a`` after ``b``."""
    a3 = np.vstack([a, [0, 0, 1]])
    b3 = np.vstack([b, [0, 0, 1]])
    return np.asarray((a3 @ b3)[:2], dtype=np.float64)


def _line(x: npt.NDArray[np.float64], y: npt.NDArray[np.float64]) -> tuple[float, float]:
    """Least-squares ``y = gain * x + offset`` (gain 0 where ``x`` is constant)."""
    mx, my = float(x.mean()), float(y.mean())
    vx = float(((x - mx) ** 2).mean())
    gain = float(((x - mx) * (y - my)).mean()) / vx if vx > 1e-9 else 0.0
    return gain, my - gain * mx


def _compare(r: F32, q: F32, valid: npt.NDArray[np.bool_]) -> Appearance | None:
    if int(valid.sum()) < MIN_CELLS * CELL * CELL:
        return None
    if BLUR:
        # a transform fitted to a few pixels' accuracy leaves fine texture misaligned by a
        # fraction of a thumbnail pixel: compare what survives a slight blur
        q = np.where(valid, q, r).astype(np.float32)
        r = np.asarray(cv2.GaussianBlur(r, (0, 0), BLUR), dtype=np.float32)
        q = np.asarray(cv2.GaussianBlur(q, (0, 0), BLUR), dtype=np.float32)
    rv, qv = r[valid].astype(np.float64), q[valid].astype(np.float64)
    spread = float(rv.std())
    if spread < MIN_SPREAD or float(qv.std()) < MIN_SPREAD:
        return None
    # one grey-level fit for the whole view: what a brightness, contrast, gamma-ish or
    # colour change does to a copy everywhere at once; fitted on the best-fitting part of
    # the view (least trimmed squares), since a caption band or an opaque logo would pull
    # a plain least-squares fit away from the rest of the picture
    keep = np.ones(len(rv), dtype=bool)
    for _ in range(FIT_ROUNDS):
        gain, offset = _line(rv[keep], qv[keep])
        err = np.abs(qv - (gain * rv + offset))
        k = int(FIT_SHARE * (len(err) - 1))
        keep = err <= np.partition(err, k)[k]
    ncc = float(np.corrcoef(rv, qv)[0, 1])
    resid = np.where(valid, q - (gain * r + offset), 0.0)
    # per cell of CELL x CELL pixels: pixels in view, and the mean squared residual there
    h, w = r.shape
    ch, cw = h // CELL, w // CELL
    n_in = valid[: ch * CELL, : cw * CELL].reshape(ch, CELL, cw, CELL).sum(axis=(1, 3))
    sq = (resid[: ch * CELL, : cw * CELL] ** 2).reshape(ch, CELL, cw, CELL).sum(axis=(1, 3))
    used = n_in >= CELL_IN_VIEW * CELL * CELL
    cells = int(used.sum())
    # residual measured against the reference's contrast as the copy shows it
    limit = TOLERANCE * spread * max(abs(gain), 0.05)
    agree = int((np.sqrt(sq[used] / n_in[used]) <= limit).sum())
    if cells < MIN_CELLS:
        return None
    return Appearance(agree / cells, cells, ncc if np.isfinite(ncc) else 0.0)
