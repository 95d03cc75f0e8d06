"""Images: PDQ hashes of the picture and of the pictures found inside it, with verification.

Design (the figures behind each choice are in ``docs/benchmarks.md``, section "Images"):

* **Decoding** (``load_image``). The header is read first and pictures over
  ``max_pixels`` are refused before any pixel is decoded (decompression bombs); JPEGs are
  decoded at reduced scale with ``Image.draft``; the first frame of an animation is used;
  EXIF orientation is applied; palette/CMYK/16-bit/alpha pictures are converted (alpha is
  composited on white). Everything is then reduced to at most ``WORK_SIDE`` pixels a side:
  PDQ works on 64x64 internally, so more pixels only cost time.
* **Border trimming**. Uniform borders, letterbox bars and mats are cut off (repeatedly,
  so a border around a letterboxed picture goes too) before hashing, on both sides.
* **Block hash** (``Block``). A window of the picture is resampled to 128x128 and hashed
  with PDQ, and so is each of its four 64x64 quadrants: 5 x 256 bits, stored as the
  fingerprint's 160-byte ``value`` (main hash first). Only the main hash goes into the
  faiss index; the quadrant hashes are the verification step: two unrelated pictures with
  similar overall layout (dark sky with a bright blob, say) often agree on the coarse
  main hash, much more rarely on all four quadrants too. A flat quadrant (PDQ quality
  < 50) carries no evidence of its own and is imputed as ``3 x main + 16`` bits, so a
  mostly flat picture needs a near-exact main hash.
* **Reference side**: one ``global`` block for the trimmed picture, and one for the
  untrimmed picture when trimming removed anything (trimming can stop at different rows
  on the two sides when a flat part of the picture touches its edge).
* **Query side**: the ``global`` block of the trimmed upload (and of the untrimmed one,
  as above) in the 8 flip/rotation variants (undoing mirror and 90/180/270-degree
  rotations), plus one ``region`` block for each rectangle of picture found inside the
  upload (``find_rectangles``: long straight edges that close into a box, as when a
  picture is pasted into a screenshot or a collage), each trimmed again.
* **Search**: faiss binary flat index (exact; see ``safeharbor.index.hamming``) over the
  reference main hashes, radius ``CANDIDATE_RADIUS``; every candidate pair is verified by
  the distance over all five hashes, ``combined = main + the three best quadrants``
  (0..1024 bits; the worst quadrant is left out so that a logo or caption over one corner
  does not sink a true match).

* **Looking at the match** (``image_appearance``): each side also keeps a grey
  thumbnail; every match that would score over ``APPEARANCE_CAP`` is checked by bringing
  the upload's thumbnail into the reference's frame with the match's own geometry and
  counting the cells that agree after one grey-level fit. Under ``APPEARANCE_AGREE`` of
  them agreeing, the upload does not look like the reference where it is said to (a
  shared dialog, a similar layout) and the score is capped at ``APPEARANCE_CAP``; a
  likely match (from ``CONFIRM_FROM``) whose view correlates at ``CONFIRM_NCC`` or more
  is raised to ``CONFIRMED`` (``confirmed``). A keypoint match whose inliers span little
  of the reference in view and whose appearance agrees only in part is a shared part
  (``shared_part``: a login dialog on two themes' wallpapers) and is held for review. The
  result is in the match's evidence for
  the reviewer wherever a check was made (both thumbnails present, a score over
  ``APPEARANCE_CAP``, and enough of the reference in view to compare). References
  registered before thumbnails existed are not checked until they are fingerprinted
  again.

Score calibration (``score_from_distance``): piecewise linear in ``combined``, through
``(0, 1.0)``, ``(D80, 0.80)``, ``(D65, 0.65)``, ``(D50, 0.50)`` and ``(DZERO, 0.0)``. The
anchors were fitted on the benchmark's unrelated pictures (``bench/image_bench.py``, 36,000
unrelated queries against 301 references): at 0.80 (160 bits) 2 false matches in 36,000
(5.6e-5, target 1e-4), at 0.65 (260 bits) 25 (7e-4, target 1e-3). They were fitted on the
same data they are reported on, and the false matches that set them come from a handful
of structurally similar pictures (discs on black); with a much larger index the rate per
upload grows with the number of references, so re-fit on a larger corpus before relying
on the 1e-4 figure. Identical pixels give ``combined = 0`` and so 1.0.
"""

from __future__ import annotations

import io
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pdqhash
from PIL import Image, ImageOps, UnidentifiedImageError

from safeharbor.arrays import U8
from safeharbor.index.hamming import HammingIndex
from safeharbor.signals import image_appearance as look
from safeharbor.signals import image_keypoints as kp
from safeharbor.signals.base import (
    Fingerprint,
    Media,
    Role,
    SignalError,
    SignalIndex,
    SignalMatch,
    SignalType,
    best_per_ref,
)

#: default refusal limit, checked from the header before decoding
DEFAULT_MAX_PIXELS = 60_000_000
#: long side of the working copy every picture is reduced to
WORK_SIDE = 512
#: windows are resampled to this square before hashing; quadrants are half of it
BLOCK_SIDE = 128
#: PDQ quality below which a window is too flat to recognise (PDQ's own advice)
MIN_QUALITY = 50
#: bits of a 256-bit main hash within which an indexed reference becomes a candidate
CANDIDATE_RADIUS = 96
#: score anchors in combined distance (main + three best quadrants, 0..1024 bits)
D80 = 160.0
D65 = 260.0
D50 = 300.0
DZERO = 450.0

BLOCK_BYTES = 5 * 32
#: fingerprint kinds that hold a block (a thumbnail can be 160 bytes long too)
BLOCK_KINDS = ("global", "region")
#: stands for the hash of a flat quadrant (see combined_distance)
FLAT = bytes(32)
FLAT_MARGIN = 16
#: a bar or mat (``bars_trimmed``): the least mean step where it meets the picture,
#: measured this many pixels in
BAR_EDGE = 12.0
BAR_EDGE_DEPTH = 3
#: long side of the grey copy searched for pasted-in rectangles
RECT_SIDE = 256
#: grey-level step between neighbouring pixels that counts as an edge
EDGE_STEP = 12.0
#: a step is part of a straight line across it only if this many times the step along it
DIRECTION_RATIO = 1.5
#: share of a box side that must lie on strong steps
SIDE_SUPPORT = 0.4
#: widest gap (working-copy pixels) between a collage tile and its neighbour that
#: refine_box looks across
GAP_MAX = 8
#: main-hash distance anchors: a near-exact main hash is a match by itself (see score)
M80 = 24.0
M65 = 32.0
M50 = 40.0
MZERO = 64.0

#: a match whose upload agrees with the reference over less than this share of the view
#: (``image_appearance``) scores at most APPEARANCE_CAP
APPEARANCE_AGREE = 0.3
APPEARANCE_CAP = 0.6
#: a keypoint match whose matched keypoints span less than SHARED_COVER of the reference
#: in view (``image_keypoints.Verified.ref_cover``) while its appearance agrees over less
#: than SHARED_AGREE is a shared part (one login dialog on two wallpapers, mirrored
#: layouts), not a copy: scored at most ``image_keypoints.PARTIAL_CAP``, a review. On the
#: benchmark's 3,996 true keypoint matches at 0.65 or more none has both (those under
#: 0.3 cover agree at 0.77 or more); eight of its nine keypoint false matches at 0.80 do
SHARED_COVER = 0.3
SHARED_AGREE = 0.7
#: a match from CONFIRM_FROM up whose upload, brought into the reference's frame by the
#: match's geometry, correlates with the reference's thumbnail at CONFIRM_NCC or more,
#: with CONFIRM_AGREE of at least CONFIRM_CELLS cells agreeing, scores CONFIRMED (see
#: ``confirmed``)
CONFIRM_FROM = 0.65
CONFIRM_NCC = 0.98
CONFIRM_AGREE = 0.9
CONFIRM_CELLS = 16
CONFIRMED = 0.80

#: query variants, in pdqhash.compute_dihedral order; the name says what was done to the
#: upload before hashing (so "rot90" matches an upload that had been turned by 270)
VARIANTS = ("identity", "rot90", "rot180", "rot270", "flip_v", "flip_h", "transpose", "transverse")


def _apply_variant(a: npt.NDArray[Any], v: int) -> npt.NDArray[Any]:
    """The numpy equivalent of pdqhash's dihedral variant ``v`` (checked in the tests)."""
    if v == 0:
        return a
    if v == 1:
        return np.rot90(a, 1)
    if v == 2:
        return np.rot90(a, 2)
    if v == 3:
        return np.rot90(a, 3)
    if v == 4:
        return a[::-1]
    if v == 5:
        return a[:, ::-1]
    if v == 6:
        return np.swapaxes(a, 0, 1)
    return np.swapaxes(np.rot90(a, 2), 0, 1)


# For each variant: which original quadrant lands at each quadrant position (TL, TR, BL, BR)
# after the variant is applied; derived once from a 2x2 label array.
_QUAD_SOURCE: list[list[int]] = [
    [int(x) for x in _apply_variant(np.arange(4).reshape(2, 2), v).ravel()] for v in range(8)
]


# --------------------------------------------------------------------------- decoding


def load_image(data: bytes, max_pixels: int = DEFAULT_MAX_PIXELS) -> U8:
    """Decode ``data`` to an RGB uint8 array with long side <= ``WORK_SIDE``.

    Raises ``SignalError`` with a plain-words reason for anything that is not a readable,
    reasonably sized picture.
    """
    if not data:
        raise SignalError("The file is empty (0 bytes), so there is no picture to check.")
    try:
        with warnings.catch_warnings():
            # Pillow's own bomb check is global state; ours (below) runs first and is per call
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            im = Image.open(io.BytesIO(data))
    except UnidentifiedImageError:
        raise SignalError(
            "The file is not a picture in a format we can read (or it is damaged)."
        ) from None
    except Image.DecompressionBombError:
        raise SignalError(
            "The picture is too large to check (its header claims an enormous size)."
        ) from None
    except Exception as exc:  # any other parser failure on a hostile header
        raise SignalError(
            f"The picture could not be read: its header is damaged ({exc})."
        ) from None
    try:
        w, h = im.size
        if w <= 0 or h <= 0:
            raise SignalError("The picture has no pixels (its width or height is zero).")
        if w * h > max_pixels:
            raise SignalError(
                f"The picture is too large to check: {w} x {h} pixels "
                f"({w * h / 1e6:.0f} megapixels; the limit is {max_pixels / 1e6:.0f})."
            )
        try:
            return _decode(im)
        except SignalError:
            raise
        except Exception as exc:
            raise SignalError(
                f"The picture could not be decoded: the file is truncated or corrupt ({exc})."
            ) from None
    finally:
        im.close()


def _decode(im: Image.Image) -> U8:
    if getattr(im, "n_frames", 1) > 1:
        im.seek(0)  # animations: the first frame stands for the whole
    # JPEG: let libjpeg decode at 1/2, 1/4 or 1/8 scale directly (much faster)
    if im.format == "JPEG":
        im.draft(None, (WORK_SIDE, WORK_SIDE))
    im.load()
    im = ImageOps.exif_transpose(im) or im
    mode = im.mode
    if mode in ("I;16", "I;16B", "I;16L", "I;16N", "I", "F"):
        arr = np.asarray(im, dtype=np.float64)
        top = float(arr.max()) if arr.size else 0.0
        if mode.startswith("I;16") or top > 255.0:
            # 16-bit grey: scale the full 0..65535 range, do not clip it at 255
            arr = arr / 257.0 if top <= 65535.0 else arr * (255.0 / top)
        im = Image.fromarray(np.clip(arr, 0, 255).astype(np.uint8), "L")
        mode = "L"
    if mode in ("RGBA", "LA", "PA", "La", "RGBa") or (mode == "P" and "transparency" in im.info):
        rgba = im.convert("RGBA")
        white = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        im = Image.alpha_composite(white, rgba).convert("RGB")
    elif mode != "RGB":
        im = im.convert("RGB")  # CMYK, YCbCr, L, 1, P, LAB...
    if max(im.size) > WORK_SIDE:
        im = im.copy()
        im.thumbnail((WORK_SIDE, WORK_SIDE), Image.Resampling.BILINEAR, reducing_gap=2.0)
    return np.asarray(im, dtype=np.uint8)


# --------------------------------------------------------------------------- geometry

Box = tuple[int, int, int, int]  # x0, y0, x1, y1 in pixels of the working copy


def trim_borders(a: U8, box: Box | None = None, tol: int = 12, rounds: int = 3) -> Box:
    """The box inside ``box`` left after cutting uniform borders (bars, mats, frames).

    A side is cut row by row while at least 99.5 % of the row lies within ``tol`` of the
    colour of the outermost row (compared with that one colour, not row to row, so a
    gradient sky is not eaten away); at most 45 % of a dimension goes per side, and a box that
    would become tiny is left as it was (a blank picture has nothing to trim to).
    """
    h, w = a.shape[:2]
    x0, y0, x1, y1 = box if box is not None else (0, 0, w, h)
    for _ in range(rounds):
        nx0, ny0, nx1, ny1 = x0, y0, x1, y1
        sub = a[y0:y1, x0:x1]  # a view: _uniform_run converts only the rows it reads
        sh, sw = sub.shape[:2]
        if sh < 16 or sw < 16:
            break
        ny0 = y0 + _uniform_run(sub, sh, tol)
        ny1 = y1 - _uniform_run(sub[::-1], sh, tol)
        subt = np.swapaxes(sub, 0, 1)
        nx0 = x0 + _uniform_run(subt, sw, tol)
        nx1 = x1 - _uniform_run(subt[::-1], sw, tol)
        if nx1 - nx0 < max(16, 0.1 * (x1 - x0)) or ny1 - ny0 < max(16, 0.1 * (y1 - y0)):
            break
        if (nx0, ny0, nx1, ny1) == (x0, y0, x1, y1):
            break
        x0, y0, x1, y1 = nx0, ny0, nx1, ny1
    return x0, y0, x1, y1


def bars_trimmed(a: U8, trimmed: Box | None = None) -> Box:
    """The picture inside solid bars, mats or frames: each side is cut where
    ``trim_borders`` cuts it (``trimmed``, computed if not given) only if the cut falls
    on a clear edge (a mean step of at least ``BAR_EDGE`` between the last row cut and a
    row just inside). A smooth sky or gradient reaching the edge of a picture is uniform
    enough, row by row, to be cut as a bar, but there is no edge where the cut stops."""
    h, w = a.shape[:2]
    x0, y0, x1, y1 = trimmed if trimmed is not None else trim_borders(a)

    def step(p: npt.NDArray[Any], q: npt.NDArray[Any]) -> float:
        return float(np.abs(p.astype(np.int16) - q.astype(np.int16)).mean())

    # the edge measured a few pixels in: JPEG spreads a bar's edge over 2-3 rows
    k = BAR_EDGE_DEPTH
    if y0 > 0 and step(a[y0 - 1, x0:x1], a[min(y0 + k, y1 - 1), x0:x1]) < BAR_EDGE:
        y0 = 0
    if y1 < h and step(a[y1, x0:x1], a[max(y1 - 1 - k, y0), x0:x1]) < BAR_EDGE:
        y1 = h
    if x0 > 0 and step(a[y0:y1, x0 - 1], a[y0:y1, min(x0 + k, x1 - 1)]) < BAR_EDGE:
        x0 = 0
    if x1 < w and step(a[y0:y1, x1], a[y0:y1, max(x1 - 1 - k, x0)]) < BAR_EDGE:
        x1 = w
    return x0, y0, x1, y1


def _uniform_run(sub: U8, n: int, tol: int = 12) -> int:
    """Number of leading rows of ``sub`` in the colour of the outermost row (the border).

    Rows are checked in small chunks from the edge inwards, because most pictures have no
    border and the first chunk settles it.
    """
    limit = int(n * 0.45)
    if limit < 1:
        return 0
    colour = np.median(sub[0], axis=0).astype(np.int16)
    start = 0
    step = 4
    while start < limit:
        rows = sub[start : min(limit, start + step)].astype(np.int16)
        close = (np.abs(rows - colour).max(axis=2) <= tol).mean(axis=1) >= 0.995
        bad = np.nonzero(~close)[0]
        if len(bad):
            return start + int(bad[0])
        start += step
        step *= 2
    return limit


def find_rectangles(
    a: U8, max_rects: int = 6, min_frac: float = 0.2, grey: Image.Image | None = None
) -> list[Box]:
    """Boxes of picture pasted inside ``a`` (screenshots, collages), best first.

    A pasted picture shows as two long vertical and two long horizontal straight edges
    that close into a box. Columns/rows with many strong steps are candidate lines; every
    pair of vertical and pair of horizontal lines is a candidate box, kept when at least
    40 % of each of its four sides lies on strong edges. The whole canvas is not returned
    (the global hash covers it). ``grey``: ``a`` in grey, where the caller has it already.
    """
    full_h, full_w = a.shape[:2]
    if full_h < 32 or full_w < 32:
        return []
    # line finding on a half-size grey copy: 4x less work, boxes still within ~0.5 %
    if grey is None:
        grey = Image.fromarray(a).convert("L")
    scale = max(1, int(np.ceil(max(full_w, full_h) / RECT_SIDE)))
    if scale > 1:
        grey = grey.reduce(scale)
    g = np.asarray(grey, dtype=np.float32)
    h, w = g.shape
    thr = EDGE_STEP
    # edge between column x-1 and x; dilated by one pixel against blur from resampling
    dx = np.abs(np.diff(g, axis=1))  # (h, w-1): the step between columns x and x+1
    dy = np.abs(np.diff(g, axis=0))  # (h-1, w)
    # a step counts as part of a vertical line only where it is clearly stronger than the
    # vertical steps at the same pixels (and vice versa): foliage, gravel or a starfield
    # step in every direction and would otherwise line up into boxes of pure texture
    # (with refine_box: region hashes of collage tiles within D80 38 -> 85 in 100)
    ady = np.zeros((h, w), np.float32)
    ady[:-1] = dy
    ady[1:] = np.maximum(ady[1:], dy)
    adx = np.zeros((h, w), np.float32)
    adx[:, :-1] = dx
    adx[:, 1:] = np.maximum(adx[:, 1:], dx)
    ex = np.zeros((h, w + 1), bool)
    ex[:, 1:w] = (dx > thr) & (dx > DIRECTION_RATIO * np.maximum(ady[:, :-1], ady[:, 1:]))
    ey = np.zeros((h + 1, w), bool)
    ey[1:h] = (dy > thr) & (dy > DIRECTION_RATIO * np.maximum(adx[:-1], adx[1:]))
    # line positions from the sharp maps, support from maps dilated by one pixel
    xs = _line_candidates(ex.mean(axis=0), w, min_frac)
    ys = _line_candidates(ey.mean(axis=1), h, min_frac)
    ex[:, 1:w] |= np.pad(ex[:, 2:w], ((0, 0), (0, 1))) | np.pad(ex[:, 1 : w - 1], ((0, 0), (1, 0)))
    ey[1:h] |= np.pad(ey[2:h], ((0, 1), (0, 0))) | np.pad(ey[1 : h - 1], ((1, 0), (0, 0)))
    if len(xs) < 2 or len(ys) < 2:
        return []
    # prefix sums along each candidate line so any segment's support is O(1)
    cx = np.concatenate([np.zeros((1, len(xs))), np.cumsum(ex[:, xs], axis=0)], axis=0)
    cy = np.concatenate([np.zeros((len(ys), 1)), np.cumsum(ey[ys, :], axis=1)], axis=1)
    xa, ya = np.asarray(xs), np.asarray(ys)
    # sv[i, j0, j1]: share of vertical line i on edges between rows ys[j0] and ys[j1]
    span_y = np.maximum(ya[None, :] - ya[:, None], 1)
    sv = (cx[ya, :].T[:, None, :] - cx[ya, :].T[:, :, None]) / span_y[None]
    span_x = np.maximum(xa[None, :] - xa[:, None], 1)
    sh = (cy[:, xa][:, None, :] - cy[:, xa][:, :, None]) / span_x[None]
    # a picture flush with the canvas edge has no visible edge there; accept that side
    sv[(xa == 0) | (xa == w)] = 0.75
    sh[(ya == 0) | (ya == h)] = 0.75
    i0, i1, j0, j1 = np.meshgrid(
        np.arange(len(xs)),
        np.arange(len(xs)),
        np.arange(len(ys)),
        np.arange(len(ys)),
        indexing="ij",
    )
    ok = (i1 > i0) & (j1 > j0)
    ok &= (xa[i1] - xa[i0] >= min_frac * w) & (ya[j1] - ya[j0] >= min_frac * h)
    ok &= ~((xa[i0] == 0) & (xa[i1] == w) & (ya[j0] == 0) & (ya[j1] == h))
    sides = np.stack([sv[i0, j0, j1], sv[i1, j0, j1], sh[j0, i0, i1], sh[j1, i0, i1]])
    ok &= sides.min(axis=0) >= SIDE_SUPPORT
    mean = sides.mean(axis=0)
    sx, sy = full_w / w, full_h / h
    keys = np.nonzero(ok)
    order = np.argsort(-mean[keys], kind="stable")[:64]  # NMS below needs only the best few
    cands: list[tuple[float, Box]] = []
    for o in order:
        k = tuple(int(x[o]) for x in keys)
        # one coarse pixel outwards: the full-resolution trim that follows cuts the
        # background sliver back off, whereas a box too small could not be grown
        box = (
            max(0, int(round((xa[i0[k]] - 1) * sx))),
            max(0, int(round((ya[j0[k]] - 1) * sy))),
            min(full_w, int(round((xa[i1[k]] + 1) * sx))),
            min(full_h, int(round((ya[j1[k]] + 1) * sy))),
        )
        cands.append((float(mean[k]), box))
    out: list[Box] = []
    for _, b in cands:
        if all(_iou(b, o) < 0.85 for o in out):
            out.append(b)
        if len(out) >= max_rects:
            break
    return out


def refine_box(g: npt.NDArray[np.float32], box: Box, reach: int = GAP_MAX, margin: int = 2) -> Box:
    """A second guess at a box of ``find_rectangles``: each side on the picture's own edge.

    The coarse lines are good to a pixel or two of the half-size copy, and PDQ loses ~46
    bits to a 2 % shift; the trim that follows a coarse box puts it right when a strip of
    one colour surrounds the picture (a screenshot), not when a collage's neighbouring tile
    comes within a few pixels. Here each side goes to the strongest straight step within
    ``reach`` of it, at full resolution (``g`` is the grey working copy); where a second
    strong step lies just inside that one across a strip of one colour, the strongest was
    the neighbour's, and the inner one is ours. A side within ``margin`` of the canvas edge
    stays there.
    """
    h, w = g.shape
    x0, y0, x1, y1 = box
    ix, iy = max(2, (x1 - x0) // 10), max(2, (y1 - y0) // 10)  # corners belong to both sides
    gt = g.T
    return (
        _snap(gt, x0, y0 + iy, y1 - iy, +1, reach) if x0 > margin else x0,
        _snap(g, y0, x0 + ix, x1 - ix, +1, reach) if y0 > margin else y0,
        _snap(gt, x1, y0 + iy, y1 - iy, -1, reach) if x1 < w - margin else x1,
        _snap(g, y1, x0 + ix, x1 - ix, -1, reach) if y1 < h - margin else y1,
    )


def _snap(g: npt.NDArray[np.float32], c: int, c0: int, c1: int, inward: int, reach: int) -> int:
    """The row near ``c`` where a horizontal side of a pasted picture lies (see refine_box).

    Row ``p`` stands for the step between rows ``p - 1`` and ``p``; ``inward`` is +1 when
    the picture lies below the side (its top), -1 when above (its bottom).
    """
    lo, hi = max(1, c - reach), min(g.shape[0] - 1, c + reach)
    if hi < lo or c1 - c0 < 8:
        return c
    support = (np.abs(g[lo : hi + 1, c0:c1] - g[lo - 1 : hi, c0:c1]) > EDGE_STEP).mean(axis=1)
    if support.max() < SIDE_SUPPORT:
        return c
    p = lo + int(np.argmax(support))
    for step in range(2, GAP_MAX + 1):
        q = p + inward * step
        # as strong as an edge of a pasted picture, not a feature inside one
        if not lo <= q <= hi or support[q - lo] < max(SIDE_SUPPORT, 0.75 * support[p - lo]):
            continue
        a, b = sorted((p, q))
        strip = g[a + 1 : b - 1, c0:c1]
        if strip.size and np.percentile(np.abs(strip - np.median(strip)), 95) <= EDGE_STEP:
            return q
    return p


def _line_candidates(profile: npt.NDArray[Any], n: int, min_frac: float) -> list[int]:
    """Positions of the strongest straight lines (local maxima of the edge profile)."""
    strong = []
    for i in range(1, n):
        p = profile[i]
        if p < min_frac * 0.5:
            continue
        if p >= profile[max(0, i - 3) : i + 4].max():
            strong.append((float(p), i))
    strong.sort(reverse=True)
    picked = sorted({i for _, i in strong[:14]} | {0, n})
    return picked


def _iou(a: Box, b: Box) -> float:
    ix = max(0, min(a[2], b[2]) - max(a[0], b[0]))
    iy = max(0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = ix * iy
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return inter / union if union else 0.0


# --------------------------------------------------------------------------- hashing


@dataclass(frozen=True)
class Block:
    """PDQ of a window (``main``) and of its four quadrants, as 256-bit packed hashes."""

    main: bytes
    quads: tuple[bytes, bytes, bytes, bytes]
    quality: int

    def pack(self) -> bytes:
        return self.main + b"".join(self.quads)

    @staticmethod
    def unpack(value: bytes) -> Block:
        if len(value) != BLOCK_BYTES:
            raise ValueError(f"image block fingerprints are {BLOCK_BYTES} bytes")
        q = tuple(value[32 * (i + 1) : 32 * (i + 2)] for i in range(4))
        return Block(value[:32], (q[0], q[1], q[2], q[3]), 100)


def _pack(bits: npt.NDArray[Any]) -> bytes:
    return np.packbits(np.asarray(bits, dtype=np.uint8)).tobytes()


def _window(a: U8, box: Box) -> U8:
    x0, y0, x1, y1 = box
    im = Image.fromarray(np.ascontiguousarray(a[y0:y1, x0:x1]))
    im = im.resize((BLOCK_SIDE, BLOCK_SIDE), Image.Resampling.BOX)
    return np.asarray(im, dtype=np.uint8)


def hash_blocks(a: U8, box: Box, variants: Sequence[int] = (0,)) -> list[Block]:
    """One ``Block`` per requested dihedral variant of the window ``box`` of ``a``."""
    win = _window(a, box)
    half = BLOCK_SIDE // 2
    quads = [
        np.ascontiguousarray(win[r * half : (r + 1) * half, c * half : (c + 1) * half])
        for r in (0, 1)
        for c in (0, 1)
    ]
    if tuple(variants) == (0,):
        h, q = pdqhash.compute(win)
        qh = [_quad_hash(*pdqhash.compute(x)) for x in quads]
        return [Block(_pack(h), (qh[0], qh[1], qh[2], qh[3]), int(q))]
    mh, mq = pdqhash.compute_dihedral(win)
    qd = [pdqhash.compute_dihedral(x) for x in quads]
    out = []
    for v in variants:
        # after variant v, position p holds original quadrant src[p], itself transformed by v
        src = _QUAD_SOURCE[v]
        qs = tuple(_quad_hash(qd[src[p]][0][v], qd[src[p]][1]) for p in range(4))
        out.append(Block(_pack(mh[v]), (qs[0], qs[1], qs[2], qs[3]), int(mq)))
    return out


def _quad_hash(bits: npt.NDArray[Any], quality: int) -> bytes:
    # a flat quadrant (sky, black space, a blank margin) hashes to noise that two
    # unrelated pictures can share; it is stored as the FLAT marker and counts as no
    # evidence in combined_distance
    return FLAT if int(quality) < MIN_QUALITY else _pack(bits)


_POP = np.array([bin(i).count("1") for i in range(256)], dtype=np.int32)


def _hamming(a: bytes, b: bytes) -> int:
    x = np.frombuffer(a, np.uint8) ^ np.frombuffer(b, np.uint8)
    return int(_POP[x].sum())


def combined_distance(q: Block, r: Block) -> tuple[int, int, list[int]]:
    """(combined, main, quadrant distances): combined = main + the three best quadrants."""
    dm = _hamming(q.main, r.main)
    # a flat quadrant cannot vouch for the match; it is imputed as agreeing a third as
    # well as the whole picture does (3 x main + 16), so a mostly flat picture matches
    # only on a near-exact main hash (all flat: 10 x main + 48 <= D80 needs main <= 11)
    flat = 3 * dm + FLAT_MARGIN
    dq = [flat if FLAT in (a, b) else _hamming(a, b) for a, b in zip(q.quads, r.quads, strict=True)]
    return dm + sum(sorted(dq)[:3]), dm, dq


def score_from_distance(d: float) -> float:
    """Calibrated score for a combined distance (see the module docstring)."""
    return _piecewise(d, ((0.0, 1.0), (D80, 0.80), (D65, 0.65), (D50, 0.50), (DZERO, 0.0)))


def score_block_pair(combined: float, main: float) -> float:
    """A block pair's score: the better of its combined and its main-hash distance.

    Quadrants separate unrelated pictures whose coarse layout agrees (main 48-70 bits),
    but they are fragile on pictures that are mostly dark sky or smooth gradient: a
    quarter-size copy of a nebula photograph keeps its main hash within 12-22 bits while
    its quadrants drift, and was missed where PDQ alone found it. No unrelated upload of
    the benchmark came within 36 bits of a reference's main hash (35,547 queries), so a
    main hash within ``M80`` bits (PDQ's own advice is 31) is a match whatever the quadrants.
    """
    by_main = _piecewise(main, ((0.0, 1.0), (M80, 0.80), (M65, 0.65), (M50, 0.50), (MZERO, 0.0)))
    return max(score_from_distance(combined), by_main)


def _piecewise(d: float, pts: tuple[tuple[float, float], ...]) -> float:
    if d <= 0:
        return 1.0
    for (d0, s0), (d1, s1) in zip(pts, pts[1:], strict=False):
        if d <= d1:
            return round(s0 + (s1 - s0) * (d - d0) / (d1 - d0), 4)
    return 0.0


# --------------------------------------------------------------------------- signal


def _frac_box(box: Box, w: int, h: int) -> list[float]:
    x0, y0, x1, y1 = box
    return [round(x0 / w, 4), round(y0 / h, 4), round(x1 / w, 4), round(y1 / h, 4)]


class ImageSignal(SignalType):
    """Perceptual image matching: PDQ blocks, flip/rotation variants, pasted-in pictures."""

    name = "image"
    modalities = frozenset({"image"})

    def __init__(self, max_pixels: int = DEFAULT_MAX_PIXELS, max_rects: int = 8) -> None:
        self.max_pixels = max_pixels
        self.max_rects = max_rects

    def extract(self, media: Media, role: Role) -> list[Fingerprint]:
        try:
            data = media.read()
        except OSError as exc:
            raise SignalError(f"The picture could not be read from storage ({exc}).") from None
        a = load_image(data, self.max_pixels)
        return self.extract_array(a, role)

    def extract_array(self, a: U8, role: Role) -> list[Fingerprint]:
        """Fingerprints of an already decoded RGB working copy (see ``load_image``)."""
        h, w = a.shape[:2]
        whole = (0, 0, w, h)
        full = trim_borders(a)
        fps: list[Fingerprint] = []
        variants = range(8) if role is Role.QUERY else (0,)
        for v, blk in zip(variants, hash_blocks(a, full, variants), strict=True):
            fps.append(self._fp("global", blk, full, w, h, VARIANTS[v]))
        if _iou(full, whole) < 0.98:
            # trimming can stop at different rows on the two sides when a flat area (a
            # white sky, black space) borders the picture and contrast or JPEG noise
            # changed; the untrimmed hash on both sides covers that case
            for v, blk in zip(variants, hash_blocks(a, whole, variants), strict=True):
                fps.append(self._fp("global", blk, whole, w, h, "untrimmed-" + VARIANTS[v]))
        # keypoints of the whole working copy: the second opinion for crops, captions,
        # logos and collages (``image_keypoints``)
        if role is Role.QUERY:
            # ORB patches are not mirror-invariant: a mirrored crop or caption keeps its
            # keypoints only in the mirror image, which is searched too and its transform
            # composed back onto the upload as it is (``keypoint_matches``)
            points, mirrored = kp.detect_with_mirror(a, kp.QUERY_POINTS)
        else:
            points, mirrored = kp.detect(a, kp.REF_POINTS), None
        # what of a reference an upload shows (``kp.Verified.shown``) is measured between
        # the reference inside its uniform margins (a mat, a blank sky over a horizon:
        # nobody copies those) and the upload inside its bars (``bars_trimmed``, which
        # does not eat into a smooth sky the upload does show)
        content = bars_trimmed(a, full) if role is Role.QUERY else full
        points = replace(points, content=content)
        if len(points):
            fps.append(kp.to_fingerprint(points, self.name))
        if mirrored is not None:
            x0, y0, x1, y1 = content
            mirrored = replace(mirrored, content=(w - x1, y0, w - x0, y1))
            if len(mirrored):
                fps.append(kp.to_fingerprint(mirrored, self.name, variant=kp.MIRRORED))
        # a grey thumbnail, to check that a match looks like the reference all over the
        # place it is said to be (``image_appearance``)
        side = look.QUERY_SIDE if role is Role.QUERY else look.REF_SIDE
        fps.append(look.to_fingerprint(look.make_thumb(a, side), self.name))
        if role is Role.QUERY:
            grey_im = Image.fromarray(a).convert("L")
            grey = np.asarray(grey_im, dtype=np.float32)
            boxes: list[Box] = []
            for rect in find_rectangles(a, self.max_rects, grey=grey_im):
                box = trim_borders(a, rect, rounds=1)
                if _iou(box, full) > 0.9:
                    continue
                # the trimmed coarse box, and where it differs the box snapped onto the
                # picture's edges: each is right where the other is not (recall at 0.80:
                # collage 0.677 -> 0.943, screenshot 0.947 -> 0.967; docs/benchmarks.md)
                refined = trim_borders(a, refine_box(grey, rect), rounds=1)
                for b in (box, refined):
                    if b not in boxes:
                        boxes.append(b)
            for box in boxes:
                (blk,) = hash_blocks(a, box)
                fps.append(self._fp("region", blk, box, w, h, "identity"))
        return fps

    def _fp(self, kind: str, blk: Block, box: Box, w: int, h: int, variant: str) -> Fingerprint:
        meta = {"box": _frac_box(box, w, h), "variant": variant, "quality": blk.quality}
        return Fingerprint(self.name, kind, blk.pack(), quality=blk.quality, meta=meta)

    def new_index(self) -> SignalIndex:
        return ImageIndex()


class ImageIndex(SignalIndex):
    """Reference blocks (main hashes in a faiss flat binary index, quadrants beside it) and
    reference keypoints (``image_keypoints.KeypointIndex``); a reference matches by either,
    and its best score of the two counts."""

    def __init__(self) -> None:
        self._codes = HammingIndex(256)
        self._blocks: dict[int, list[tuple[Block, Fingerprint]]] = {}
        self._points = kp.KeypointIndex()
        self._thumbs: dict[int, look.Thumb] = {}

    def add(self, ref_id: int, fingerprints: Sequence[Fingerprint]) -> None:
        fresh: list[tuple[Block, Fingerprint]] = []
        for fp in fingerprints:
            if fp.signal != ImageSignal.name:
                continue
            if fp.kind == kp.KIND:
                points = kp.from_fingerprint(fp)
                if points is not None:
                    self._points.add(ref_id, points)
                continue
            if fp.kind == look.KIND:
                thumb = look.from_fingerprint(fp)
                if thumb is not None:
                    self._thumbs[ref_id] = thumb
                continue
            if len(fp.value) != BLOCK_BYTES:
                continue
            if fp.quality < MIN_QUALITY:
                continue  # a near-blank reference would match every near-blank upload
            fresh.append((Block.unpack(fp.value), fp))
        if not fresh:
            return
        self._blocks.setdefault(ref_id, []).extend(fresh)
        self._codes.add(ref_id, [b.main for b, _ in fresh])

    def remove(self, ref_id: int) -> None:
        self._blocks.pop(ref_id, None)
        self._codes.remove(ref_id)
        self._points.remove(ref_id)
        self._thumbs.pop(ref_id, None)

    def __len__(self) -> int:
        return len(self._blocks.keys() | self._points.ref_ids())

    def save(self, folder: Path) -> bool:
        return self._points.save(folder)  # the block index rebuilds in seconds

    def load(self, folder: Path) -> bool:
        return self._points.load(folder)

    def search(self, query: Sequence[Fingerprint], min_score: float) -> list[SignalMatch]:
        qfps = [
            fp
            for fp in query
            if fp.signal == ImageSignal.name
            and fp.kind in BLOCK_KINDS
            and len(fp.value) == BLOCK_BYTES
            and fp.quality >= MIN_QUALITY
        ]
        # a match under ``min_score`` may still be confirmed by its appearance
        floor = min(min_score, CONFIRM_FROM)
        matches = kp.keypoint_matches(self._points, query, floor, ImageSignal.name)
        thumb = next(
            (fp for fp in query if fp.signal == ImageSignal.name and fp.kind == look.KIND), None
        )
        qthumb = look.from_fingerprint(thumb) if thumb is not None else None
        if not qfps:
            return best_per_ref(self._looked_at(matches, qthumb, min_score))
        qblocks = [Block.unpack(fp.value) for fp in qfps]
        hits = self._codes.search_radius([b.main for b in qblocks], CANDIDATE_RADIUS)
        for hit in hits:
            rblk, rfp = self._blocks[hit.ref_id][hit.row]
            comb, dm, dq = combined_distance(qblocks[hit.query], rblk)
            score = score_block_pair(comb, dm)
            if score < floor:
                continue
            qfp = qfps[hit.query]
            matches.append(
                SignalMatch(
                    ref_id=hit.ref_id,
                    score=score,
                    signal=ImageSignal.name,
                    distance=float(comb),
                    evidence={
                        "query_kind": qfp.kind,
                        "query_box": qfp.meta.get("box"),
                        "query_variant": qfp.meta.get("variant"),
                        "reference_kind": rfp.kind,
                        "reference_box": rfp.meta.get("box"),
                        "main_distance": dm,
                        "quadrant_distances": dq,
                        "combined_distance": comb,
                    },
                )
            )
        return best_per_ref(self._looked_at(matches, qthumb, min_score))

    def _looked_at(
        self, matches: list[SignalMatch], qthumb: look.Thumb | None, min_score: float
    ) -> list[SignalMatch]:
        """Each match with its appearance check (``image_appearance``) in its evidence:
        its score capped where the upload does not look like the reference, raised to a
        match where it looks like it all over (``confirmed``).

        For ``best_per_ref``, which keeps the first highest score of each reference: a
        match that could not beat what an earlier match of its reference already scores,
        whatever its check said, is left out unchecked (a reference often matches by
        several of the upload's blocks and its keypoints at once).
        """
        out = []
        best: dict[int, float] = {}
        for m in matches:
            ceiling = CONFIRMED if CONFIRM_FROM <= m.score < CONFIRMED else m.score
            if m.ref_id in best and ceiling <= best[m.ref_id]:
                continue
            rthumb = self._thumbs.get(m.ref_id)
            # only a score the check could change is checked (about a millisecond each)
            if qthumb is not None and rthumb is not None and m.score > APPEARANCE_CAP:
                seen = _appearance(m, rthumb, qthumb)
                if seen is not None:
                    m = _judged(m, seen)
            best[m.ref_id] = max(m.score, best.get(m.ref_id, 0.0))
            if m.score >= min_score:
                out.append(m)
        return out


def _judged(m: SignalMatch, seen: look.Appearance) -> SignalMatch:
    """``m`` with its appearance in a new evidence dict (the caller's is left as it was),
    capped or confirmed as ``seen`` says."""
    ev = {**m.evidence, "appearance": seen.evidence()}
    score = m.score
    if seen.agree < APPEARANCE_AGREE:
        score = APPEARANCE_CAP
    elif shared_part(seen, ev):
        score = min(score, kp.PARTIAL_CAP)
        ev["shared_part"] = True
    elif CONFIRM_FROM <= m.score < CONFIRMED and confirmed(seen, ev):
        score = CONFIRMED
    if score != m.score:
        ev["score_before_appearance"] = m.score
    return replace(m, score=score, evidence=ev)


def shared_part(seen: look.Appearance, evidence: dict[str, Any]) -> bool:
    """Whether a keypoint match is of a part two pictures share rather than of the
    reference (``SHARED_COVER``, ``SHARED_AGREE``)."""
    if evidence.get("query_kind") != kp.KIND:
        return False
    cover = float(evidence.get("ref_cover", 1.0))
    return cover < SHARED_COVER and seen.agree < SHARED_AGREE


def _appearance(m: SignalMatch, ref: look.Thumb, query: look.Thumb) -> look.Appearance | None:
    ev = m.evidence
    if ev.get("query_kind") == kp.KIND:
        t = ev.get("transform") or ()
        if len(t) != 6:
            return None
        return look.compare_affine(ref, query, np.asarray(t, dtype=np.float64).reshape(2, 3))
    qbox, rbox = ev.get("query_box"), ev.get("reference_box")
    name = str(ev.get("query_variant") or "identity").removeprefix("untrimmed-")
    if not qbox or not rbox or name not in VARIANTS:
        return None
    v = VARIANTS.index(name)
    return look.compare_windows(ref, query, list(rbox), list(qbox), lambda a: _apply_variant(a, v))


def confirmed(seen: look.Appearance, evidence: dict[str, Any]) -> bool:
    """Whether an appearance check confirms a likely match (one already at
    ``CONFIRM_FROM``) as a copy.

    PDQ blocks and keypoints are fragile on some pictures that are plainly copies once
    looked at: a nebula whose collage tile was found as a region with a score of 0.73,
    a smooth wallpaper whose mirrored PDQ hash drifts. Unrelated pictures reach high
    correlations too (two globular clusters on black: 0.99), but only with a weak
    block or keypoint score: among 35,139 benchmark queries no unrelated match scoring
    0.65 or more correlated above 0.94. A partial view (``image_keypoints.MIN_SHOWN``)
    is never confirmed.
    """
    if float(evidence.get("shown", 1.0)) < kp.MIN_SHOWN:
        return False
    return seen.ncc >= CONFIRM_NCC and seen.agree >= CONFIRM_AGREE and seen.cells >= CONFIRM_CELLS
