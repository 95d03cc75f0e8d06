"""Winnowing (Schleimer, Wilkerson and Aiken, SIGMOD 2003: the method behind MOSS).

Text and code are both turned into a sequence of normalised tokens (characters, words or
program tokens); every run of ``k`` consecutive tokens is hashed, and in every window of
``w`` consecutive hashes the smallest is kept. Two guarantees make this the field's base:
a shared run of at least ``w + k - 1`` tokens always shares at least one kept hash
(nothing long is missed), and a shared run shorter than ``k`` never does (noise such as
common words does not match). The density of kept hashes is about ``2 / (w + 1)``.

The signals keep, for every kept hash, the index of the k-gram's first token, so a match
can be placed back in the original characters or lines.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable

import numpy as np
from numpy.typing import NDArray

U64 = NDArray[np.uint64]

_MULT = np.uint64(0x9E3779B97F4A7C15)


def token_ids(tokens: Iterable[str]) -> U64:
    """A 64-bit id per token, the same on every machine and in every process (Python's own
    ``hash`` of a string is salted per process, so it cannot be stored)."""
    seen: dict[str, int] = {}
    out: list[int] = []
    for t in tokens:
        v = seen.get(t)
        if v is None:
            # a text has few distinct tokens: hash each once (a 1 MB upload: ~0.2 s saved)
            digest = hashlib.blake2b(t.encode("utf-8"), digest_size=8).digest()
            v = seen[t] = int.from_bytes(digest, "little")
        out.append(v)
    return np.asarray(out, dtype=np.uint64)


def _mix(h: U64) -> U64:
    # splitmix64's finaliser: a polynomial hash of small ids is far from uniform, and the
    # window minimum is only an unbiased sample of the k-grams when the hash is uniform
    h = h ^ (h >> np.uint64(30))
    h = h * np.uint64(0xBF58476D1CE4E5B9)
    h = h ^ (h >> np.uint64(27))
    h = h * np.uint64(0x94D049BB133111EB)
    return h ^ (h >> np.uint64(31))


def kgram_hashes(ids: U64, k: int) -> U64:
    """The hash of every run of ``k`` consecutive token ids (``len(ids) - k + 1`` of them;
    none when there are fewer than ``k`` tokens). Order matters inside a k-gram."""
    n = len(ids) - k + 1
    if n <= 0:
        return np.zeros(0, dtype=np.uint64)
    with np.errstate(over="ignore"):
        h = np.zeros(n, dtype=np.uint64)
        for j in range(k):
            h = h * _MULT + ids[j : j + n]
        return _mix(h)


def winnow(hashes: U64, w: int) -> NDArray[np.int64]:
    """Indices of the hashes winnowing keeps with window ``w``, in increasing order.

    A hash is kept when it is the minimum of at least one window of ``w`` consecutive
    hashes that holds it (ties all kept, which only happens for a repeated k-gram).
    """
    n = len(hashes)
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    if n <= w:
        return np.asarray([int(np.argmin(hashes))], dtype=np.int64)
    # m[i] = min(hashes[i : i + w]) for every full window i
    m = _running(hashes, w, np.minimum)
    # the windows holding position p are i in [p - w + 1, p]; p is kept when its hash
    # equals the largest of those windows' minima (it can be no smaller than any of them)
    pad = np.zeros(w - 1, dtype=np.uint64)
    best = _running(np.concatenate([pad, m, pad]), w, np.maximum)
    return np.flatnonzero(hashes == best[:n]).astype(np.int64)


def _running(a: U64, w: int, op: np.ufunc) -> U64:
    """``op`` over every window of ``w`` consecutive values, in slices so that a 1 MB
    upload never needs a window-by-window copy of itself."""
    out = np.empty(len(a) - w + 1, dtype=a.dtype)
    step = max(1, (1 << 22) // w)
    for lo in range(0, len(out), step):
        hi = min(len(out), lo + step)
        view = np.lib.stride_tricks.sliding_window_view(a[lo : hi + w - 1], w)
        out[lo:hi] = op.reduce(view, axis=1)
    return out


def fingerprint(ids: U64, k: int, w: int) -> tuple[U64, NDArray[np.int64]]:
    """Winnowed k-gram hashes of a token sequence and the index of each one's first
    token."""
    h = kgram_hashes(ids, k)
    keep = winnow(h, w)
    return h[keep], keep
