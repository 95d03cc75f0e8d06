"""Sharing hash lists and blacklists between two platforms (LEGAL.md: EU content-sharing,
DSM 17(4) best efforts to keep out works whose holders gave the relevant information;
CN stay-down, NCAC 2015 items 5-6): a signed package from platform A, imported on B, makes
B's screen see A's works, as far as B trusts A."""

from __future__ import annotations

import json
import zipfile
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import func, select
from typer.testing import CliRunner

from safeharbor import cli_common
from safeharbor.audit.models import Record
from safeharbor.blacklists.models import BlacklistEntry
from safeharbor.cli import app as cli_app
from safeharbor.clock import FrozenClock
from safeharbor.config import load_settings
from safeharbor.errors import InvalidInput
from safeharbor.evidence import keys
from safeharbor.platform import Platform
from safeharbor.registry.models import Reference
from safeharbor.sharing import format as fmt
from safeharbor.sharing.models import SharedImport, SharedItem
from tests.conftest import auth, make_user, photo, save


def approved_work(platform: Platform, people: dict[str, Any], path: Path, **kw: Any) -> int:
    with platform.unit() as svc:
        reg = svc.registry.register(svc.accounts.get(people["holder"].id), path, **kw)
        svc.registry.review(reg.work.id, "approve", svc.accounts.get(people["reviewer"].id))
        return reg.work.id


@pytest.fixture
def other(tmp_path: Path) -> Iterator[Platform]:
    """Platform B: its own home, database and signing key."""
    home = tmp_path / "b-home"
    p = Platform(load_settings(home, database_url=f"sqlite:///{tmp_path / 'b.db'}"), FrozenClock())
    p.migrate()
    make_user(p, "op", "admin")
    make_user(p, "carol", "uploader")
    with p.unit() as svc:
        svc.accounts.accept_terms(svc.accounts.get("carol"), p.settings.terms_version, None)
    yield p
    p.close()


def export_a(platform: Platform, people: dict[str, Any], out: Path, **kw: Any) -> dict[str, Any]:
    with platform.unit() as svc:
        return svc.sharing.export(svc.accounts.get(people["admin"].id), out, **kw)


def public_pem(p: Platform) -> str:
    return keys.public_pem(keys.load_or_create(p.settings))


def add_partner(b: Platform, name: str, pem: str, trust: str) -> None:
    with b.unit() as svc:
        svc.sharing.add_partner(svc.accounts.get("op"), name, pem, trust)


def import_on(b: Platform, path: Path, partner: str = "alpha") -> dict[str, Any]:
    with b.unit() as svc:
        return svc.sharing.import_package(svc.accounts.get("op"), path, partner)


def upload_on(b: Platform, path: Path) -> str:
    with b.unit() as svc:
        _content, res = svc.screening.upload(svc.accounts.get("carol"), path)
        return res.verdict.decision.value


def stored(b: Platform) -> tuple[int, int, int, int]:
    with b.unit() as svc:
        s = svc.session
        return (
            s.scalar(select(func.count(SharedImport.id))) or 0,
            s.scalar(select(func.count(SharedItem.id))) or 0,
            s.scalar(select(func.count(Reference.id)).where(Reference.source == "shared")) or 0,
            s.scalar(select(func.count(BlacklistEntry.id))) or 0,
        )


def actions(p: Platform, action: str) -> list[dict[str, Any]]:
    with p.unit() as svc:
        rows = svc.session.scalars(select(Record).where(Record.action == action))
        return [json.loads(r.document) for r in rows]


@pytest.fixture
def package(platform: Platform, people: dict[str, Any], tmp_path: Path) -> Path:
    """A's package: one approved picture and one blacklisted site."""
    approved_work(platform, people, save(photo(31), tmp_path / "still.jpg"), title="Still 31")
    with platform.unit() as svc:
        svc.blacklists.add(svc.accounts.get(people["admin"].id), "pirate.example", reason="p")
    out = tmp_path / "a.zip"
    export_a(platform, people, out)
    return out


def test_export_has_fingerprints_public_data_and_no_personal_data(platform, people, package):
    with zipfile.ZipFile(package) as z:
        manifest = json.loads(z.read("manifest.json"))
        hashes = [json.loads(x) for x in z.read("hashes.jsonl").splitlines()]
        blacklist = [json.loads(x) for x in z.read("blacklist.jsonl").splitlines()]
        everything = b"".join(z.read(n) for n in z.namelist())
    assert manifest["format"] == fmt.FORMAT and manifest["counts"]["items"] == 1
    assert manifest["key_id"] == keys.key_id(keys.load_or_create(platform.settings))
    types = {h["signal_type"] for h in hashes}
    assert {"pdq", "sha256"} <= types  # ThreatExchange names where they apply
    pdq = next(h for h in hashes if h["signal_type"] == "pdq")
    assert len(pdq["signal"]) == 64 and pdq["title"] == "Still 31" and pdq["holder"] == "studio"
    assert [b["key"] for b in blacklist] == ["pirate.example"]
    for personal in (b"Alice Zhang", b"alice@example.com", b"203.0.113.7", b"legal@studio"):
        assert personal not in everything
    assert actions(platform, "share.export")


@pytest.mark.parametrize(("trust", "decision"), [("trusted", "hold"), ("review", "review")])
def test_round_trip_a_to_b_screens_by_trust(
    platform, people, other, package, tmp_path, trust, decision
):
    add_partner(other, "alpha", public_pem(platform), trust)
    res = import_on(other, package)
    assert res["items"] == 1 and res["blacklist_added"] == 1
    copy = save(photo(31).resize((480, 360)), tmp_path / "copy.jpg", quality=60)
    assert upload_on(other, copy) == decision
    unrelated = save(photo(99), tmp_path / "mine.jpg")
    assert upload_on(other, unrelated) == "allow"
    with other.unit() as svc:
        hit = svc.blacklists.check("https://www.pirate.example/")
        assert hit.entry is not None and hit.entry.source == "partner:alpha"
    assert actions(other, "share.import") and actions(other, "partner.add")


def test_trust_change_applies_at_once_and_ignore_keeps_items_unused(
    platform, people, other, package, tmp_path
):
    add_partner(other, "alpha", public_pem(platform), "trusted")
    import_on(other, package)
    with other.unit() as svc:
        svc.sharing.set_trust(svc.accounts.get("op"), "alpha", "ignore")
    copy = save(photo(31), tmp_path / "copy.jpg", quality=70)
    assert upload_on(other, copy) == "allow"
    assert stored(other)[1] == 1  # stored, not used
    with other.unit() as svc:
        assert not svc.blacklists.check("http://pirate.example/").blocked
        svc.sharing.set_trust(svc.accounts.get("op"), "alpha", "trusted")
    assert upload_on(other, save(photo(31), tmp_path / "c2.jpg", quality=65)) == "hold"
    assert len(actions(other, "partner.trust")) == 2


def _rewrite(src: Path, dst: Path, change: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(src) as z:
        parts = {n: z.read(n) for n in z.namelist()}
    parts.update(change)
    with zipfile.ZipFile(dst, "w") as z:
        for n, data in parts.items():
            z.writestr(n, data)
    return dst


def _tampered(package: Path, tmp_path: Path, how: str) -> Path:
    with zipfile.ZipFile(package) as z:
        manifest = z.read("manifest.json")
        hashes = z.read("hashes.jsonl")
    dst = tmp_path / f"{how}.zip"
    if how == "hash_row":
        rows = hashes.splitlines()
        row = json.loads(rows[0])
        row["title"] = "Someone else's"
        rows[0] = fmt.canonical(row)
        return _rewrite(package, dst, {"hashes.jsonl": b"\n".join(rows) + b"\n"})
    if how == "manifest":
        doc = json.loads(manifest)
        doc["counts"]["items"] = 99
        return _rewrite(package, dst, {"manifest.json": fmt.canonical(doc)})
    if how == "other_key":
        other_key = Ed25519PrivateKey.generate()
        doc = json.loads(manifest)
        doc["key_id"] = keys.key_id(other_key)
        body = fmt.canonical(doc)
        sig = keys.sign(other_key, body).encode()
        return _rewrite(package, dst, {"manifest.json": body, "manifest.sig": sig})
    if how == "other_key_claiming_partner_id":
        sig = keys.sign(Ed25519PrivateKey.generate(), manifest).encode()
        return _rewrite(package, dst, {"manifest.sig": sig})
    dst.write_bytes(package.read_bytes()[: package.stat().st_size // 2])  # truncated
    return dst


@pytest.mark.parametrize(
    ("how", "reason"),
    [
        ("hash_row", "hashes.jsonl does not match the signed manifest"),
        ("manifest", "bad signature"),
        ("other_key", "not the partner's key"),
        ("other_key_claiming_partner_id", "bad signature"),
        ("truncated", "not a readable ZIP"),
    ],
)
def test_tampered_package_is_refused_nothing_stored(
    platform, people, other, package, tmp_path, how, reason
):
    add_partner(other, "alpha", public_pem(platform), "trusted")
    bad = _tampered(package, tmp_path, how)
    with pytest.raises(InvalidInput) as exc:
        import_on(other, bad)
    assert reason in exc.value.message and "nothing stored" in exc.value.message
    assert stored(other) == (0, 0, 0, 0)
    (refusal,) = actions(other, "share.refused")
    assert reason in refusal["payload"]["reason"]
    import_on(other, package)  # the genuine package still goes in
    assert stored(other)[:3] == (1, 1, 1)


def test_same_package_twice_and_unknown_partner(platform, people, other, package):
    with pytest.raises(InvalidInput):
        add_partner(other, "alpha", "not a key", "review")
    add_partner(other, "alpha", public_pem(platform), "review")
    import_on(other, package)
    with pytest.raises(Exception, match="imported already"):
        import_on(other, package)
    with pytest.raises(Exception, match="no partner"):
        import_on(other, package, partner="nobody")


def test_export_since_and_what(platform, people, package, tmp_path, clock):
    clock.advance(timedelta(days=2))
    later = clock.now()
    manifest = export_a(platform, people, tmp_path / "since.zip", since=later)
    assert manifest["counts"] == {"hashes": 0, "items": 0, "blacklist": 0}
    only = export_a(platform, people, tmp_path / "bl.zip", what="blacklist")
    assert only["counts"]["hashes"] == 0 and only["counts"]["blacklist"] == 1


# -- API and CLI -----------------------------------------------------------------------------


def test_api_partners_export_and_refused_import(platform, people, client, package, tmp_path):
    headers = auth(platform, "root")
    r = client.post(
        "/api/share/partners",
        json={"name": "self", "public_key": public_pem(platform), "trust": "review"},
        headers=headers,
    )
    assert r.status_code == 201 and r.json()["trust"] == "review"
    assert client.get("/api/share/partners", headers=auth(platform, "alice")).status_code == 403
    exported = client.get("/api/share/export", headers=headers)
    assert exported.status_code == 200 and exported.content[:2] == b"PK"
    bad = _tampered(package, tmp_path, "hash_row")
    r = client.post(
        "/api/share/import",
        files={"file": ("x.zip", bad.read_bytes())},
        data={"partner": "self"},
        headers=headers,
    )
    assert r.status_code == 422 and "does not match" in r.json()["detail"]
    r = client.post(
        "/api/share/import",
        files={"file": ("x.zip", exported.content)},
        data={"partner": "self"},
        headers=headers,
    )
    assert r.status_code == 200 and r.json()["items"] == 1
    r = client.post("/api/share/partners/self/trust", json={"trust": "bogus"}, headers=headers)
    assert r.status_code == 422


def test_cli_export_partner_import(platform, people, tmp_path, monkeypatch):
    approved_work(platform, people, save(photo(32), tmp_path / "w.jpg"))
    monkeypatch.setitem(cli_common._state, "platform", platform)
    with platform.unit() as svc:
        cli_common.ensure_operator(svc)
    runner = CliRunner()

    def cli(*args: str, code: int = 0) -> str:
        res = runner.invoke(cli_app, list(args))
        assert res.exit_code == code, res.output
        return res.output

    out = tmp_path / "pkg.zip"
    manifest = json.loads(cli("share", "export", "--out", str(out), "--json"))
    assert manifest["counts"]["items"] == 1
    pem = tmp_path / "key.pem"
    pem.write_text(public_pem(platform))
    cli("share", "partner", "add", "self", "--key", str(pem), "--trust", "review")
    (row,) = [json.loads(x) for x in cli("share", "partner", "list", "--json").splitlines()]
    assert row["name"] == "self" and row["trust"] == "review"
    bad = _tampered(out, tmp_path, "manifest")
    assert "bad signature" in cli("share", "import", str(bad), "--partner", "self", code=1)
    res = json.loads(cli("share", "import", str(out), "--partner", "self", "--json"))
    assert res["items"] == 1
    assert "ignore" in cli("share", "partner", "trust", "self", "ignore")
