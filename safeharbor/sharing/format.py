"""The shared hash-list package: writing, reading and verifying it (pure; no database).

A ZIP with ``manifest.json`` (canonical JSON), ``manifest.sig`` (base64 Ed25519 over the
manifest's bytes), ``hashes.jsonl`` and ``blacklist.jsonl``. The manifest names each
part's SHA-256, so the one signature covers everything. Documented in
``docs/sharing-format.md``.
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import zipfile
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from safeharbor.errors import InvalidInput
from safeharbor.evidence import keys
from safeharbor.signals.base import Fingerprint

FORMAT = "safeharbor.hashlist"
VERSION = 1
PARTS = ("hashes.jsonl", "blacklist.jsonl")
#: refuse packages (and members) above these before reading them whole
MAX_PACKAGE_BYTES = 512 * 2**20
MAX_MANIFEST_BYTES = 2**20
#: our image signal's whole-picture block starts with a PDQ hash: shared as ThreatExchange's
#: ``pdq`` signal type so HMA-style tools can use it
PDQ_BYTES = 32
IMAGE_BLOCK_BYTES = 160


class PackageError(InvalidInput):
    """A package that cannot be trusted or read: the message says why."""


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def canonical(doc: Any) -> bytes:
    return json.dumps(doc, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def hash_row(
    fp: Fingerprint,
    *,
    item: str,
    title: str,
    work_type: str,
    holder: str | None,
    reason: str,
    tags: list[str],
) -> dict[str, Any]:
    """One row of ``hashes.jsonl``: the HMA-style ``signal_type``/``signal`` pair, and
    our own fingerprint under ``safeharbor`` so a safeharbor partner can screen with it."""
    if fp.signal == "image" and fp.kind == "global" and len(fp.value) == IMAGE_BLOCK_BYTES:
        signal_type, signal = "pdq", fp.value[:PDQ_BYTES].hex()
    elif fp.signal == "exact":
        signal_type, signal = "sha256", fp.value.hex()
    else:
        signal_type = f"safeharbor.{fp.signal}"
        signal = base64.b64encode(fp.value).decode("ascii")
    return {
        "item": item,
        "signal_type": signal_type,
        "signal": signal,
        "tags": tags,
        "title": title,
        "work_type": work_type,
        "holder": holder,
        "reason": reason,
        "safeharbor": {
            "signal": fp.signal,
            "kind": fp.kind,
            "value": base64.b64encode(fp.value).decode("ascii"),
            "quality": fp.quality,
            "meta": fp.meta,
        },
    }


def fingerprint_of(row: dict[str, Any]) -> Fingerprint | None:
    """Our fingerprint from a row, or None for a row without one (a bare ``pdq`` row
    from another tool: kept for the record, not screened with)."""
    ours = row.get("safeharbor")
    if not isinstance(ours, dict):
        return None
    return Fingerprint(
        signal=str(ours["signal"]),
        kind=str(ours["kind"]),
        value=base64.b64decode(str(ours["value"]), validate=True),
        quality=int(ours.get("quality", 100)),
        meta=dict(ours.get("meta") or {}),
    )


def jsonl(rows: list[dict[str, Any]]) -> bytes:
    return b"".join(canonical(r) + b"\n" for r in rows)


def write_package(
    out: Path,
    *,
    key: Ed25519PrivateKey,
    platform_id: str,
    created: datetime,
    hashes: list[dict[str, Any]],
    blacklist: list[dict[str, Any]],
    since: datetime | None = None,
) -> dict[str, Any]:
    parts = {"hashes.jsonl": jsonl(hashes), "blacklist.jsonl": jsonl(blacklist)}
    manifest = {
        "format": FORMAT,
        "version": VERSION,
        "platform": platform_id,
        "key_id": keys.key_id(key),
        "created": created.isoformat(),
        "since": since.isoformat() if since else None,
        "counts": {
            "hashes": len(hashes),
            "items": len({r["item"] for r in hashes}),
            "blacklist": len(blacklist),
        },
        "parts": {
            name: {"sha256": hashlib.sha256(data).hexdigest(), "bytes": len(data)}
            for name, data in parts.items()
        },
    }
    body = canonical(manifest)
    out.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("manifest.json", body)
        z.writestr("manifest.sig", keys.sign(key, body) + "\n")
        for name, data in parts.items():
            z.writestr(name, data)
    return manifest


@dataclass
class Package:
    manifest_bytes: bytes
    manifest: dict[str, Any]
    signature: str
    parts: dict[str, bytes]

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.manifest_bytes).hexdigest()

    def rows(self, part: str) -> list[dict[str, Any]]:
        out = []
        for n, line in enumerate(self.parts[part].splitlines(), start=1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except json.JSONDecodeError as exc:
                raise PackageError(f"{part} line {n}: not JSON ({exc.msg})") from exc
            if not isinstance(row, dict):
                raise PackageError(f"{part} line {n}: not a JSON object")
            out.append(row)
        return out


def read_package(path: Path) -> Package:
    """The package's parts, read under size limits; ``PackageError`` if it is not one."""
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise PackageError(f"cannot read {path.name}: {exc.strerror}") from exc
    if size > MAX_PACKAGE_BYTES:
        raise PackageError(f"package is larger than {MAX_PACKAGE_BYTES // 2**20} MiB")
    try:
        with zipfile.ZipFile(io.BytesIO(path.read_bytes())) as z:
            names = set(z.namelist())
            missing = [n for n in ("manifest.json", "manifest.sig", *PARTS) if n not in names]
            if missing:
                raise PackageError(f"not a complete package: {', '.join(missing)} missing")
            info = z.getinfo("manifest.json")
            if info.file_size > MAX_MANIFEST_BYTES:
                raise PackageError("manifest.json is too large")
            manifest_bytes = z.read("manifest.json")
            signature = z.read("manifest.sig").decode("ascii", "replace").strip()
            parts = {}
            for name in PARTS:
                if z.getinfo(name).file_size > MAX_PACKAGE_BYTES:
                    raise PackageError(f"{name} is too large")
                parts[name] = z.read(name)
    except (zipfile.BadZipFile, EOFError, zipfile.LargeZipFile) as exc:
        raise PackageError(f"not a readable ZIP package (truncated or damaged: {exc})") from exc
    except (zipfile.zlib.error, OSError) as exc:  # type: ignore[attr-defined]
        raise PackageError(f"a part of the package is damaged ({exc})") from exc
    try:
        manifest = json.loads(manifest_bytes)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise PackageError("manifest.json is not JSON") from exc
    if not isinstance(manifest, dict):
        raise PackageError("manifest.json is not a JSON object")
    return Package(manifest_bytes, manifest, signature, parts)


def verify(pkg: Package, pub: Ed25519PublicKey) -> None:
    """Check, in this order, that the package is ours, signed by ``pub`` and whole;
    ``PackageError`` names the first thing wrong."""
    m = pkg.manifest
    if m.get("format") != FORMAT or m.get("version") != VERSION:
        raise PackageError(
            f"not a {FORMAT} v{VERSION} package (format {m.get('format')!r} v{m.get('version')!r})"
        )
    if m.get("key_id") != keys.key_id(pub):
        raise PackageError(
            f"signed with key {str(m.get('key_id'))[:16]}..., not the partner's key "
            f"{keys.key_id(pub)[:16]}...: wrong partner, or the partner changed its key"
        )
    if not keys.verify(pub, pkg.manifest_bytes, pkg.signature):
        raise PackageError("bad signature: the manifest was changed or not signed by the partner")
    declared = m.get("parts")
    if not isinstance(declared, dict):
        raise PackageError("the manifest lists no parts")
    for name in PARTS:
        want = (
            declared.get(name, {}).get("sha256") if isinstance(declared.get(name), dict) else None
        )
        got = hashlib.sha256(pkg.parts[name]).hexdigest()
        if want != got:
            raise PackageError(
                f"{name} does not match the signed manifest (SHA-256 {got[:16]}..., "
                f"signed {str(want)[:16]}...): it was changed after signing"
            )
