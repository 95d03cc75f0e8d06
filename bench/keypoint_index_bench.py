"""How the keypoint lookup structure changes what a copy keeps: exact, inverted file, hashing.

Usage: ``python bench/keypoint_index_bench.py [--refs 300] [--uploads 60]``

The image signal's keypoint path (``safeharbor/signals/image_keypoints.py``) used to find,
for each upload descriptor, its 2 nearest reference descriptors, then verify each
candidate reference geometrically with those pairs (it now only chooses candidates that
way, with 300 descriptors, and pairs each candidate exactly). An approximate lookup finds
only part of the true pairs; this benchmark measures how many edited uploads still keep
``KEEP_INLIERS`` verified inliers (the 0.80 score then) against their own reference, and
the lookup's time per upload, for:

* ``flat``: exact search (``IndexBinaryFlat``), the upper bound;
* ``ivf nprobe N``: the inverted file ``KeypointIndex`` uses past ``HASH_FROM`` (trained
  vocabulary, ``N`` lists probed), at the vocabulary size the index picks here and with
  4,096 lists (about as fine as at 100,000 references);
* ``multihash 4x16``: ``IndexBinaryMultiHash`` with four 16-bit slices, used before.

It also prints how crowded a 16-bit slice of real descriptors is compared with uniform
(the reason the slices were dropped). Corpus: the image benchmark's reference pictures
(``bench/image_corpus.py``); uploads: 4 edits (crop_20, overlay_text, collage, screenshot)
of the first ``--uploads`` references. Times are on one core, at this collection size;
``bench/image_bench.py --timing-only`` measures the index at 100,000 references.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import faiss  # noqa: E402
import numpy as np  # noqa: E402
from image_corpus import build  # noqa: E402
from image_transforms import apply  # noqa: E402
from PIL import Image  # noqa: E402

from safeharbor.signals import image_keypoints as kpt  # noqa: E402
from safeharbor.signals.base import Media, Role  # noqa: E402
from safeharbor.signals.image import ImageSignal  # noqa: E402

EDITS = ("crop_20", "overlay_text", "collage", "screenshot")
#: the 0.80 anchor when this comparison was made (before the two-step search re-fitted
#: it): kept fixed so a re-run measures the same thing as the documented table
KEEP_INLIERS = 49


def keypoints(signal: ImageSignal, media: Media, role: Role) -> kpt.Keypoints | None:
    fp = next((f for f in signal.extract(media, role) if f.kind == kpt.KIND), None)
    return kpt.from_fingerprint(fp) if fp is not None else None


def slice_crowding(codes: np.ndarray) -> list[float]:
    """Expected bucket size of each 16-bit slice relative to uniform keys (1.0)."""
    out = []
    for t in range(kpt.DESCRIPTOR_BYTES // 2):
        key = codes[:, 2 * t].astype(np.int64) | (codes[:, 2 * t + 1].astype(np.int64) << 8)
        p = np.bincount(key, minlength=1 << 16) / len(key)
        # minus the term a finite sample adds by itself (each key collides with itself)
        out.append(float((p**2).sum() * (1 << 16) - (1 << 16) / len(key)))
    return out


def trained(codes: np.ndarray, lists: int) -> Any:
    """``KeypointIndex``'s inverted file with ``lists`` lists, filled with ``codes``."""
    ivf = kpt.KeypointIndex.trained_ivf(codes, lists)
    ivf.add(codes)
    return ivf


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--refs", type=int, default=300)
    ap.add_argument("--uploads", type=int, default=60)
    args = ap.parse_args()
    faiss.omp_set_num_threads(1)
    signal = ImageSignal()
    items = [it for it in build() if it.is_ref][: args.refs]
    others = [it for it in build() if not it.is_ref][:8]
    refs: dict[int, kpt.Keypoints] = {}
    for i, it in enumerate(items):
        kp = keypoints(signal, Media("image", "image/jpeg", path=it.path), Role.REFERENCE)
        if kp is not None and len(kp):
            refs[i] = kp
    ids = sorted(refs)
    codes = np.concatenate([refs[i].descriptors for i in ids])
    owner = np.concatenate([np.full(len(refs[i]), i) for i in ids])
    first = dict(zip(ids, np.cumsum([0] + [len(refs[i]) for i in ids[:-1]]).tolist(), strict=True))
    pool = [Image.open(it.path).convert("RGB") for it in others]
    uploads = []
    for i in ids[: args.uploads]:
        im = Image.open(items[i].path).convert("RGB")
        for edit in EDITS:
            data = apply(edit, im, items[i].name, pool)
            q = keypoints(signal, Media("image", "image/jpeg", data=data), Role.QUERY)
            if q is not None and len(q):
                uploads.append((i, edit, q))
    crowd = slice_crowding(codes)
    print(
        f"{len(ids)} references, {len(codes)} descriptors, {len(uploads)} uploads\n"
        f"16-bit slices of real descriptors: buckets {min(crowd):.0f}-{max(crowd):.0f}x "
        f"(median {np.median(crowd):.0f}x) as crowded as with uniform keys\n"
    )

    def run(name: str, index: Any) -> None:
        kept: dict[str, list[bool]] = {e: [] for e in EDITS}
        spent = 0.0
        for i, edit, q in uploads:
            t0 = time.perf_counter()
            dist, rows = index.search(q.descriptors, kpt.NEIGHBOURS)
            spent += time.perf_counter() - t0
            ok = (rows >= 0) & (dist <= kpt.MAX_DESCRIPTOR_DISTANCE)
            qrow, rrow = np.nonzero(ok)[0], rows[ok]
            own = owner[rrow] == i
            pairs = np.stack([qrow[own], rrow[own] - first[i]], 1)
            v = kpt.verify(q, refs[i], pairs)
            kept[edit].append(v is not None and v.inliers >= KEEP_INLIERS)
        cells = " | ".join(f"{np.mean(kept[e]):.2f}" for e in EDITS)
        print(f"| {name} | {cells} | {spent / len(uploads) * 1e3:.1f} |")

    print("| lookup | " + " | ".join(EDITS) + " | ms per upload |")
    print("|---" * (len(EDITS) + 2) + "|")
    flat = faiss.IndexBinaryFlat(256)
    flat.add(codes)
    run("flat (exact)", flat)
    # the vocabulary the index picks at this size, and one as fine as it picks at 100,000
    # references (8,192 lists of ~3,700): how much a finer vocabulary loses per probe
    for lists in (kpt.KeypointIndex._nlist(len(codes)), 4096):
        ivf = trained(codes, lists)
        for nprobe in (1, 2, 4):
            ivf.nprobe = nprobe
            run(f"ivf {ivf.nlist} lists, nprobe {nprobe}", ivf)
    mh = faiss.IndexBinaryMultiHash(256, 4, 16)
    mh.nflip = 0
    mh.add(codes)
    run("multihash 4x16", mh)


if __name__ == "__main__":
    main()
