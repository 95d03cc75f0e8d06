"""Offline verification of an evidence package: nothing but the ZIP and the platform's
public key (no database, no network). Each check is named, so a receiver (or a court's
expert) sees exactly which part of a package holds and which does not.

1. ``manifest``: ``manifest.sig`` is the platform key's signature over ``manifest.json``.
2. ``files``: every file the manifest lists is there with its SHA-256 and size, and the
   package holds nothing the manifest does not list.
3. ``tree_head``: ``tree_head.json`` is a tree head signed by the key, the one the
   manifest names; optionally it matches the platform's published heads.
4. ``records``: each record's document hashes to its leaf hash (RFC 6962: SHA-256 over
   0x00 || document) and its inclusion path leads to the tree head's root.
5. ``contents``: each included content file hashes to the SHA-256 its listing gives.
"""

from __future__ import annotations

import hashlib
import json
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from safeharbor.evidence import keys, merkle, sth
from safeharbor.evidence.package import FORMAT, MANIFEST_CONTEXT

#: limits for reading a package that may be hostile (a zip bomb, a million members)
MAX_MEMBERS = 100_000
MAX_MEMBER_BYTES = 4 * 1024**3
MAX_JSON_BYTES = 512 * 1024**2


@dataclass
class Check:
    name: str
    ok: bool
    detail: str


@dataclass
class Verification:
    checks: list[Check] = field(default_factory=list)
    records: int = 0
    withheld: int = 0
    content_files: int = 0

    @property
    def ok(self) -> bool:
        return bool(self.checks) and all(c.ok for c in self.checks)

    @property
    def first_failure(self) -> Check | None:
        return next((c for c in self.checks if not c.ok), None)

    def add(self, name: str, ok: bool, detail: str) -> bool:
        self.checks.append(Check(name, ok, detail))
        return ok

    def view(self) -> dict[str, Any]:
        bad = self.first_failure
        return {
            "ok": self.ok,
            "first_failure": {"check": bad.name, "detail": bad.detail} if bad else None,
            "records": self.records,
            "withheld": self.withheld,
            "content_files": self.content_files,
            "checks": [{"check": c.name, "ok": c.ok, "detail": c.detail} for c in self.checks],
        }


class _Stop(Exception):
    """A check failed in a way that makes the later ones meaningless."""


def verify_package(
    package: Path, public_key: Ed25519PublicKey | str | bytes, *, published: Path | None = None
) -> Verification:
    """Check ``package`` against ``public_key`` (a key or its PEM); never raises for a bad
    package, only reports it."""
    result = Verification()
    try:
        pub = (
            public_key if isinstance(public_key, Ed25519PublicKey) else keys.load_public(public_key)
        )
    except keys.SigningKeyError as exc:
        result.add("key", False, str(exc))
        return result
    try:
        with zipfile.ZipFile(package) as zf:
            _verify(zf, pub, result, published)
    except _Stop:
        pass
    except zipfile.BadZipFile as exc:
        result.add("package", False, f"not a readable ZIP file ({exc})")
    except (OSError, EOFError) as exc:
        result.add("package", False, f"cannot be read: {exc}")
    return result


def _read(zf: zipfile.ZipFile, name: str, limit: int = MAX_JSON_BYTES) -> bytes:
    info = zf.getinfo(name)
    if info.file_size > limit:
        raise _Stop(f"{name} is larger than {limit} bytes")
    with zf.open(info) as fh:
        data = fh.read(limit + 1)
    if len(data) > limit:
        raise _Stop(f"{name} inflates past {limit} bytes")
    return data


def _sha256_member(zf: zipfile.ZipFile, name: str) -> tuple[str, int]:
    h = hashlib.sha256()
    size = 0
    with zf.open(name) as fh:
        while chunk := fh.read(1024 * 1024):
            size += len(chunk)
            if size > MAX_MEMBER_BYTES:
                raise _Stop(f"{name} inflates past {MAX_MEMBER_BYTES} bytes")
            h.update(chunk)
    return h.hexdigest(), size


def _verify(
    zf: zipfile.ZipFile, pub: Ed25519PublicKey, result: Verification, published: Path | None
) -> None:
    infos = zf.infolist()
    if len(infos) > MAX_MEMBERS:
        result.add("package", False, f"more than {MAX_MEMBERS} members")
        raise _Stop
    names = {i.filename for i in infos}
    # 1. the manifest and its signature
    if not {"manifest.json", "manifest.sig"} <= names:
        result.add("manifest", False, "manifest.json or manifest.sig is missing")
        raise _Stop
    try:
        manifest_bytes = _read(zf, "manifest.json")
        signature = _read(zf, "manifest.sig", 1024).decode("ascii").strip()
    except (_Stop, UnicodeDecodeError) as exc:
        result.add("manifest", False, str(exc) or "unreadable signature")
        raise _Stop from None
    if not keys.verify(pub, MANIFEST_CONTEXT + manifest_bytes, signature):
        result.add(
            "manifest",
            False,
            "manifest.sig is not the given key's signature over manifest.json "
            "(the manifest was changed, or the package was signed with another key)",
        )
        raise _Stop
    try:
        manifest = json.loads(manifest_bytes)
        listed = {f["path"]: f for f in manifest["files"]}
        head_in_manifest = manifest["tree_head"]
    except (ValueError, KeyError, TypeError) as exc:
        result.add("manifest", False, f"malformed manifest ({exc})")
        raise _Stop from None
    if manifest.get("format") != FORMAT:
        result.add("manifest", False, f"not a {FORMAT} package")
        raise _Stop
    result.add("manifest", True, f"signed by key {keys.key_id(pub)[:16]}…")

    # 2. every listed file is there, whole, and nothing else is
    files_ok = True
    for path, entry in sorted(listed.items()):
        if path not in names:
            files_ok = result.add("files", False, f"{path} is listed but missing")
            break
        digest, size = _sha256_member(zf, path)
        if digest != entry.get("sha256") or size != entry.get("size"):
            files_ok = result.add("files", False, f"{path} does not match its manifest hash")
            break
    extra = sorted(names - set(listed) - {"manifest.json", "manifest.sig"})
    if files_ok and extra:
        files_ok = result.add("files", False, f"not in the manifest: {', '.join(extra[:5])}")
    if not files_ok:
        raise _Stop
    result.add("files", True, f"{len(listed)} files match the manifest")

    # 3. the tree head
    try:
        head = json.loads(_read(zf, "tree_head.json"))
    except (KeyError, ValueError) as exc:
        result.add("tree_head", False, f"tree_head.json unreadable ({exc})")
        raise _Stop from None
    if head != head_in_manifest:
        result.add("tree_head", False, "tree_head.json is not the head the manifest names")
        raise _Stop
    if not sth.verify_sth(head, pub):
        result.add("tree_head", False, "the tree head's signature does not verify with the key")
        raise _Stop
    size = int(head["tree_size"])
    root = bytes.fromhex(head["root_hash"])
    result.add("tree_head", True, f"signed tree head over {size} records")
    if published is not None:
        _check_published(head, published, pub, result)

    # 4. records: leaf hashes and inclusion in the signed tree
    try:
        lines = _read(zf, "records.jsonl").decode("utf-8").splitlines()
    except (KeyError, UnicodeDecodeError) as exc:
        result.add("records", False, f"records.jsonl unreadable ({exc})")
        raise _Stop from None
    for n, line in enumerate(x for x in lines if x.strip()):
        try:
            rec = json.loads(line)
            rid = int(rec["id"])
            leaf = bytes.fromhex(rec["leaf_hash"])
            index = int(rec["leaf_index"])
            path_hashes = [bytes.fromhex(h) for h in rec["inclusion_path"]]
        except (ValueError, KeyError, TypeError) as exc:
            result.add("records", False, f"line {n + 1} of records.jsonl is malformed ({exc})")
            raise _Stop from None
        if "document" in rec:
            if merkle.leaf_hash(str(rec["document"]).encode("utf-8")) != leaf:
                result.add(
                    "records", False, f"record {rid}: its document does not hash to its leaf hash"
                )
                raise _Stop
        else:
            result.withheld += 1
        if index != rid - 1 or not merkle.verify_inclusion(leaf, index, size, path_hashes, root):
            result.add(
                "records",
                False,
                f"record {rid}: its inclusion proof does not lead to the signed root",
            )
            raise _Stop
        result.records += 1
    result.add(
        "records",
        True,
        f"{result.records} records in the signed tree ({result.withheld} withheld by hash)",
    )

    # 5. content files are what the listing says they are
    try:
        contents = json.loads(_read(zf, "contents.json"))
    except (KeyError, ValueError) as exc:
        result.add("contents", False, f"contents.json unreadable ({exc})")
        raise _Stop from None
    for c in contents:
        if not c.get("included"):
            continue
        name = f"content/{c['sha256']}"
        if name not in names:
            result.add("contents", False, f"{c['content_id']}: its file is missing")
            raise _Stop
        digest, _ = _sha256_member(zf, name)
        if digest != c["sha256"]:
            result.add(
                "contents", False, f"{c['content_id']}: its file does not hash to its SHA-256"
            )
            raise _Stop
        result.content_files += 1
    result.add("contents", True, f"{len(contents)} uploads, {result.content_files} files included")


def _check_published(
    head: dict[str, Any], published: Path, pub: Ed25519PublicKey, result: Verification
) -> None:
    """The package's head must be one the platform published (same size, same root)."""
    try:
        heads = [
            json.loads(line)
            for line in published.read_text("utf-8").splitlines()
            if line.strip().startswith("{")
        ]
    except (OSError, ValueError) as exc:
        result.add("published", False, f"published heads unreadable ({exc})")
        return
    same = [h for h in heads if isinstance(h, dict) and h.get("tree_size") == head["tree_size"]]
    if not same:
        result.add("published", False, f"no published head of size {head['tree_size']}")
    elif not any(h.get("root_hash") == head["root_hash"] and sth.verify_sth(h, pub) for h in same):
        result.add(
            "published",
            False,
            "the published head of that size has another root: the log was rewritten",
        )
    else:
        result.add("published", True, "the tree head is one the platform published")
