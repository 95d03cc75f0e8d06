"""Audio signal benchmark: recall per transformation and excerpt length, false matches,
a Chromaprint baseline, the chance model behind the score, and speed at 1,000 hours.

    python bench/audio_bench.py                # full run (about 15-20 minutes, one core)
    python bench/audio_bench.py --quick        # half the tracks, 5 and 30 s: ~6 minutes
    python bench/audio_bench.py --write-docs   # also rewrite the Audio figures in docs/

Corpus: ``bench/audio_corpus.py`` (real game soundtracks from Debian packages, split into
references and distractors by a hash of the name; one track per recording). Queries:
excerpts of 5, 10 and 30 s at random offsets, each put through every transformation of
``bench/audio_transforms.py`` and handed to the signal as the file an uploader would send.
Excerpts of references must be found (the right reference at or above the threshold AND
placed: the reported alignment puts the excerpt's start within 1 s of where it was
cut); excerpts of distractors, put through the same transformations, must not match
anything (any reference at or above the threshold is a false match; so is a *wrong*
reference on a reference query).

Baseline: Chromaprint (``fpcalc -raw``, the AcoustID fingerprinter, from Debian's
``libchromaprint-tools``): the query's raw fingerprint against each reference's at every
alignment, bit error rate over the overlap (as chromaprint's own matcher compares
fingerprints); its threshold is the best one that keeps its false-match rate on these
distractor queries at or below the bound (calibrated on the test set, an advantage ours
does not get). Chromaprint runs on the 10 and 30 s excerpts only (it needs a few seconds
before it emits anything).

Speed: one process, one core. Fingerprinting (peaks and hashes) and decoding are timed
separately on the reference files; search time against an index filled to 1,000 hours:
the real references plus synthetic references re-drawn from the real references' spectral
peaks (``fill_index``: shifted and jittered, then hashed, so the key fields keep their
real distribution while each synthetic track is new music).
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
import zlib
from collections import defaultdict
from dataclasses import asdict, dataclass, field

import _common  # noqa: F401  (first: one thread per process, before numpy loads)
import numpy as np
import scipy
from _common import RESULTS, TARGET_FPR, THRESHOLDS, write_docs
from audio_corpus import AUDIO, WORK_RATE, Track, build
from audio_transforms import TRANSFORMS, Query, apply
from scipy import signal as ss

from safeharbor.signals import audio as A
from safeharbor.signals.audio_decode import MonoDecoder
from safeharbor.signals.base import Media, Role

LENGTHS = (5.0, 10.0, 30.0)
CP_LENGTHS = (10.0, 30.0)
CP_ITEM_S = 4096 / 3 / 11025  # chromaprint: one 32-bit item per 1/3 of a 4096-sample frame
EXT = {"mp3_64k": ".mp3", "aac_64k": ".aac", "opus_24k": ".ogg"}


# --------------------------------------------------------------------------- chromaprint


def find_fpcalc() -> list[str] | None:
    """``fpcalc`` on PATH, or unpacked from the Debian packages into the cache."""
    exe = shutil.which("fpcalc")
    if exe:
        return [exe]
    root = AUDIO / "chromaprint"
    fp = root / "root" / "usr" / "bin" / "fpcalc"
    if not fp.exists():
        debs = root / "debs"
        debs.mkdir(parents=True, exist_ok=True)
        try:
            subprocess.run(
                ["apt-get", "download", "libchromaprint-tools", "libchromaprint1"],
                cwd=debs,
                check=True,
                capture_output=True,
            )
            for d in debs.glob("*.deb"):
                subprocess.run(["dpkg", "-x", str(d), str(root / "root")], check=True)
        except (OSError, subprocess.CalledProcessError):
            return None
    env_lib = root / "root" / "usr" / "lib" / "x86_64-linux-gnu"
    cmd = ["env", f"LD_LIBRARY_PATH={env_lib}", str(fp)]
    try:
        ok = subprocess.run(cmd + ["-version"], capture_output=True).returncode == 0
    except OSError:
        ok = False
    # fpcalc links FFmpeg's shared libraries; without them (no root to install them) the
    # baseline is skipped and the report says so
    return cmd if ok else None


def fpcalc(cmd: list[str], data: bytes, suffix: str) -> np.ndarray:
    with tempfile.NamedTemporaryFile(suffix=suffix) as f:
        f.write(data)
        f.flush()
        out = subprocess.run(
            cmd + ["-raw", "-json", "-length", "0", f.name], capture_output=True, text=True
        )
    try:
        return np.array(json.loads(out.stdout)["fingerprint"], dtype=np.uint32)
    except (ValueError, KeyError):
        return np.zeros(0, np.uint32)


def _bits(fp: np.ndarray) -> np.ndarray:
    b = np.unpackbits(fp.astype(">u4").view(np.uint8).reshape(-1, 4), axis=1)
    return b.astype(np.float32) * 2 - 1


@dataclass
class CpRef:
    bits: np.ndarray


def cp_match(q: np.ndarray, refs: list[CpRef]) -> list[tuple[float, float]]:
    """For each reference: (1 - best bit error rate, offset in seconds of that alignment).

    Offsets where the overlap is under half the query (or 8 items) are not considered.
    """
    out = []
    if len(q) < 4:
        return [(0.0, 0.0)] * len(refs)
    qb = _bits(q)
    n = len(qb)
    for r in refs:
        m = len(r.bits)
        corr = ss.fftconvolve(r.bits, qb[::-1], mode="full", axes=0).sum(axis=1)
        d = np.arange(-(n - 1), m)  # reference item aligned with query item 0
        overlap = np.minimum(m, d + n) - np.maximum(0, d)
        ok = overlap >= max(8, n // 2)
        if not ok.any():
            out.append((0.0, 0.0))
            continue
        ber = (overlap * 32 - corr) / (2 * np.maximum(overlap, 1) * 32)
        ber = np.where(ok, ber, 1.0)
        i = int(np.argmin(ber))
        out.append((1.0 - float(ber[i]), float(d[i]) * CP_ITEM_S))
    return out


# --------------------------------------------------------------------------- queries


@dataclass
class Result:
    kind: str  # "pos" / "neg"
    transform: str
    length: float
    track: int
    seconds: float  # query duration
    # ours
    right_dense: int = -1  # votes in 5 s of the right reference when correctly placed (pos)
    dense: list[tuple[int, int]] = field(default_factory=list)  # (slot, dense) per candidate
    # scores from the counts with the module's chance model (see rescore)
    score_right: float = 0.0
    score_wrong: float = 0.0  # best other reference (pos) / best reference (neg)
    extract_s: float = 0.0
    search_s: float = 0.0
    # chromaprint
    cp_right: float | None = None
    cp_wrong: float | None = None


def make_other(dis: list[Track], rng: np.random.Generator):  # type: ignore[no-untyped-def]
    def other(seconds: float) -> np.ndarray:
        parts: list[np.ndarray] = []
        need = int(seconds * WORK_RATE)
        while sum(len(p) for p in parts) < need:
            t = dis[int(rng.integers(len(dis)))]
            take = min(seconds, t.seconds)
            start = float(rng.uniform(0, max(0.0, t.seconds - take)))
            parts.append(t.segment(start, take))
        return np.concatenate(parts)[:need]

    return other


def run_queries(
    args: argparse.Namespace,
    sig: A.AudioSignal,
    idx: A.AudioIndex,
    refs: list[Track],
    dis: list[Track],
    cp: list[str] | None,
    cp_refs: list[CpRef],
) -> list[Result]:
    results: list[Result] = []
    jobs = []
    for kind, pool, reps in (("pos", refs, 1), ("neg", dis, args.neg_excerpts)):
        for ti, t in enumerate(pool):
            for length in args.lengths:
                if t.seconds < length + 1:
                    continue
                for name in args.transforms:
                    if name == "mix_10min" and length != 30.0:
                        continue  # the case: a 30 s clip in a 10-minute mix
                    n = 1 if name == "mix_10min" else reps
                    for rep in range(n):
                        jobs.append((kind, ti, t, length, name, rep))
    t_start = time.time()
    spent: dict[str, float] = defaultdict(float)
    for k, (kind, ti, t, length, name, rep) in enumerate(jobs):
        tt0 = time.perf_counter()
        seed = zlib.crc32(f"{args.seed}/{kind}/{t.name}/{length}/{name}/{rep}".encode())
        rng = np.random.default_rng(seed)
        start = float(rng.uniform(0, t.seconds - length))
        x = t.segment(start, length)
        q: Query = apply(name, x, WORK_RATE, rng, make_other(dis, rng))
        res = Result(kind, name, length, ti, q.seconds)
        t0 = time.perf_counter()
        spent["transform " + name] += t0 - tt0
        fps = sig.extract(Media("audio", "application/octet-stream", data=q.data), Role.QUERY)
        t1 = time.perf_counter()
        cands = idx.candidates(fps)
        # what AudioIndex.search does, keeping the raw counts so that the scores can be
        # recomputed when the chance model is re-fitted (--rescore)
        for c in cands:
            chance = A.expected_chance(c.dense, idx.hours, c.query_seconds)
            idx._match(c, A.score_from_chance(chance), chance)
        t2 = time.perf_counter()
        res.extract_s, res.search_s = t1 - t0, t2 - t1
        spent["extract"] += t1 - t0
        spent["search"] += t2 - t1
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
        if cp is not None and length in CP_LENGTHS and (kind == "pos" or rep == 0):
            t3 = time.perf_counter()
            qfp = fpcalc(cp, q.data, EXT.get(name, ".wav"))
            t4 = time.perf_counter()
            sims = cp_match(qfp, cp_refs)
            spent["fpcalc"] += t4 - t3
            spent["cp_match"] += time.perf_counter() - t4
            if kind == "pos":
                sim, off = sims[ti]
                # chromaprint aligns the whole query: the excerpt starts at q.offset in it
                res.cp_right = sim if abs(off + q.offset - start) <= 1.0 else 0.0
                res.cp_wrong = max((s for i, (s, _) in enumerate(sims) if i != ti), default=0)
            else:
                res.cp_wrong = max((s for s, _ in sims), default=0.0)
        results.append(res)
        if (k + 1) % 250 == 0:
            el = time.time() - t_start
            print(f"  {k + 1}/{len(jobs)} queries, {el:.0f} s", file=sys.stderr)
    top = sorted(spent.items(), key=lambda kv: -kv[1])
    print("  time: " + ", ".join(f"{k} {v:.0f} s" for k, v in top[:12]), file=sys.stderr)
    return results


# --------------------------------------------------------------------------- analysis


def rescore(results: list[Result], hours: float) -> None:
    """Scores from the raw counts with the module's current chance model."""

    def score(dense: int, seconds: float) -> float:
        return A.score_from_chance(A.expected_chance(dense, hours, seconds))

    for r in results:
        r.score_right = score(r.right_dense, r.seconds) if r.right_dense >= 0 else 0.0
        wrong = [d for ref, d in r.dense if r.kind == "neg" or ref != r.track]
        r.score_wrong = score(max(wrong), r.seconds) if wrong else 0.0


def recall_table(results: list[Result], transforms: list[str], lengths: list[float]) -> dict:
    """Per (transform, length): our recall/FPR at each threshold; chromaprint's recall."""
    neg = [r for r in results if r.kind == "neg"]
    cp_neg = [r.cp_wrong for r in neg if r.cp_wrong is not None]
    cp_pos_wrong = [r.cp_wrong for r in results if r.kind == "pos" and r.cp_wrong is not None]
    cp_thr: dict[float, float | None] = {}
    for thr in THRESHOLDS:
        allowed = TARGET_FPR[thr]
        pool = np.sort(np.array(cp_neg + cp_pos_wrong))[::-1]
        if len(pool) == 0:
            cp_thr[thr] = None
            continue
        k = int(np.floor(allowed * len(pool)))  # false matches allowed
        cp_thr[thr] = float(pool[k]) + 1e-9 if k < len(pool) else 0.0
    rows = {}
    for name in transforms:
        for length in lengths:
            pos = [r for r in results if r.kind == "pos" and r.transform == name]
            pos = [r for r in pos if r.length == length]
            ng = [r for r in neg if r.transform == name and r.length == length]
            if not pos:
                continue
            row: dict = {"n_pos": len(pos), "n_neg": len(ng)}
            for thr in THRESHOLDS:
                row[f"recall@{thr}"] = float(np.mean([r.score_right >= thr for r in pos]))
                row[f"fpr@{thr}"] = float(np.mean([r.score_wrong >= thr for r in ng])) if ng else 0
                cps = [r.cp_right for r in pos if r.cp_right is not None]
                t = cp_thr[thr]
                row[f"cp@{thr}"] = float(np.mean([s >= t for s in cps])) if cps and t else None
            rows[(name, length)] = row
    return {"rows": rows, "cp_thr": cp_thr}


def false_matches(results: list[Result]) -> dict:
    out = {}
    n_neg = sum(r.kind == "neg" for r in results)
    n_all = len(results)
    for thr in THRESHOLDS:
        fm = sum(r.score_wrong >= thr for r in results)
        out[thr] = (fm, n_all, sum(r.score_wrong >= thr for r in results if r.kind == "neg"), n_neg)
    return out


def fit_chance(results: list[Result], slot_hours: np.ndarray) -> dict:
    """Fit the chance model of ``safeharbor.signals.audio`` on the distractor queries.

    Every (distractor query, reference) pair is a trial with exposure = the reference's
    hours x the query's number of 5-s windows (to the power gamma). The model says a
    trial reaches ``dense >= T`` with probability exposure * 10**(A - B*T), so the count
    of such trials is 10**(A - B*T) * total exposure; log10(count / exposure) is fitted
    by a line over the tail (the T reached by at least 3 trials, weighted by sqrt(count)).
    Only each query's candidates are recorded; the others have low counts and do not
    reach the tail.
    """
    neg = [r for r in results if r.kind == "neg"]
    win = A.DENSE_WINDOW * A.FRAME_S
    ds = np.array([d for r in neg for _, d in r.dense])
    fits = {}
    if not len(ds):
        return fits
    for gamma in (0.5, 1.0):
        expo = sum(max(1.0, r.seconds / win) ** gamma for r in neg) * float(slot_hours.sum())
        ts = np.arange(4, int(ds.max()) + 1)
        counts = np.array([(ds >= t).sum() for t in ts])
        sel = counts >= 3
        if sel.sum() < 2:
            continue
        y = np.log10(counts[sel] / expo)
        slope, icpt = np.polyfit(ts[sel], y, 1, w=np.sqrt(counts[sel]))
        fits[gamma] = {
            "A": float(icpt),
            "B": float(-slope),
            "T": ts[sel].tolist(),
            "log10rate": np.round(y, 3).tolist(),
            "counts": counts[sel].tolist(),
        }
    return fits


def scaling_check(results: list[Result], slot_hours: np.ndarray, thr_dense: list[int]) -> list:
    """False-match counts of distractor queries against 1/4, 1/2 and all references
    (subsets of the same candidates), to check that they grow with the index's hours."""
    neg = [r for r in results if r.kind == "neg"]
    n = len(slot_hours)
    rng = np.random.default_rng(0)
    out = []
    for frac in (0.25, 0.5, 1.0):
        counts = np.zeros(len(thr_dense))
        reps = 8 if frac < 1 else 1
        hours = 0.0
        for _ in range(reps):
            keep = set(rng.permutation(n)[: max(1, int(round(frac * n)))].tolist())
            hours += float(slot_hours[list(keep)].sum()) / reps
            for r in neg:
                best = max((d for s, d in r.dense if s in keep), default=0)
                counts += np.array([best >= t for t in thr_dense]) / reps
        out.append((frac, hours, counts.tolist()))
    return out


# --------------------------------------------------------------------------- speed


def fill_index(
    idx: A.AudioIndex, ref_peaks: dict[int, tuple[A.Peaks, float]], hours: float, seed: int = 0
) -> tuple[float, float]:
    """Add synthetic references until the index holds ``hours``; returns (s, GB).

    Each synthetic reference is a real reference's spectral peaks, re-drawn: the whole
    track shifted by up to half an octave, and every peak moved by about one level of
    the key's frequency-ratio field (1/36 octave), a frame in time and 3 dB in strength;
    then hashed as a reference is. That is a smoothed bootstrap of the real peak
    constellations: the key fields keep the distribution real music gives them, yet
    each synthetic track is new music (93 % of its keys are not among the real ones).

    Drawing the keys themselves from the real references' keys (what this did before)
    is right at the real references' own size, but 1.4 hours hold only 250,000 distinct
    keys: 1,000 hours of copies of them put about 880 entries on each (real music spreads
    over most of the 2**24 buckets), and a query's lookups then collect some 60 times the
    hits they would, which made the search time at 1,000 hours mostly an artefact.
    """
    t0 = time.perf_counter()
    rng = np.random.default_rng(seed)
    pool = list(ref_peaks.values())
    next_id = 10_000_000
    need = hours * 3600
    while idx.hours * 3600 < need and pool:
        p, seconds = pool[int(rng.integers(len(pool)))]
        n = len(p)
        t = p.t + rng.normal(0.0, 1.0, n)
        u = p.u + rng.uniform(-0.5, 0.5) + rng.normal(0.0, 1.0 / A.RQ_PER_OCT, n)
        order = np.argsort(t, kind="stable")
        q = A.Peaks(t[order], u[order], (p.s + rng.normal(0.0, 3.0, n))[order])
        i, j, k = A.triplets(q, A.FAN_OUT_REF)
        h, tt = A.triplet_hashes(q, i, j, k, probes=False)
        idx.add_arrays(next_id, h, tt, seconds)
        next_id += 1
    idx.compact()
    gb = (idx._m_slot.nbytes + idx._m_time.nbytes + idx._m_fine.nbytes) / 1e9
    gb += (idx._offsets.nbytes if idx._offsets is not None else 0) / 1e9
    return time.perf_counter() - t0, gb


def search_speed(
    idx: A.AudioIndex, sig: A.AudioSignal, dis: list[Track], n: int, seed: int = 1
) -> dict:
    rng = np.random.default_rng(seed)
    out: dict = {}
    # 600 s: the longest upload searched whole; 7,200 s: a two-hour one, searched in blocks
    # (AudioSignal's sampling), which should cost about what 600 s does
    for length, count in ((5.0, n), (30.0, n), (600.0, max(5, n // 20)), (7200.0, 2)):
        times = []
        extract = []
        strong = {thr: 0 for thr in THRESHOLDS}
        for _ in range(count):
            t = dis[int(rng.integers(len(dis)))]
            if length >= 600:
                x = make_other(dis, rng)(length)
            else:
                x = t.segment(float(rng.uniform(0, max(0.0, t.seconds - length))), length)
            y = ss.resample_poly(x, 160, 441).astype(np.float32)
            t0 = time.perf_counter()
            fps = sig.extract_samples(y, Role.QUERY)
            t1 = time.perf_counter()
            ms = idx.search(fps, 0.0)
            times.append(time.perf_counter() - t1)
            extract.append(t1 - t0)
            for thr in THRESHOLDS:
                strong[thr] += bool(ms and ms[0].score >= thr)
        ta = np.array(times) * 1000
        out[length] = {
            "n": count,
            "median_ms": float(np.median(ta)),
            "p99_ms": float(np.percentile(ta, 99)),
            "max_ms": float(ta.max()),
            "fingerprint_ms": float(np.median(extract) * 1000),
            "false": {str(k): v for k, v in strong.items()},
        }
    return out


# --------------------------------------------------------------------------- report


def render(
    data: dict,
    table: dict,
    fm: dict,
    fits: dict,
    scaling: list,
    thr_dense: list[int],
    cross: list,
    results: list[Result],
) -> str:
    L: list[str] = []
    L.append(
        f"Command: `{data['command']}` — {data['date']}, {data['machine']}, "
        f"{data['wall_s']:.0f} s wall."
    )
    L.append("")
    n_pos = sum(r.kind == "pos" for r in results)
    n_neg = len(results) - n_pos
    L.append(
        f"Corpus: {data['refs'][0]} reference tracks ({data['refs'][1]:.2f} h), "
        f"{data['dis'][0]} distractor tracks ({data['dis'][1]:.2f} h). "
        f"{n_pos} reference queries (one excerpt per track, length and transformation), "
        f"{n_neg} distractor queries ({data['neg_excerpts']} excerpts per track, length and "
        "transformation; one for mix_10min)."
    )
    L.append("")
    cp_note = "" if data["chromaprint"] else " (Chromaprint unavailable on this machine: empty)"
    L.append(
        "Recall = the right reference at or above the threshold and placed within 1 s. "
        "FPR = distractor queries of that row matching any reference at or above the "
        f"threshold. Chromaprint: 10 and 30 s excerpts only{cp_note}."
    )
    L.append("")
    L.append(
        "| transform | length | ours recall @0.80 | @0.65 | Chromaprint @FPR<=1e-4 | @FPR<=1e-3 "
        "| ours FPR @0.80 | @0.65 |"
    )
    L.append("|---|---|---|---|---|---|---|---|")
    rows = table["rows"]
    means: dict[str, list[float]] = defaultdict(list)
    for (name, length), row in rows.items():
        cp1, cp2 = row["cp@0.8"], row["cp@0.65"]
        L.append(
            f"| {name} | {length:.0f} s | {row['recall@0.8']:.3f} | {row['recall@0.65']:.3f} "
            f"| {'' if cp1 is None else f'{cp1:.3f}'} | {'' if cp2 is None else f'{cp2:.3f}'} "
            f"| {row['fpr@0.8']:.4f} | {row['fpr@0.65']:.4f} |"
        )
        means["r80"].append(row["recall@0.8"])
        means["r65"].append(row["recall@0.65"])
        means[f"r80_{length:.0f}"].append(row["recall@0.8"])
        if cp1 is not None:
            means["ours_cp"].append(row["recall@0.8"])
            means["cp80"].append(cp1)
    L.append(
        f"| **mean** | all | {np.mean(means['r80']):.3f} | {np.mean(means['r65']):.3f} | | | | |"
    )
    L.append("")
    L.append(
        "Mean recall @0.80 by excerpt length: "
        + ", ".join(
            f"{lg:.0f} s {np.mean(means[f'r80_{lg:.0f}']):.3f}"
            for lg in data["lengths"]
            if means[f"r80_{lg:.0f}"]
        )
        + "."
        + (
            f" On the rows Chromaprint runs on: ours {np.mean(means['ours_cp']):.3f}, "
            f"Chromaprint {np.mean(means['cp80']):.3f} (each at FPR <= 1e-4)."
            if means["cp80"]
            else ""
        )
    )
    L.append("")
    for thr in THRESHOLDS:
        f_all, n_all, f_neg, n_neg2 = fm[thr]
        L.append(
            f"False matches at score >= {thr:.2f}: {f_neg} of {n_neg2} distractor queries, "
            f"{f_all} of {n_all} queries counting wrong references on reference queries "
            f"(rate {f_all / max(1, n_all):.2e}, target <= {TARGET_FPR[thr]:.0e})."
        )
    cp_thr = table["cp_thr"]
    if data["chromaprint"] and cp_thr[0.8] is not None:
        L.append(
            "Chromaprint thresholds picked on these distractors: similarity (1 - bit error "
            f"rate) >= {cp_thr[0.8]:.3f} for FPR <= 1e-4, >= {cp_thr[0.65]:.3f} for <= 1e-3."
        )
    L.append("")
    L.append(
        "Chance model (the score's calibration), fitted on the (distractor query, "
        "reference) pairs of this run: log10 rate of pairs with >= T votes in 5 s, per "
        "reference hour and per 5 s of query = "
        + "; ".join(f"{fits[g]['A']:.2f} - {fits[g]['B']:.3f} T (gamma {g})" for g in fits)
        + f". In the module: A = {A.CHANCE_A}, B = {A.CHANCE_B}, gamma = {A.CHANCE_GAMMA}."
    )
    if cross:
        L.append(
            "Split check (fitted on the distractor queries of half the distractor tracks, "
            "false matches counted on the other half): "
            + "; ".join(
                f"fit A={a:.2f} B={b:.3f} -> {c[0]} of {n} at >= 0.80, {c[1]} at >= 0.65"
                for _, a, b, n, c in cross
            )
            + "."
        )
    L.append("")
    L.append(
        "Index-size check (distractor queries with >= T votes in 5 s against random "
        "subsets of the references; the chance model expects the counts to grow in "
        "proportion to the hours): "
        + "; ".join(
            f"{h:.2f} h: "
            + ", ".join(f"T={t}: {c:.1f}" for t, c in zip(thr_dense, counts, strict=True))
            for _, h, counts in scaling
        )
        + "."
    )
    L.append("")
    speed, fill = data["speed"], data["fill"]
    fs = speed["fp"]
    L.append(
        f"Speed, one core: fingerprinting {fs['fp_x']:.0f}x real time (peaks + hashes), "
        f"decoding {fs['decode_x']:.0f}x real time (Ogg Vorbis 44.1 kHz stereo to 8 kHz "
        f"mono), over {fs['audio_h']:.2f} h of reference audio."
    )
    if fill:
        sp = speed["search"]
        L.append(
            f"Search against {fill['hours']:.0f} hours of references "
            f"({fill['entries'] / 1e6:.0f} M landmarks, {fill['gb']:.2f} GB of index arrays, "
            f"built in {fill['build_s']:.0f} s; "
            "synthetic references re-drawn from the real references' peaks): "
            + "; ".join(
                f"{float(lg):.0f} s queries median {v['median_ms']:.0f} ms, "
                f"p99 {v['p99_ms']:.0f} ms (n={v['n']}; {v['false']['0.8']} of them "
                "distractors matching at >= 0.80; fingerprinting the decoded audio "
                f"{v.get('fingerprint_ms', 0):.0f} ms)"
                for lg, v in sp.items()
            )
            + "."
        )
    ex = [r.extract_s for r in results]
    L.append(
        f"Query fingerprinting (decode + hash of the uploaded file, all queries): median "
        f"{np.median(ex) * 1000:.0f} ms; search against the benchmark index: median "
        f"{np.median([r.search_s for r in results]) * 1000:.0f} ms."
    )
    return "\n".join(L)


def cross_check(results: list[Result], slot_hours: np.ndarray, hours: float) -> list:
    """Fit the chance model on the distractor queries of half the distractor tracks and
    count false matches among the other half's with that fit (both ways round)."""
    out = []
    gamma = A.CHANCE_GAMMA
    win = A.DENSE_WINDOW * A.FRAME_S
    for half in (0, 1):
        fit_on = [r for r in results if r.kind == "pos" or r.track % 2 == half]
        test = [r for r in results if r.kind == "neg" and r.track % 2 != half]
        f = fit_chance(fit_on, slot_hours).get(gamma)
        if f is None or not test:
            continue
        counts = []
        for thr in THRESHOLDS:
            n = 0
            for r in test:
                d = max((d for _, d in r.dense), default=0)
                lam = 10 ** (f["A"] - f["B"] * d) * max(hours, A.MIN_INDEX_HOURS)
                lam *= max(1.0, r.seconds / win) ** gamma
                n += A.score_from_chance(lam) >= thr
            counts.append(n)
        out.append((half, f["A"], f["B"], len(test), counts))
    return out


def report(args: argparse.Namespace, data: dict) -> str:
    results = [Result(**{**r, "dense": [tuple(x) for x in r["dense"]]}) for r in data["results"]]
    slot_hours = np.array(data["slot_hours"])
    rescore(results, data["bench_hours"])
    table = recall_table(results, data["transforms"], data["lengths"])
    fm = false_matches(results)
    fits = fit_chance(results, slot_hours)
    thr_dense = [8, 10, 12, 14]
    scaling = scaling_check(results, slot_hours, thr_dense)
    cross = cross_check(results, slot_hours, data["bench_hours"])
    return render(data, table, fm, fits, scaling, thr_dense, cross, results)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--write-docs", action="store_true")
    ap.add_argument(
        "--rescore",
        action="store_true",
        help="no queries: recompute the report from the last run's raw counts with the "
        "module's current chance model (after re-fitting it)",
    )
    ap.add_argument("--transforms", default=",".join(TRANSFORMS))
    ap.add_argument("--neg-excerpts", type=int, default=None)
    ap.add_argument("--fill-hours", type=float, default=None)
    ap.add_argument("--timing-queries", type=int, default=None)
    ap.add_argument("--no-chromaprint", action="store_true")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument(
        "--speed-only",
        action="store_true",
        help="no recall queries: fingerprint the references, fill the index to "
        "--fill-hours and time searches (prints JSON; nothing is written)",
    )
    args = ap.parse_args()
    out = RESULTS / ("audio_bench_quick.json" if args.quick else "audio_bench.json")
    if args.rescore:
        md = report(args, json.loads(out.read_text()))
        print(md)
        if args.write_docs:
            write_docs(md, "audio-bench")
        return
    args.transforms = args.transforms.split(",")
    args.lengths = [5.0, 30.0] if args.quick else list(LENGTHS)
    if args.neg_excerpts is None:
        args.neg_excerpts = 1 if args.quick else 2
    if args.fill_hours is None:
        args.fill_hours = 100.0 if args.quick else 1000.0
    if args.timing_queries is None:
        args.timing_queries = 40 if args.quick else 100
    wall0 = time.time()
    tracks = build()
    refs = [t for t in tracks if t.is_reference]
    dis = [t for t in tracks if not t.is_reference]
    if args.quick:
        refs, dis = refs[::2], dis[::2]
    sig = A.AudioSignal()
    idx = A.AudioIndex()
    print(f"{len(refs)} references, {len(dis)} distractors; fingerprinting", file=sys.stderr)
    ref_fps = {}
    ref_peaks: dict[int, tuple[A.Peaks, float]] = {}
    dec_s = fp_s = audio_s = 0.0
    for i, t in enumerate(refs):
        # what AudioSignal.extract does, with decoding and hashing timed apart
        t0 = time.perf_counter()
        with MonoDecoder(t.path, A.RATE, sig.max_seconds) as d:
            chunks = list(d.chunks())
        t1 = time.perf_counter()
        ps = A.PeakStream()
        for c in chunks:
            ps.feed(c)
        peaks = ps.finish()
        ref_fps[i] = sig.fingerprints(peaks, ps.samples / A.RATE, Role.REFERENCE, None)
        ref_peaks[i] = (peaks, ps.samples / A.RATE)
        t2 = time.perf_counter()
        dec_s, fp_s, audio_s = dec_s + t1 - t0, fp_s + t2 - t1, audio_s + ps.samples / A.RATE
        idx.add(i, ref_fps[i])
    fp_speed = {"audio_h": audio_s / 3600, "decode_x": audio_s / dec_s, "fp_x": audio_s / fp_s}
    if args.speed_only:
        build_s, gb = fill_index(idx, ref_peaks, args.fill_hours)
        fill = {"hours": idx.hours, "entries": idx.entries, "gb": gb, "build_s": build_s}
        speed = search_speed(idx, sig, dis, args.timing_queries)
        print(json.dumps({"fp": fp_speed, "fill": fill, "search": speed}, indent=1))
        return
    cp = None if args.no_chromaprint else find_fpcalc()
    cp_refs = []
    if cp is not None:
        for t in refs:
            cp_refs.append(CpRef(_bits(fpcalc(cp, t.path.read_bytes(), t.path.suffix))))
    else:
        print("chromaprint (fpcalc) not available: baseline skipped", file=sys.stderr)
    print("queries", file=sys.stderr)
    bench_hours = idx.hours
    results = run_queries(args, sig, idx, refs, dis, cp, cp_refs)
    print("speed", file=sys.stderr)
    speed: dict = {"fp": fp_speed}
    fill: dict = {}
    if args.fill_hours > 0:
        build_s, gb = fill_index(idx, ref_peaks, args.fill_hours)
        fill = {"hours": idx.hours, "entries": idx.entries, "gb": gb, "build_s": build_s}
        speed["search"] = search_speed(idx, sig, dis, args.timing_queries)
    data = {
        "command": "python bench/audio_bench.py" + (" --quick" if args.quick else ""),
        "date": datetime.date.today().isoformat(),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores (one used), Python "
        f"{platform.python_version()}, numpy {np.__version__}, scipy {scipy.__version__}",
        "wall_s": time.time() - wall0,
        "refs": [len(refs), sum(t.seconds for t in refs) / 3600],
        "dis": [len(dis), sum(t.seconds for t in dis) / 3600],
        "neg_excerpts": args.neg_excerpts,
        "transforms": args.transforms,
        "lengths": args.lengths,
        "chromaprint": cp is not None,
        "bench_hours": bench_hours,
        "slot_hours": [t.seconds / 3600 for t in refs],
        "speed": speed,
        "fill": fill,
        "results": [asdict(r) for r in results],
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(data, default=float))
    md = report(args, data)
    print(md)
    if args.write_docs:
        write_docs(md, "audio-bench")


if __name__ == "__main__":
    main()
