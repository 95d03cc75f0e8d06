"""Evidence packages (issue: "Evidence packages"; LEGAL.md "Records": court guideline
9.10(3) uploader records, Reg 13, 512(i) strikes): exported for a case with what the
receiver is entitled to, verified offline with nothing but the public key; every part
tampered with makes verification fail, naming the part."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import select

from safeharbor.audit.models import Record
from safeharbor.evidence import keys, sth
from safeharbor.evidence.package import MANIFEST_CONTEXT
from safeharbor.evidence.verify_package import verify_package
from safeharbor.platform import Platform
from tests.test_disclosure import ALICE_PRIVATE, cli, noticed_upload


def public_key(platform: Platform) -> str:
    return keys.public_pem(keys.load_or_create(platform.settings))


def export(platform: Platform, out: Path, receiver: str | None = None, **case):  # noqa: ANN003, ANN201
    with platform.unit() as svc:
        who = svc.accounts.get(receiver) if receiver else None
        return svc.evidence.export(out, receiver=who, **case)


def members(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as zf:
        return {n: zf.read(n) for n in zf.namelist()}


def rewrite(
    src: Path,
    dst: Path,
    change: Callable[[dict[str, bytes]], None],
    resign: Ed25519PrivateKey | None = None,
) -> Path:
    """A copy of a package with ``change`` applied to its members; with ``resign``, the
    manifest's file hashes are brought up to date and signed again with that key (an
    insider who holds the key, or a forger with their own)."""
    files = members(src)
    change(files)
    if resign is not None:
        manifest = json.loads(files["manifest.json"])
        for entry in manifest["files"]:
            if entry["path"] in files:
                data = files[entry["path"]]
                entry["sha256"] = hashlib.sha256(data).hexdigest()
                entry["size"] = len(data)
        files["manifest.json"] = json.dumps(manifest, sort_keys=True, indent=1).encode() + b"\n"
        files["manifest.sig"] = keys.sign(
            resign, MANIFEST_CONTEXT + files["manifest.json"]
        ).encode()
    with zipfile.ZipFile(dst, "w") as zf:
        for name, data in files.items():
            zf.writestr(name, data)
    return dst


@pytest.fixture
def case(platform, people, tmp_path):  # noqa: ANN001, ANN201
    content, notice_id = noticed_upload(platform, people, tmp_path)
    return content, notice_id


def test_platform_export_verifies_and_holds_the_uploader_records(platform, case, tmp_path):
    """Records row "uploader's user name, registration IP and time, upload IP and time,
    contact details, the information uploaded" (court guideline 9.10(3))."""
    content, notice_id = case
    res = export(platform, tmp_path / "case.zip", notice_id=notice_id)
    v = verify_package(res.path, public_key(platform))
    assert v.ok, v.view()
    assert v.records == res.records > 3 and v.withheld == 0 and v.content_files == 1
    files = members(res.path)
    assert (
        files[f"content/{content.sha256}"] == platform.blobs.path_for(content.sha256).read_bytes()
    )
    [alice] = json.loads(files["uploaders.json"])
    assert alice["email"] == "alice@example.com" and alice["registration_ip"] == "203.0.113.7"
    assert alice["upload_ips"][0]["ip"] == "198.51.100.23"
    actions = [json.loads(r)["document"] for r in files["records.jsonl"].splitlines()]
    assert any('"action":"content.takedown"' in a for a in actions)
    assert any('"action":"notice.file"' in a for a in actions)
    with platform.unit() as svc:
        rec = svc.session.scalars(select(Record).where(Record.action == "evidence.export")).one()
        assert json.loads(rec.document)["payload"]["personal_data"] is True


def test_holder_gets_content_but_no_personal_data_without_a_grant(platform, case, tmp_path):
    content, notice_id = case
    res = export(platform, tmp_path / "holder.zip", receiver="studio", notice_id=notice_id)
    v = verify_package(res.path, public_key(platform))
    assert v.ok, v.view()
    assert v.withheld > 0  # the user's own records, proven by hash only
    files = members(res.path)
    assert "uploaders.json" not in files and f"content/{content.sha256}" in files
    blob = b"".join(files.values())
    for secret in ALICE_PRIVATE + ("198.51.100.23",):
        assert secret.encode() not in blob, secret
    # another holder gets neither content nor personal data, only hashes and proofs
    other = export(platform, tmp_path / "rival.zip", receiver="rival", notice_id=notice_id)
    assert verify_package(other.path, public_key(platform)).ok
    assert not any(n.startswith("content/") for n in members(other.path))


def test_holder_with_a_grant_gets_the_uploader_records(platform, case, tmp_path):
    _, notice_id = case
    with platform.unit() as svc:
        req = svc.disclosure.request(svc.accounts.get("studio"), basis="", notice_id=notice_id)
        svc.disclosure.decide(req.id, svc.accounts.get("rita"), grant=True, reason="ok")
    res = export(platform, tmp_path / "granted.zip", receiver="studio", notice_id=notice_id)
    assert res.entitlement.personal_data and res.withheld == 0
    assert verify_package(res.path, public_key(platform)).ok
    assert json.loads(members(res.path)["uploaders.json"])[0]["phone"] == "+86 138 0000 0000"


def _edit_record(files: dict[str, bytes]) -> None:
    lines = files["records.jsonl"].decode().splitlines()
    n = next(i for i, line in enumerate(lines) if '"document"' in line)
    rec = json.loads(lines[n])
    rec["document"] = rec["document"].replace('"action":"', '"action":"x')
    lines[n] = json.dumps(rec, sort_keys=True)
    files["records.jsonl"] = ("\n".join(lines) + "\n").encode()


def _consistent_forged_record(files: dict[str, bytes]) -> None:
    # the document and its leaf hash changed together: only the proof can tell
    from safeharbor.evidence import merkle

    lines = files["records.jsonl"].decode().splitlines()
    rec = json.loads(lines[-1])
    rec["document"] = rec["document"].replace('"action":"', '"action":"x')
    rec["leaf_hash"] = merkle.leaf_hash(rec["document"].encode()).hex()
    lines[-1] = json.dumps(rec, sort_keys=True)
    files["records.jsonl"] = ("\n".join(lines) + "\n").encode()


def _flip_proof(files: dict[str, bytes]) -> None:
    lines = files["records.jsonl"].decode().splitlines()
    rec = json.loads(lines[0])
    h = rec["inclusion_path"][0]
    rec["inclusion_path"][0] = ("0" if h[0] != "0" else "1") + h[1:]
    lines[0] = json.dumps(rec, sort_keys=True)
    files["records.jsonl"] = ("\n".join(lines) + "\n").encode()


def _edit_content(files: dict[str, bytes]) -> None:
    name = next(n for n in files if n.startswith("content/"))
    files[name] = files[name][:-1] + bytes([files[name][-1] ^ 1])


def _edit_manifest(files: dict[str, bytes]) -> None:
    files["manifest.json"] = files["manifest.json"].replace(b'"notice"', b'"work"', 1)


def _forge_head(files: dict[str, bytes]) -> None:
    head = json.loads(files["tree_head.json"])
    forged = sth.sign_sth(
        Ed25519PrivateKey.generate(), head["tree_size"], head["timestamp"], bytes(32)
    )
    files["tree_head.json"] = json.dumps(forged).encode()
    manifest = json.loads(files["manifest.json"])
    manifest["tree_head"] = forged
    files["manifest.json"] = json.dumps(manifest).encode()


@pytest.mark.parametrize(
    ("change", "insider", "check", "words"),
    [
        (_edit_manifest, False, "manifest", "signature"),
        (lambda f: f.__setitem__("manifest.sig", b"AAAA"), False, "manifest", "signature"),
        (_edit_record, False, "files", "records.jsonl"),
        (_edit_record, True, "records", "does not hash"),
        (_consistent_forged_record, True, "records", "inclusion proof"),
        (_flip_proof, True, "records", "inclusion proof"),
        (_edit_content, False, "files", "content/"),
        (_edit_content, True, "contents", "does not hash"),
        (lambda f: f.pop("contents.json"), False, "files", "missing"),
        (lambda f: f.__setitem__("extra.txt", b"x"), False, "files", "not in the manifest"),
        (_forge_head, True, "tree_head", "signature"),
    ],
)
def test_tampering_with_each_part_fails(platform, case, tmp_path, change, insider, check, words):
    """Bad input: a forged package, a tree head signed with another key."""
    _, notice_id = case
    good = export(platform, tmp_path / "good.zip", notice_id=notice_id).path
    key = keys.load_or_create(platform.settings) if insider else None
    bad = rewrite(good, tmp_path / "bad.zip", change, resign=key)
    v = verify_package(bad, public_key(platform))
    assert not v.ok
    failure = v.first_failure
    assert failure is not None
    assert failure.name == check, v.view()
    assert words in failure.detail, failure.detail


def test_truncated_package_and_wrong_key(platform, case, tmp_path):
    _, notice_id = case
    good = export(platform, tmp_path / "good.zip", notice_id=notice_id).path
    data = good.read_bytes()
    cut = tmp_path / "cut.zip"
    cut.write_bytes(data[: len(data) // 2])
    v = verify_package(cut, public_key(platform))
    assert not v.ok and v.first_failure.name == "package"
    other = keys.public_pem(Ed25519PrivateKey.generate())
    v = verify_package(good, other)
    assert not v.ok and v.first_failure.name == "manifest"
    v = verify_package(good, "not a key")
    assert not v.ok and v.first_failure.name == "key"


def test_cli_export_and_verify_offline(platform, case, tmp_path):
    _, notice_id = case
    r = cli(platform, "ledger", "key", "--public")
    assert r.returncode == 0, r.stderr
    pem = tmp_path / "platform.pem"
    pem.write_text(r.stdout)
    out = tmp_path / "pkg.zip"
    r = cli(
        platform,
        "evidence",
        "export",
        "--notice",
        str(notice_id),
        "--out",
        str(out),
        "--for",
        "studio",
        "--json",
    )
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["records"] > 3
    # the receiver's side: nothing but the package and the key (an empty home folder)
    env = {**os.environ, "SAFEHARBOR_HOME": str(tmp_path / "elsewhere")}
    env.pop("SAFEHARBOR_DATABASE_URL", None)
    ok = subprocess.run(
        [
            sys.executable,
            "-m",
            "safeharbor.cli",
            "evidence",
            "verify",
            str(out),
            "--key",
            str(pem),
            "--json",
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert ok.returncode == 0, ok.stdout + ok.stderr
    assert json.loads(ok.stdout)["ok"] is True
    bad = rewrite(out, tmp_path / "bad.zip", _edit_record)
    r = subprocess.run(
        [sys.executable, "-m", "safeharbor.cli", "evidence", "verify", str(bad), "--key", str(pem)],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert r.returncode == 1 and "FAIL files" in r.stdout
