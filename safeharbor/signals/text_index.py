"""The text signal's inverted index and its passage grouping.

* ``Segment``: hash -> (reference slot, ordinal of the hash in that reference) as numpy
  arrays: the distinct hashes sorted (``keys``), CSR offsets into the entries, and for
  each distinct hash the number of distinct references holding it (``df``, so common
  phrases and boilerplate can count less). A lookup is one ``searchsorted`` of the query's
  distinct hashes; no Python object per hash, so 10,000 books (~10**8 entries) fit in a
  few GB and a 1 MB upload (~10**6 hashes) is looked up in a fraction of a second.
* ``passages``: the shared hashes of one reference grouped into passages. Hits are split
  wherever consecutive ones (sorted by query position, then by reference position, and
  again until nothing splits) are more than ``gap`` tokens apart. A passage is therefore a
  box in (query, reference) space, not a diagonal: sentences reordered inside a paragraph
  stay in one passage, while chance hits scattered over a book do not join up.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from safeharbor.arrays import F64, I64, U32

U64 = npt.NDArray[np.uint64]


def expand(starts: I64, lens: I64) -> tuple[I64, I64]:
    """(row, position) for every ``starts[row] + j``, ``j < lens[row]``."""
    total = int(lens.sum()) if len(lens) else 0
    if total == 0:
        z = np.zeros(0, np.int64)
        return z, z.copy()
    rows = np.repeat(np.arange(len(lens), dtype=np.int64), lens)
    first = np.cumsum(lens) - lens
    pos = np.arange(total, dtype=np.int64) - np.repeat(first, lens) + np.repeat(starts, lens)
    return rows, pos


class Segment:
    """An immutable sorted block of index entries."""

    def __init__(self, key: U64, slot: U32, ordinal: U32) -> None:
        order = np.lexsort((ordinal, slot, key))
        key, self.slot, self.ordinal = key[order], slot[order], ordinal[order]
        n = len(key)
        new_key = np.ones(n, bool)
        new_key[1:] = key[1:] != key[:-1]
        starts = np.flatnonzero(new_key)
        self.keys: U64 = key[starts]
        self.offsets: I64 = np.append(starts, n).astype(np.int64)
        # distinct references per hash: entries are sorted by (key, slot)
        new_pair = new_key.copy()
        new_pair[1:] |= self.slot[1:] != self.slot[:-1]
        self.df: I64 = np.add.reduceat(new_pair.astype(np.int64), starts) if n else starts

    def __len__(self) -> int:
        return len(self.slot)

    def lookup(self, qkeys: U64) -> tuple[I64, I64, I64]:
        """For distinct query hashes: (row of qkeys, entry index, df of the hash) per hit."""
        if not len(self.keys) or not len(qkeys):
            z = np.zeros(0, np.int64)
            return z, z.copy(), z.copy()
        at = np.searchsorted(self.keys, qkeys)
        at_c = np.minimum(at, len(self.keys) - 1)
        found = self.keys[at_c] == qkeys
        rows = np.flatnonzero(found)
        k = at_c[rows]
        lo = self.offsets[k]
        r, pos = expand(lo, self.offsets[k + 1] - lo)
        return rows[r], pos, self.df[k][r]

    def keys_full(self) -> U64:
        """The key of every entry (the CSR form undone), for merging."""
        return np.repeat(self.keys, np.diff(self.offsets))

    def df_of(self, qkeys: U64) -> I64:
        out = np.zeros(len(qkeys), np.int64)
        if len(self.keys) and len(qkeys):
            at = np.minimum(np.searchsorted(self.keys, qkeys), len(self.keys) - 1)
            found = self.keys[at] == qkeys
            out[found] = self.df[at[found]]
        return out


class Store:
    """One profile's entries: a big main segment, a small recent one, pending additions.

    Additions wait in ``pending`` until the next search; they then go into ``recent``
    (cheap to re-sort), which folds into ``main`` once it exceeds a tenth of it, so bulk
    loading at start-up does not re-sort the main segment for every book. Removed
    references are dropped at the lookup until a purge rebuilds ``main`` without them.
    """

    def __init__(self) -> None:
        self.main = Segment(*_empty())
        self.recent = Segment(*_empty())
        self.pending: list[tuple[U64, U32, U32]] = []

    def entries(self) -> int:
        return len(self.main) + len(self.recent) + sum(len(p[0]) for p in self.pending)

    def add(self, key: U64, slot: int, ordinal: U32) -> None:
        self.pending.append((key, np.full(len(key), slot, np.uint32), ordinal))

    def flush(self, alive: npt.NDArray[np.bool_], purge: bool) -> None:
        if not self.pending and not purge:
            return
        parts = [(self.recent.keys_full(), self.recent.slot, self.recent.ordinal), *self.pending]
        self.pending = []
        if purge or sum(len(p[0]) for p in parts) > max(100_000, len(self.main) // 10):
            parts.append((self.main.keys_full(), self.main.slot, self.main.ordinal))
            self.recent = Segment(*_empty())
            self.main = Segment(*_concat(parts, alive if purge else None))
        else:
            self.recent = Segment(*_concat(parts, None))

    def lookup(self, qkeys: U64) -> tuple[I64, U32, U32, I64]:
        """(row of qkeys, slot, ordinal, df over both segments) for every hit."""
        df = self.main.df_of(qkeys) + self.recent.df_of(qkeys)
        rows, slots, ords = [], [], []
        for seg in (self.main, self.recent):
            r, pos, _ = seg.lookup(qkeys)
            rows.append(r)
            slots.append(seg.slot[pos])
            ords.append(seg.ordinal[pos])
        row = np.concatenate(rows)
        return row, np.concatenate(slots), np.concatenate(ords), df[row]


def _empty() -> tuple[U64, U32, U32]:
    return np.zeros(0, np.uint64), np.zeros(0, np.uint32), np.zeros(0, np.uint32)


def _concat(
    parts: list[tuple[U64, U32, U32]], alive: npt.NDArray[np.bool_] | None
) -> tuple[U64, U32, U32]:
    key = np.concatenate([p[0] for p in parts])
    slot = np.concatenate([p[1] for p in parts])
    ordinal = np.concatenate([p[2] for p in parts])
    if alive is not None:
        keep = alive[slot]
        key, slot, ordinal = key[keep], slot[keep], ordinal[keep]
    return key, slot, ordinal


def passages(q: I64, r: I64, gap: int) -> list[I64]:
    """Groups of hit indices (query token position ``q``, reference token position ``r``)
    that lie within ``gap`` tokens of a neighbour on both axes."""
    out: list[I64] = []
    todo = [np.arange(len(q), dtype=np.int64)]
    while todo:
        idx = todo.pop()
        parts = _split(idx, q, gap)
        if len(parts) == 1:
            parts = _split(idx, r, gap)
            if len(parts) == 1:
                out.append(idx)
                continue
        todo.extend(parts)
    return out


def _split(idx: I64, pos: I64, gap: int) -> list[I64]:
    order = idx[np.argsort(pos[idx], kind="stable")]
    p = pos[order]
    cuts = np.flatnonzero(np.diff(p) > gap) + 1
    return np.split(order, cuts) if len(cuts) else [idx]


def weights(df: I64, full_df: int, stop_df: float) -> F64:
    """How much a shared hash counts: 1 while few references hold it, falling as 1/df
    beyond ``full_df`` (a phrase many works use says little about which one was copied),
    0 beyond ``stop_df`` (boilerplate such as a licence text)."""
    d = np.maximum(df, 1).astype(np.float64)
    w = np.minimum(1.0, full_df / d)
    w[d > stop_df] = 0.0
    return w
