"""Winnowing's two guarantees, and its agreement with the definition window by window."""

from __future__ import annotations

import numpy as np
import pytest

from safeharbor.signals import winnowing as wn


def _brute(h: np.ndarray, w: int) -> list[int]:
    if len(h) <= w:
        return [int(np.argmin(h))]
    kept: set[int] = set()
    for i in range(len(h) - w + 1):
        win = h[i : i + w]
        m = win.min()
        kept.update(i + j for j in range(w) if win[j] == m)
    return sorted(kept)


@pytest.mark.parametrize("w", [1, 2, 3, 4, 5, 8, 17])
def test_winnow_keeps_each_window_minimum_and_nothing_else(w: int) -> None:
    rng = np.random.default_rng(w)
    for n in (1, 2, w, w + 1, 50, 333):
        # small values force ties; large ones exercise the top bit (uint64 -> int64 map)
        for high in (5, 2**64 - 1):
            h = rng.integers(0, high, size=n, dtype=np.uint64, endpoint=True)
            assert wn.winnow(h, w).tolist() == _brute(h, w), (n, high)


def test_a_shared_run_of_w_plus_k_minus_1_tokens_always_shares_a_kept_hash() -> None:
    rng = np.random.default_rng(1)
    k, w = 5, 8
    for _ in range(200):
        shared = rng.integers(0, 1000, size=w + k - 1).astype(np.uint64)
        a = np.concatenate([rng.integers(1000, 2000, size=40), shared, rng.integers(0, 9, 30)])
        b = np.concatenate([rng.integers(3000, 4000, size=17), shared])
        ha, _ = wn.fingerprint(a.astype(np.uint64), k, w)
        hb, _ = wn.fingerprint(b.astype(np.uint64), k, w)
        assert set(ha.tolist()) & set(hb.tolist())


def test_runs_shorter_than_k_share_nothing_and_order_matters() -> None:
    k = 4
    a = wn.token_ids(["the", "cat", "sat", "on", "a", "mat"])
    b = wn.token_ids(["mat", "a", "on", "sat", "cat", "the"])
    assert not set(wn.kgram_hashes(a, k).tolist()) & set(wn.kgram_hashes(b, k).tolist())
    assert len(wn.kgram_hashes(a[:3], k)) == 0
    # ids are stable across processes (stored fingerprints must stay comparable)
    assert wn.token_ids(["copyright"]).tolist() == [16291203166237520845]


def test_density_is_about_two_over_w_plus_one() -> None:
    rng = np.random.default_rng(2)
    ids = rng.integers(0, 2**63, size=200_000).astype(np.uint64)
    for w in (4, 16, 40):
        h, _ = wn.fingerprint(ids, 5, w)
        assert abs(len(h) / len(ids) - 2 / (w + 1)) < 0.1 * 2 / (w + 1)
