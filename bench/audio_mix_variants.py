"""Variants of the audio signal's peak picking for ``audio_mix_probe.py`` (experiments;
installed by monkeypatching ``safeharbor.signals.audio.find_peaks``)."""

from __future__ import annotations

import numpy as np
from scipy import ndimage

from safeharbor.signals import audio as A

ORIGINAL = A.find_peaks


def _finish(db, e, cand, first_frame, keep):  # type: ignore[no-untyped-def]
    level = ndimage.maximum_filter1d(db.max(axis=1), size=2 * A.LEVEL_T + 1, mode="nearest")
    mean = ndimage.uniform_filter(db, size=(2 * A.MEAN_T + 1, 2 * A.MEAN_F + 1), mode="nearest")
    cand &= (db - mean >= A.PROM_DB) & (db > A.FLOOR_DB)
    cand &= db >= level[:, None] - A.REL_DB
    cand[0, :] = cand[-1, :] = False
    cand[:, 0] = cand[:, -1] = False
    ti, ki = np.nonzero(cand)
    abs_t = ti + first_frame
    sel = (abs_t >= keep[0]) & (abs_t < keep[1])
    ti, ki = ti[sel], ki[sel]
    c = db[ti, ki].astype(np.float64)
    fl, fr = db[ti, ki - 1], db[ti, ki + 1]
    den = fl - 2 * c + fr
    dk = np.where(den < 0, 0.5 * (fl - fr) / np.where(den < 0, den, -1.0), 0.0)
    tl, tr = db[ti - 1, ki], db[ti + 1, ki]
    den = tl - 2 * c + tr
    dtt = np.where(den < 0, 0.5 * (tl - tr) / np.where(den < 0, den, -1.0), 0.0)
    t = abs_t[sel].astype(np.float64) + np.clip(dtt, -0.5, 0.5)
    u = A.U_LO + (ki + np.clip(dk, -0.5, 0.5)) / A.BINS_PER_OCT
    order = np.lexsort((u, t))
    return A.Peaks(t[order], u[order], c[order])


def _e(db):  # type: ignore[no-untyped-def]
    past = ndimage.maximum_filter1d(
        db, size=A.ONSET_T, axis=0, mode="nearest", origin=(A.ONSET_T - 1) // 2
    )
    past = np.concatenate([past[:1], past[:-1]])
    return db + A.ONSET_W * np.clip(db - past, 0.0, A.ONSET_MAX_DB)


def cross(db, first_frame, keep):  # type: ignore[no-untyped-def]
    """Maximum along its frame (+-PEAK_F bins) and along its bin (+-PEAK_T frames)."""
    if len(db) < 3:
        return A.Peaks.empty()
    e = _e(db)
    mt = ndimage.maximum_filter1d(e, size=2 * A.PEAK_T + 1, axis=0, mode="nearest")
    mf = ndimage.maximum_filter1d(e, size=2 * A.PEAK_F + 1, axis=1, mode="nearest")
    return _finish(db, e, (e == mt) & (e == mf), first_frame, keep)


def small(db, first_frame, keep):  # type: ignore[no-untyped-def]
    """Box max over a smaller neighbourhood (SMALL_T x SMALL_F)."""
    if len(db) < 3:
        return A.Peaks.empty()
    e = _e(db)
    mx = ndimage.maximum_filter(e, size=(2 * SMALL[0] + 1, 2 * SMALL[1] + 1), mode="nearest")
    return _finish(db, e, e == mx, first_frame, keep)


SMALL = (2, 3)
VARIANTS = {"original": ORIGINAL, "cross": cross, "small": small}
