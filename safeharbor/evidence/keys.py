"""The platform's Ed25519 signing key: it signs ledger tree heads, evidence packages and
shared hash lists.

It lives in a file outside the database (``Settings.signing_key_path``, by default
``HOME/keys/ledger-ed25519.pem``, readable by its owner only), so that someone who can
rewrite the database still cannot sign a tree head over the rewritten history. It is
made at ``init`` (or on first use), never overwritten, and its public half is what
outsiders verify against (``safeharbor ledger key --public``).
"""

from __future__ import annotations

import base64
import hashlib
import os
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from safeharbor.config import Settings
from safeharbor.errors import InvalidInput


class SigningKeyError(InvalidInput):
    """A key file that cannot be read or is not an Ed25519 key."""


def key_path(settings: Settings) -> Path:
    return settings.signing_key_path or settings.home / "keys" / "ledger-ed25519.pem"


def load_or_create(settings: Settings) -> Ed25519PrivateKey:
    """The signing key, made (0600, in a 0700 folder) if there is none yet."""
    path = key_path(settings)
    if path.exists():
        return load_private(path)
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    key = Ed25519PrivateKey.generate()
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    # O_EXCL: two processes starting at once must not each write a different key
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return load_private(path)
    with os.fdopen(fd, "wb") as fh:
        fh.write(pem)
    return key


def load_private(path: Path) -> Ed25519PrivateKey:
    try:
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    except (OSError, ValueError, TypeError) as exc:
        raise SigningKeyError(f"{path}: not a readable PEM private key ({exc})") from exc
    if not isinstance(key, Ed25519PrivateKey):
        raise SigningKeyError(f"{path}: not an Ed25519 key")
    return key


def public_pem(key: Ed25519PrivateKey | Ed25519PublicKey) -> str:
    pub = key.public_key() if isinstance(key, Ed25519PrivateKey) else key
    return pub.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    ).decode("ascii")


def load_public(pem: bytes | str) -> Ed25519PublicKey:
    """A public key from PEM text (what ``ledger key --public`` prints)."""
    data = pem.encode("ascii") if isinstance(pem, str) else pem
    try:
        key = serialization.load_pem_public_key(data)
    except (ValueError, TypeError) as exc:
        raise SigningKeyError(f"not a PEM public key ({exc})") from exc
    if not isinstance(key, Ed25519PublicKey):
        raise SigningKeyError("not an Ed25519 public key")
    return key


def key_id(key: Ed25519PrivateKey | Ed25519PublicKey) -> str:
    """SHA-256 of the raw public key, hex: names the key in signed documents (RFC 6962's
    log id is the same idea), so a verifier can tell "wrong key" from "bad signature"."""
    pub = key.public_key() if isinstance(key, Ed25519PrivateKey) else key
    raw = pub.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()


def sign(key: Ed25519PrivateKey, message: bytes) -> str:
    """A base64 signature over ``message``."""
    return base64.b64encode(key.sign(message)).decode("ascii")


def verify(pub: Ed25519PublicKey, message: bytes, signature: str) -> bool:
    try:
        pub.verify(base64.b64decode(signature, validate=True), message)
    except (InvalidSignature, ValueError):
        return False
    return True
