"""Targeted probe for the two mixes (speech / music at 0-6 dB): a few minutes, not 25.

    python bench/audio_mix_probe.py                      # module as it is
    python bench/audio_mix_probe.py --set FAN_OUT_QUERY=6 --set REL_DB=50
    python bench/audio_mix_probe.py --set-ref ...        # reference side too (re-indexed)

Same corpus, same seeds and the same excerpt/transformation code as ``audio_bench.py``, so
a query here is the very query the full benchmark makes. Reference queries: the two mixes
at ``--lengths`` (default 5 and 10 s) on every reference track, plus ``--pos-others``
(the other transformations, 10 s) as a check for regressions. Distractor queries: every
distractor track, one excerpt, at 5 and 10 s through ``--neg-transforms``.

Printed: per (transformation, length) the recall at 0.80 / 0.65 with the module's chance
model, the right reference's votes in 5 s of each miss, the distractors' best vote counts
(the false-match side) and a fitted chance model (A, B) with the recall it would give.
``--set NAME=VALUE`` changes a module constant after the references are indexed (a
query-side change), ``--set-ref`` before (both sides); ``--variant`` / ``--qvariant``
swap in a peak picker of ``audio_mix_variants.py`` for both sides / the query only.
``--dump`` writes the per-query counts as JSON. Decoded references are cached under /tmp.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import time
import zlib
from collections import Counter, defaultdict
from pathlib import Path

import _common  # noqa: F401
import numpy as np
from audio_bench import Result, fit_chance, make_other, rescore
from audio_corpus import WORK_RATE, Track, build
from audio_transforms import TRANSFORMS, Query, apply

from safeharbor.signals import audio as A
from safeharbor.signals.audio_decode import MonoDecoder
from safeharbor.signals.base import Media, Role

CACHE = Path("/tmp/audio_probe_cache")
MIXES = ["speech_0-6db", "music_0-6db"]
OTHERS = [t for t in TRANSFORMS if t not in MIXES and t != "mix_10min"]


def ref_samples(t: Track) -> np.ndarray:
    CACHE.mkdir(exist_ok=True)
    f = CACHE / (hashlib.sha1(str(t.path).encode()).hexdigest()[:16] + ".npy")
    if f.exists():
        return np.load(f)
    with MonoDecoder(t.path, A.RATE, A.AudioSignal.max_seconds) as d:
        x = np.concatenate(list(d.chunks())).astype(np.float32)
    np.save(f, x)
    return x


def parse_sets(items: list[str]) -> dict[str, float]:
    out = {}
    for s in items:
        k, v = s.split("=", 1)
        out[k] = float(v) if "." in v or "e" in v else int(v)
    return out


def apply_sets(sets: dict[str, float]) -> None:
    for k, v in sets.items():
        if not hasattr(A, k):
            raise SystemExit(f"no constant {k} in safeharbor.signals.audio")
        setattr(A, k, v)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--set", action="append", default=[])
    ap.add_argument("--set-ref", action="append", default=[])
    ap.add_argument("--lengths", default="5,10")
    ap.add_argument("--pos-others", default="")
    ap.add_argument("--neg-transforms", default="clean,speech_0-6db,music_0-6db,embedded")
    ap.add_argument("--neg-lengths", default="5,10")
    ap.add_argument("--neg-reps", type=int, default=1)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--tag", default="")
    ap.add_argument("--variant", default="", help="peak picking of audio_mix_variants, both sides")
    ap.add_argument("--qvariant", default="", help="... query side only")
    ap.add_argument("--dump", default="", help="write per-query results (JSON) here")
    args = ap.parse_args()
    t_wall = time.time()
    apply_sets(parse_sets(args.set_ref))
    if args.variant or args.qvariant:
        import audio_mix_variants as V
    if args.variant:
        A.find_peaks = V.VARIANTS[args.variant]
    tracks = build(verbose=False)
    refs = [t for t in tracks if t.is_reference]
    dis = [t for t in tracks if not t.is_reference]
    sig = A.AudioSignal()
    idx = A.AudioIndex()
    for i, t in enumerate(refs):
        x = ref_samples(t)
        idx.add(i, sig.extract_samples(x, Role.REFERENCE))
    apply_sets(parse_sets(args.set))
    if args.qvariant:
        A.find_peaks = V.VARIANTS[args.qvariant]
    lengths = [float(x) for x in args.lengths.split(",") if x]
    jobs = []
    pos_t = MIXES + [x for x in args.pos_others.split(",") if x]
    for ti, t in enumerate(refs):
        for name in pos_t:
            for length in lengths if name in MIXES else [10.0]:
                if t.seconds >= length + 1:
                    jobs.append(("pos", ti, t, length, name, 0))
    for ti, t in enumerate(dis):
        for name in [x for x in args.neg_transforms.split(",") if x]:
            for length in [float(x) for x in args.neg_lengths.split(",") if x]:
                if t.seconds >= length + 1:
                    for rep in range(args.neg_reps):
                        jobs.append(("neg", ti, t, length, name, rep))
    results: list[Result] = []
    extract_s = search_s = 0.0
    nland = []
    for kind, ti, t, length, name, rep in jobs:
        seed = zlib.crc32(f"{args.seed}/{kind}/{t.name}/{length}/{name}/{rep}".encode())
        rng = np.random.default_rng(seed)
        start = float(rng.uniform(0, t.seconds - length))
        x = t.segment(start, length)
        q: Query = apply(name, x, WORK_RATE, rng, make_other(dis, rng))
        res = Result(kind, name, length, ti, q.seconds)
        t0 = time.perf_counter()
        fps = sig.extract(Media("audio", "application/octet-stream", data=q.data), Role.QUERY)
        t1 = time.perf_counter()
        cands = idx.candidates(fps)
        t2 = time.perf_counter()
        extract_s += t1 - t0
        search_s += t2 - t1
        nland.append(fps[0].meta["landmarks"] / max(1.0, q.seconds))
        res.dense = [(idx._ref_of_slot[c.slot], c.dense) for c in cands]
        for c in cands:
            if kind == "pos" and idx._ref_of_slot[c.slot] == ti:
                m = idx._match(c, 1.0, 0.0)
                assert m.query_span is not None and m.reference_span is not None
                qs, rs = m.query_span, m.reference_span
                slope = (rs.end - rs.start) / max(1e-6, qs.end - qs.start)
                at = rs.start + (q.offset - qs.start) * slope
                if abs(at - start) <= 1.0:
                    res.right_dense = c.dense
        results.append(res)
    rescore(results, idx.hours)
    tag = args.tag or " ".join(
        args.set_ref + args.set + [f"variant={args.variant}", f"qvariant={args.qvariant}"]
    )
    print(f"== {tag}  ({len(jobs)} queries, {time.time() - t_wall:.0f} s wall)")
    print(
        f"   extract {1000 * extract_s / len(jobs):.0f} ms/query, search "
        f"{1000 * search_s / len(jobs):.0f} ms/query, landmarks/s {np.median(nland):.0f}, "
        f"index entries {idx.entries}"
    )
    groups: dict[tuple[str, float], list[Result]] = defaultdict(list)
    for r in results:
        if r.kind == "pos":
            groups[(r.transform, r.length)].append(r)
    for (name, length), rs in groups.items():
        r80 = np.mean([r.score_right >= 0.8 for r in rs])
        r65 = np.mean([r.score_right >= 0.65 for r in rs])
        miss = sorted(r.right_dense for r in rs if r.score_right < 0.8)
        med = np.median([r.right_dense for r in rs])
        print(
            f"   {name:13s} {length:4.0f} s  recall@0.80 {r80:.3f}  @0.65 {r65:.3f}  "
            f"median votes {med:.0f}  misses (votes) {miss}"
        )
    neg = [r for r in results if r.kind == "neg"]
    best = Counter(max([d for _, d in r.dense] or [0]) for r in neg)
    wrong_pos = [
        max([d for ref, d in r.dense if ref != r.track] or [0]) for r in results if r.kind == "pos"
    ]
    print(f"   distractors: best votes {sorted(best.items())}")
    print(f"   wrong refs on reference queries: max {max(wrong_pos or [0])}")
    fm = {thr: sum(r.score_wrong >= thr for r in results) for thr in (0.8, 0.65)}
    print(f"   false matches (module's model): @0.80 {fm[0.8]}, @0.65 {fm[0.65]}")
    slot_hours = np.array([t.seconds / 3600 for t in refs])
    fits = fit_chance(results, slot_hours)
    if 1.0 in fits:
        f = fits[1.0]
        print(
            f"   fitted chance model (gamma 1): A={f['A']:.2f} B={f['B']:.3f} "
            f"(T {f['T'][0]}..{f['T'][-1]}); module A={A.CHANCE_A} B={A.CHANCE_B}"
        )
    if args.dump:
        from dataclasses import asdict

        Path(args.dump).write_text(json.dumps([asdict(r) for r in results]))
    sys.stdout.flush()


if __name__ == "__main__":
    main()
