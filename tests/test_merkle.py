"""The Merkle tree functions against a brute-force, letter-of-the-RFC implementation of
RFC 6962 section 2.1 (MTH, PATH, PROOF), and the RFC 9162 verifiers against tampering."""

from __future__ import annotations

import hashlib

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from safeharbor.audit.service import leaf_hash as audit_leaf_hash
from safeharbor.evidence import keys, merkle, sth

# -- the reference: RFC 6962 section 2.1, recursively over the list of entries ---------------


def _k(n: int) -> int:
    k = 1
    while k * 2 < n:
        k *= 2
    return k


def ref_mth(d: list[bytes]) -> bytes:
    if not d:
        return hashlib.sha256(b"").digest()
    if len(d) == 1:
        return hashlib.sha256(b"\x00" + d[0]).digest()
    k = _k(len(d))
    return hashlib.sha256(b"\x01" + ref_mth(d[:k]) + ref_mth(d[k:])).digest()


def ref_path(m: int, d: list[bytes]) -> list[bytes]:
    if len(d) == 1:
        return []
    k = _k(len(d))
    if m < k:
        return ref_path(m, d[:k]) + [ref_mth(d[k:])]
    return ref_path(m - k, d[k:]) + [ref_mth(d[:k])]


def ref_subproof(m: int, d: list[bytes], b: bool) -> list[bytes]:
    n = len(d)
    if m == n:
        return [] if b else [ref_mth(d)]
    k = _k(n)
    if m <= k:
        return ref_subproof(m, d[:k], b) + [ref_mth(d[k:])]
    return ref_subproof(m - k, d[k:], False) + [ref_mth(d[:k])]


def ref_proof(m: int, d: list[bytes]) -> list[bytes]:
    return ref_subproof(m, d, True)


ENTRIES = [f"entry {i}".encode() for i in range(72)]
LEAVES = [merkle.leaf_hash(e) for e in ENTRIES]


def getter(leaves: list[bytes], calls: list[tuple[int, int]] | None = None) -> merkle.NodeGetter:
    """A node store over ``leaves``, answering only PERFECT subtrees (as the ledger's)."""

    def get(level: int, index: int) -> bytes:
        start, end = index << level, (index + 1) << level
        assert end <= len(leaves), f"({level}, {index}) is not a complete subtree"
        if calls is not None:
            calls.append((level, index))
        return merkle.root(leaves[start:end])

    return get


def flip(h: bytes) -> bytes:
    return bytes([h[0] ^ 0x01]) + h[1:]


# -- hashes -----------------------------------------------------------------------------------


def test_hashes_are_rfc6962_prefixed_and_match_the_records():
    assert merkle.leaf_hash(b"x") == hashlib.sha256(b"\x00x").digest()
    assert merkle.node_hash(b"a", b"b") == hashlib.sha256(b"\x01ab").digest()
    assert merkle.EMPTY_ROOT == hashlib.sha256(b"").digest() == merkle.root([])
    # the records table's leaf hash (hex) is the same function
    assert audit_leaf_hash('{"a":1}') == merkle.leaf_hash(b'{"a":1}').hex()


@pytest.mark.parametrize("n", range(0, 72))
def test_root_matches_the_reference_and_the_node_store(n):
    assert merkle.root(LEAVES[:n]) == ref_mth(ENTRIES[:n])
    assert merkle.tree_root(n, getter(LEAVES[:n])) == ref_mth(ENTRIES[:n])


# -- inclusion --------------------------------------------------------------------------------


def test_inclusion_paths_match_the_reference_and_verify_for_every_index_and_size():
    for n in range(1, 71):
        root = ref_mth(ENTRIES[:n])
        for m in range(n):
            calls: list[tuple[int, int]] = []
            path = merkle.inclusion_path(m, n, getter(LEAVES[:n], calls))
            assert path == ref_path(m, ENTRIES[:n]), (m, n)
            # O(log n) node reads, not O(n): a sibling per level plus one right edge
            assert len(calls) <= 2 * n.bit_length(), (m, n, len(calls))
            assert merkle.verify_inclusion(LEAVES[m], m, n, path, root), (m, n)


def test_inclusion_fails_on_tampering():
    for n in range(1, 41):
        root = ref_mth(ENTRIES[:n])
        for m in range(n):
            path = merkle.inclusion_path(m, n, getter(LEAVES[:n]))
            leaf = LEAVES[m]
            assert not merkle.verify_inclusion(flip(leaf), m, n, path, root)
            assert not merkle.verify_inclusion(leaf, m, n, path, flip(root))
            for i in range(len(path)):  # a flipped bit anywhere in the path
                bad = list(path)
                bad[i] = flip(bad[i])
                assert not merkle.verify_inclusion(leaf, m, n, bad, root)
            if path:  # truncated, or one hash too many
                assert not merkle.verify_inclusion(leaf, m, n, path[:-1], root)
                assert not merkle.verify_inclusion(leaf, m, n, path + [path[0]], root)
            for other in range(n):  # the same path claimed for another position
                if other != m:
                    assert not merkle.verify_inclusion(leaf, other, n, path, root)
            for size in range(m + 1, 41):  # or for another size, against that tree's root
                if size != n:
                    other_root = ref_mth(ENTRIES[:size])
                    assert not merkle.verify_inclusion(leaf, m, size, path, other_root)
            assert not merkle.verify_inclusion(leaf, n, n, path, root)  # index out of range
            assert not merkle.verify_inclusion(leaf, -1, n, path, root)


def test_inclusion_path_refuses_a_leaf_outside_the_tree():
    with pytest.raises(ValueError):
        merkle.inclusion_path(5, 5, getter(LEAVES[:5]))


# -- consistency ------------------------------------------------------------------------------


def test_consistency_paths_match_the_reference_and_verify_for_every_pair():
    for n in range(1, 41):
        new_root = ref_mth(ENTRIES[:n])
        for m in range(1, n + 1):
            calls: list[tuple[int, int]] = []
            path = merkle.consistency_path(m, n, getter(LEAVES[:n], calls))
            assert path == ref_proof(m, ENTRIES[:n]), (m, n)
            assert len(calls) <= 2 * n.bit_length() + 1, (m, n, len(calls))
            old_root = ref_mth(ENTRIES[:m])
            assert merkle.verify_consistency(m, n, old_root, new_root, path), (m, n)
    # the empty tree is a prefix of every tree, with an empty proof
    assert merkle.consistency_path(0, 9, getter(LEAVES[:9])) == []
    assert merkle.verify_consistency(0, 9, merkle.EMPTY_ROOT, ref_mth(ENTRIES[:9]), [])


def test_consistency_fails_on_tampering():
    for n in range(2, 41):
        new_root = ref_mth(ENTRIES[:n])
        for m in range(1, n):
            old_root = ref_mth(ENTRIES[:m])
            path = merkle.consistency_path(m, n, getter(LEAVES[:n]))
            assert not merkle.verify_consistency(m, n, flip(old_root), new_root, path)
            assert not merkle.verify_consistency(m, n, old_root, flip(new_root), path)
            for i in range(len(path)):
                bad = list(path)
                bad[i] = flip(bad[i])
                assert not merkle.verify_consistency(m, n, old_root, new_root, bad), (m, n, i)
            assert not merkle.verify_consistency(m, n, old_root, new_root, path[:-1])
            assert not merkle.verify_consistency(m, n, old_root, new_root, path + [path[-1]])
            assert not merkle.verify_consistency(n, m, new_root, old_root, path)
            # a rewritten history: same sizes, a different first leaf
            forged = [merkle.leaf_hash(b"forged")] + LEAVES[1:n]
            forged_old = merkle.root(forged[:m])
            assert not merkle.verify_consistency(m, n, forged_old, new_root, path)
            for size in range(m + 1, 41):  # the path claimed for another new size
                if size != n:
                    other = ref_mth(ENTRIES[:size])
                    assert not merkle.verify_consistency(m, size, old_root, other, path)
    same = ref_mth(ENTRIES[:5])
    assert merkle.verify_consistency(5, 5, same, same, [])
    assert not merkle.verify_consistency(5, 5, same, flip(same), [])
    assert not merkle.verify_consistency(5, 5, same, same, [same])


# -- signed tree heads ------------------------------------------------------------------------


def test_tree_head_message_is_the_documented_rfc6962_encoding():
    root = bytes(range(32))
    msg = sth.tree_head_message(7, 1_767_225_600_000, root)
    assert msg == (
        b"safeharbor-sth\x00"
        + b"\x00\x01"  # version v1, signature type tree_hash
        + (1_767_225_600_000).to_bytes(8, "big")
        + (7).to_bytes(8, "big")
        + root
    )
    assert len(msg) == 65
    with pytest.raises(ValueError):
        sth.tree_head_message(1, 1, b"short")


def test_signed_tree_heads_verify_only_with_their_key_and_contents():
    key, other = Ed25519PrivateKey.generate(), Ed25519PrivateKey.generate()
    head = sth.sign_sth(key, 12, 1000, merkle.root(LEAVES[:12]))
    assert sth.verify_sth(head, key.public_key())
    assert sth.verify_sth(head, keys.public_pem(key))  # PEM, as published
    assert not sth.verify_sth(head, other.public_key())
    for field, value in [("tree_size", 13), ("timestamp", 1001), ("root_hash", "00" * 32)]:
        assert not sth.verify_sth({**head, field: value}, key.public_key()), field
    forged = sth.sign_sth(other, 12, 1000, merkle.root(LEAVES[:12]))
    assert not sth.verify_sth({**forged, "key_id": head["key_id"]}, key.public_key())
    assert not sth.verify_sth({"tree_size": "x"}, key.public_key())  # malformed: False
