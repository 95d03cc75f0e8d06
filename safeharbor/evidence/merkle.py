"""The Merkle tree of the ledger, per RFC 6962 / RFC 9162 section 2.1: pure functions, no
database, so the offline evidence-package verifier uses exactly the code the platform does.

Hashes are raw 32-byte SHA-256 digests. ``leaf_hash`` prefixes 0x00 and ``node_hash``
0x01, so a leaf can never be passed off as an interior node (second-preimage attacks).

The proof builders do not take the list of leaves: they take a *node getter*
``get_node(level, index)`` returning the hash of the perfect subtree of ``2**level``
leaves starting at leaf ``index * 2**level``. The platform stores each such subtree once
it is complete (``evidence/models.py: LedgerNode``), so a proof costs O(log n) lookups,
never a pass over the log. A subtree at the right edge of a tree whose size is not a power
of two is not perfect; its hash is folded from the perfect subtrees it splits into (at
most one such subtree appears in any proof, costing at most log2(n) more lookups).

``verify_inclusion`` and ``verify_consistency`` are the algorithms of RFC 9162 sections
2.1.3.2 and 2.1.4.2, written out step by step.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Sequence

#: ``get_node(level, index)``: the hash of leaves [index * 2**level, (index + 1) * 2**level)
NodeGetter = Callable[[int, int], bytes]

#: MTH({}) = SHA-256 of the empty string (RFC 6962 section 2.1)
EMPTY_ROOT = hashlib.sha256(b"").digest()


def leaf_hash(data: bytes) -> bytes:
    """MTH({d}) = SHA-256(0x00 || d)."""
    return hashlib.sha256(b"\x00" + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """SHA-256(0x01 || left || right)."""
    return hashlib.sha256(b"\x01" + left + right).digest()


def _split(n: int) -> int:
    """The largest power of two smaller than ``n`` (n > 1): RFC 6962's k."""
    return 1 << ((n - 1).bit_length() - 1)


def root(leaves: Sequence[bytes]) -> bytes:
    """The Merkle tree hash of a list of LEAF HASHES (already ``leaf_hash``-ed, as the
    records table stores them), computed bottom-up in O(n) time and O(log n) memory."""
    if not leaves:
        return EMPTY_ROOT
    # a stack of perfect subtrees (level, hash), merged as they pair up: the same
    # incremental build the ledger's sequencer does
    stack: list[tuple[int, bytes]] = []
    for h in leaves:
        level, cur = 0, h
        while stack and stack[-1][0] == level:
            cur = node_hash(stack.pop()[1], cur)
            level += 1
        stack.append((level, cur))
    return fold(h for _, h in stack)


def fold(perfect: Iterable[bytes]) -> bytes:
    """The root of a tree from its perfect subtrees, largest (leftmost) first: the
    right-edge subtrees hash right to left, H(p0, H(p1, ... H(pk-1, pk)))."""
    hashes = list(perfect)
    if not hashes:
        return EMPTY_ROOT
    acc: bytes = hashes[-1]
    for h in reversed(hashes[:-1]):
        acc = node_hash(h, acc)
    return acc


def perfect_subtrees(start: int, end: int) -> list[tuple[int, int]]:
    """(level, index) of the perfect subtrees, largest first, that leaves [start, end)
    split into, where ``start`` is a multiple of a power of two >= end - start (as every
    subtree of RFC 6962's recursive split is)."""
    out: list[tuple[int, int]] = []
    pos, remaining = start, end - start
    while remaining:
        level = remaining.bit_length() - 1
        out.append((level, pos >> level))
        pos += 1 << level
        remaining -= 1 << level
    return out


def subtree_hash(start: int, end: int, get_node: NodeGetter) -> bytes:
    """MTH(D[start:end]) from stored perfect subtrees (see ``perfect_subtrees``)."""
    return fold([get_node(level, index) for level, index in perfect_subtrees(start, end)])


def tree_root(size: int, get_node: NodeGetter) -> bytes:
    """MTH of the first ``size`` leaves, from at most log2(size) + 1 stored nodes."""
    return subtree_hash(0, size, get_node)


def inclusion_path(index: int, size: int, get_node: NodeGetter) -> list[bytes]:
    """PATH(m, D[n]) of RFC 6962 section 2.1.1 (the audit path), leaf to root."""
    if not 0 <= index < size:
        raise ValueError(f"leaf index {index} is not in a tree of size {size}")
    path: list[bytes] = []
    # walk down from the root, collecting the sibling at each split; reversed at the end
    start, end, m = 0, size, index
    while end - start > 1:
        k = _split(end - start)
        if m < k:
            path.append(subtree_hash(start + k, end, get_node))
            end = start + k
        else:
            path.append(subtree_hash(start, start + k, get_node))
            start, m = start + k, m - k
    path.reverse()
    return path


def consistency_path(first: int, second: int, get_node: NodeGetter) -> list[bytes]:
    """PROOF(m, D[n]) of RFC 6962 section 2.1.2: SUBPROOF(m, D[n], true)."""
    if not 0 <= first <= second:
        raise ValueError(f"no consistency proof from size {first} to size {second}")
    if first == 0 or first == second:
        return []
    path: list[bytes] = []
    start, end, m, complete = 0, second, first, True
    while True:
        n = end - start
        if m == n:
            if not complete:
                path.append(subtree_hash(start, end, get_node))
            break
        k = _split(n)
        if m <= k:
            path.append(subtree_hash(start + k, end, get_node))
            end = start + k
        else:
            path.append(subtree_hash(start, start + k, get_node))
            start, m, complete = start + k, m - k, False
    path.reverse()
    return path


def verify_inclusion(
    leaf: bytes, index: int, size: int, path: Sequence[bytes], root: bytes
) -> bool:
    """RFC 9162 section 2.1.3.2: does ``path`` prove leaf hash ``leaf`` is leaf ``index``
    of the tree of ``size`` leaves whose root is ``root``?"""
    if not 0 <= index < size:
        return False
    fn, sn, r = index, size - 1, leaf
    for p in path:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            if not fn & 1:
                while not fn & 1 and fn != 0:
                    fn >>= 1
                    sn >>= 1
        else:
            r = node_hash(r, p)
        fn >>= 1
        sn >>= 1
    return sn == 0 and r == root


def verify_consistency(
    first: int, second: int, first_root: bytes, second_root: bytes, path: Sequence[bytes]
) -> bool:
    """RFC 9162 section 2.1.4.2: does ``path`` prove the tree of ``first`` leaves with root
    ``first_root`` is a prefix of the tree of ``second`` leaves with root ``second_root``?"""
    if not 0 <= first <= second:
        return False
    if first == second:
        return not path and first_root == second_root
    if first == 0:
        # every tree extends the empty one; RFC 9162 defines no proof for it
        return not path and first_root == EMPTY_ROOT
    if not path:
        return False
    nodes = list(path)
    if first & (first - 1) == 0:  # an exact power of two: the old root is a node of the new
        nodes.insert(0, first_root)
    fn, sn = first - 1, second - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = nodes[0]
    for c in nodes[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            fr = node_hash(c, fr)
            sr = node_hash(c, sr)
            if not fn & 1:
                while not fn & 1 and fn != 0:
                    fn >>= 1
                    sn >>= 1
        else:
            sr = node_hash(sr, c)
        fn >>= 1
        sn >>= 1
    return sn == 0 and fr == first_root and sr == second_root
