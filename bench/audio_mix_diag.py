"""Why reference peaks are lost under a mix: one line per reference query of a mix.

    python bench/audio_mix_diag.py [--length 10] [--transform music_0-6db]
    python bench/audio_mix_diag.py --triplets [--transform speech_0-6db]

Without ``--triplets``, for each reference track: the excerpt the benchmark cuts (same
seed), the mix rebuilt from the same random draws (so the interfering signal is known on
its own), and then:
the SNR in the peaks' band (280-3500 Hz) against the broadband SNR the mix was set to;
how many of the reference's own peaks in that span the clean excerpt keeps and the mixed
one keeps (within 1.5 frames and 1.5 bins); of the lost ones, which rule dropped them
(not a local maximum, prominence, the relative level rule).

With ``--triplets``: of the reference's triplets anchored in the excerpt's span, how many
keep all three peaks in the query, how many of those the query also forms (its targets
reach them), how many of those hash alike (some probe of the query's equals the
reference's key); and for the formed ones, how often each key field lands on another
level than the reference's, with the size of the errors (in levels of that field).
"""

from __future__ import annotations

import argparse
import zlib

import _common  # noqa: F401
import numpy as np
from audio_bench import make_other
from audio_corpus import WORK_RATE, build
from audio_mix_probe import ref_samples
from audio_transforms import _rms, apply, decode, speech_like
from scipy import ndimage
from scipy import signal as ss

from safeharbor.signals import audio as A


def band_power(x: np.ndarray, rate: int) -> float:
    sos = ss.butter(6, [A.F_LO, A.F_HI], btype="bandpass", fs=rate, output="sos")
    return float(np.mean(ss.sosfilt(sos, x.astype(np.float64)) ** 2) + 1e-20)


def rules(db: np.ndarray) -> dict[str, np.ndarray]:
    """The masks find_peaks applies (same arithmetic)."""
    past = ndimage.maximum_filter1d(
        db, size=A.ONSET_T, axis=0, mode="nearest", origin=(A.ONSET_T - 1) // 2
    )
    past = np.concatenate([past[:1], past[:-1]])
    e = db + A.ONSET_W * np.clip(db - past, 0.0, A.ONSET_MAX_DB)
    mx = ndimage.maximum_filter(e, size=(2 * A.PEAK_T + 1, 2 * A.PEAK_F + 1), mode="nearest")
    mean = ndimage.uniform_filter(db, size=(2 * A.MEAN_T + 1, 2 * A.MEAN_F + 1), mode="nearest")
    level = ndimage.maximum_filter1d(db.max(axis=1), size=2 * A.LEVEL_T + 1, mode="nearest")
    return {
        "max": e == mx,
        "prom": db - mean >= A.PROM_DB,
        "rel": db >= level[:, None] - A.REL_DB,
    }


def kept(ref_t: np.ndarray, ref_u: np.ndarray, p: A.Peaks, shift: float) -> np.ndarray:
    """Which reference peaks have a peak of ``p`` (times + shift) within 1.5 frame/bin."""
    out = np.zeros(len(ref_t), bool)
    for i, (t, u) in enumerate(zip(ref_t, ref_u, strict=True)):
        dt = np.abs(p.t + shift - t)
        du = np.abs(p.u - u) * A.BINS_PER_OCT
        out[i] = bool(np.any((dt <= 1.5) & (du <= 1.5)))
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--length", type=float, default=10.0)
    ap.add_argument("--transform", default="music_0-6db")
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    tracks = build(verbose=False)
    refs = [t for t in tracks if t.is_reference]
    dis = [t for t in tracks if not t.is_reference]
    print(
        "track | snr set / in band | ref peaks/s | kept clean | kept mixed | lost by: "
        "notmax prom rel | mixed peaks/s | from ref"
    )
    for ti, t in enumerate(refs):
        length = args.length
        name = args.transform
        if t.seconds < length + 1:
            continue
        seed = zlib.crc32(f"{args.seed}/pos/{t.name}/{length}/{name}/0".encode())
        rng = np.random.default_rng(seed)
        start = float(rng.uniform(0, t.seconds - length))
        x = t.segment(start, length)
        if name == "speech_0-6db":
            bg = speech_like(len(x) / WORK_RATE, WORK_RATE, rng)
        else:
            bg = make_other(dis, rng)(len(x) / WORK_RATE)
        snr = float(rng.uniform(0, 6))
        bg = bg[: len(x)]
        g = _rms(x) / (_rms(bg) * 10 ** (snr / 20))
        inband = 10 * np.log10(band_power(x, WORK_RATE) / band_power(g * bg, WORK_RATE))
        y = x + g * bg
        pk = float(np.max(np.abs(y)))
        if pk > 1:
            y = y / pk * 0.95
        to8 = lambda z: ss.resample_poly(z, 160, 441).astype(np.float32)  # noqa: E731
        pc = A.peaks_of_samples(to8(x))
        pm = A.peaks_of_samples(to8(y))
        rp = A.peaks_of_samples(ref_samples(t))
        f0 = start / A.FRAME_S
        sel = (rp.t >= f0 + 8) & (rp.t < f0 + length / A.FRAME_S - 8)
        rt, ru = rp.t[sel], rp.u[sel]
        kc = kept(rt, ru, pc, f0)
        km = kept(rt, ru, pm, f0)
        db = A.spectrogram_db(to8(y))
        m = rules(db)
        lost = kc & ~km
        ti_ = np.clip(np.round(rt - f0).astype(int), 0, len(db) - 1)
        ki_ = np.clip(np.round((ru - A.U_LO) * A.BINS_PER_OCT).astype(int), 0, A.N_BINS - 1)
        why = [int((lost & ~m[r][ti_, ki_]).sum()) for r in ("max", "prom", "rel")]
        # mixed peaks that sit on a clean peak (the reference's) vs new (the other's)
        onref = kept(pm.t, pm.u, pc, 0.0)
        print(
            f"{ti:2d} {t.name.split('/')[-1][:18]:18s} | {snr:4.1f} / {inband:5.1f} | "
            f"{len(rt) / length:5.1f} | {kc.mean():.2f} | {km.mean():.2f} | "
            f"{why[0]:3d} {why[1]:3d} {why[2]:3d} of {lost.sum():3d} | "
            f"{len(pm) / length:5.1f} | {onref.mean():.2f}"
        )


def match_peaks(ref_t: np.ndarray, ref_u: np.ndarray, p: A.Peaks, shift: float) -> np.ndarray:
    """For each reference peak, the index of the nearest peak of ``p`` within 1.5
    frames and 1.5 bins, or -1."""
    out = np.full(len(ref_t), -1, np.int64)
    for i, (t, u) in enumerate(zip(ref_t, ref_u, strict=True)):
        dt = np.abs(p.t + shift - t)
        du = np.abs(p.u - u) * A.BINS_PER_OCT
        ok = (dt <= 1.5) & (du <= 1.5)
        if ok.any():
            c = np.flatnonzero(ok)
            out[i] = int(c[np.argmin(dt[c] + du[c])])
    return out


FIELDS = ("rq12", "rq13", "tau", "order12", "order23", "dt13")


def field_values(p: A.Peaks, i: np.ndarray, j: np.ndarray, k: np.ndarray) -> np.ndarray:
    """The key fields of triplet_hashes before quantisation (order fields in dB)."""
    ui = p.u[i]
    return np.stack(
        [
            (p.u[j] - ui) * A.RQ_PER_OCT + A.RQ_OFF + 0.5,
            (p.u[k] - ui) * A.RQ_PER_OCT + A.RQ_OFF + 0.5,
            np.minimum((p.t[j] - p.t[i]) / np.maximum(p.t[k] - p.t[i], 0.5), 1.0) * A.TAU_LEVELS,
            p.s[j] - p.s[i],
            p.s[k] - p.s[j],
            np.log2(np.maximum(p.t[k] - p.t[i], 0.5)) * A.DT13_PER_OCT,
        ],
        1,
    )


def triplet_losses(rp: A.Peaks, pm: A.Peaks, f0: float, nframes: float) -> tuple:
    """Of the reference's triplets anchored in the span: how many have all three peaks
    in the query, how many of those the query also forms, how many of those hash alike."""
    i, j, k = A.triplets(rp, A.FAN_OUT_REF)
    sel = (rp.t[i] >= f0 + 2) & (rp.t[k] < f0 + nframes - 2)
    i, j, k = i[sel], j[sel], k[sel]
    m = match_peaks(rp.t, rp.u, pm, f0)
    qi, qj, qk = m[i], m[j], m[k]
    kept3 = (qi >= 0) & (qj >= 0) & (qk >= 0)
    a, b, c = A.triplets(pm, A.FAN_OUT_QUERY)
    formed_set = set(zip(a.tolist(), b.tolist(), c.tolist(), strict=True))
    formed = np.array(
        [
            bool(x) and (int(p), int(q), int(r)) in formed_set
            for x, p, q, r in zip(kept3, qi, qj, qk, strict=True)
        ],
        bool,
    )
    n_ = np.flatnonzero(formed)
    fr = field_values(rp, i[n_], j[n_], k[n_])
    fq = field_values(pm, qi[n_], qj[n_], qk[n_])
    same = 0
    for n in np.flatnonzero(formed):
        hr, _ = A.triplet_hashes(rp, i[n : n + 1], j[n : n + 1], k[n : n + 1], probes=False)
        hq, _ = A.triplet_hashes(pm, qi[n : n + 1], qj[n : n + 1], qk[n : n + 1], probes=True)
        same += bool(np.isin(hr & A.KEY_MASK, hq & A.KEY_MASK).any())
    return (len(i), int(kept3.sum()), int(formed.sum()), same), fr, fq


def main2() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--length", type=float, default=10.0)
    ap.add_argument("--transform", default="music_0-6db")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--triplets", action="store_true")
    args = ap.parse_args()
    tracks = build(verbose=False)
    refs = [t for t in tracks if t.is_reference]
    dis = [t for t in tracks if not t.is_reference]
    tot = np.zeros(4)
    frs, fqs = [], []
    print("track | ref triplets | all 3 peaks kept | formed by the query | same hash")
    for t in refs:
        length, name = args.length, args.transform
        if t.seconds < length + 1:
            continue
        seed = zlib.crc32(f"{args.seed}/pos/{t.name}/{length}/{name}/0".encode())
        rng = np.random.default_rng(seed)
        start = float(rng.uniform(0, t.seconds - length))
        x = t.segment(start, length)
        q = apply(name, x, WORK_RATE, rng, make_other(dis, rng))
        y = decode(q.data, A.RATE)
        pm = A.peaks_of_samples(y)
        rp = A.peaks_of_samples(ref_samples(t))
        r, fr, fq = triplet_losses(rp, pm, start / A.FRAME_S, length / A.FRAME_S)
        frs.append(fr)
        fqs.append(fq)
        tot += r
        print(f"{t.name.split('/')[-1][:18]:18s} | {r[0]:4d} | {r[1]:4d} | {r[2]:4d} | {r[3]:4d}")
    print(
        f"total {tot.astype(int).tolist()}: all 3 kept {tot[1] / tot[0]:.3f}, formed "
        f"{tot[2] / max(1, tot[1]):.3f} of those, same hash {tot[3] / max(1, tot[2]):.3f} of those"
    )
    fr, fq = np.concatenate(frs), np.concatenate(fqs)
    for f, label in enumerate(FIELDS):
        err = np.abs(fq[:, f] - fr[:, f])
        if label.startswith("order"):
            other = (fr[:, f] >= 0) != (fq[:, f] >= 0)
            unit = "dB"
        else:
            other = np.floor(fr[:, f]) != np.floor(fq[:, f])
            unit = "levels"
        p50, p90 = np.percentile(err, [50, 90])
        print(
            f"  {label:8s} other level {other.mean():.3f}; error p50 {p50:.2f} p90 {p90:.2f} {unit}"
        )


if __name__ == "__main__":
    import sys as _s

    if "--triplets" in _s.argv:
        main2()
    else:
        main()
