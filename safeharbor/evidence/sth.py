"""Signed tree heads: what the platform signs, and how anyone checks it. Pure (no database),
so the offline evidence-package verifier calls these very functions.

The signed message is RFC 6962 section 3.5's ``TreeHeadSignature`` (TLS encoding, big
endian) behind a fixed context prefix::

    b"safeharbor-sth\\x00"         15 bytes: context (the same key also signs evidence
                                    packages and shared lists; the prefix keeps a
                                    signature over one from ever passing for another)
    version         uint8   = 0     v1
    signature_type  uint8   = 1     tree_hash
    timestamp       uint64          milliseconds since the Unix epoch (UTC)
    tree_size       uint64          number of records (leaves) covered
    sha256_root_hash  32 bytes      the Merkle tree hash (merkle.py), raw

65 bytes in all, signed with Ed25519 (``evidence/keys.py``). A head as JSON (what
``safeharbor ledger head --json``, ``GET /api/ledger/head`` and the published file give)::

    {"tree_size": 42, "timestamp": 1767225600000, "root_hash": "<64 hex>",
     "signature": "<base64 Ed25519 signature>", "key_id": "<64 hex: SHA-256 of the raw
     public key>"}
"""

from __future__ import annotations

import struct
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from safeharbor.evidence import keys

CONTEXT = b"safeharbor-sth\x00"
VERSION_V1 = 0
SIGNATURE_TYPE_TREE_HASH = 1


def tree_head_message(tree_size: int, timestamp_ms: int, root: bytes) -> bytes:
    """The exact bytes a tree head's signature covers (see the module docstring)."""
    if len(root) != 32:
        raise ValueError("a root hash is 32 bytes")
    if tree_size < 0 or timestamp_ms < 0:
        raise ValueError("tree size and timestamp are unsigned")
    return (
        CONTEXT
        + struct.pack(">BBQQ", VERSION_V1, SIGNATURE_TYPE_TREE_HASH, timestamp_ms, tree_size)
        + root
    )


#: the name the issue gives the same function
sth_message = tree_head_message


def sign_sth(
    key: Ed25519PrivateKey, tree_size: int, timestamp_ms: int, root: bytes
) -> dict[str, Any]:
    """A signed tree head as JSON."""
    return {
        "tree_size": tree_size,
        "timestamp": timestamp_ms,
        "root_hash": root.hex(),
        "signature": keys.sign(key, tree_head_message(tree_size, timestamp_ms, root)),
        "key_id": keys.key_id(key),
    }


def verify_sth(head: dict[str, Any], public_key: Ed25519PublicKey | str | bytes) -> bool:
    """Is ``head`` (JSON as ``sign_sth`` makes it) signed by ``public_key`` (a key or its
    PEM)? False, never an exception, for a malformed head."""
    pub = public_key if isinstance(public_key, Ed25519PublicKey) else keys.load_public(public_key)
    try:
        size = int(head["tree_size"])
        ts = int(head["timestamp"])
        root = bytes.fromhex(str(head["root_hash"]))
        signature = str(head["signature"])
        key_id = head.get("key_id")
        message = tree_head_message(size, ts, root)
    except (KeyError, TypeError, ValueError, struct.error):
        return False
    if key_id is not None and key_id != keys.key_id(pub):
        return False
    return keys.verify(pub, message, signature)
