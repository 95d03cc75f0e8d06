"""The tamper-evident ledger (DESIGN.md "Ledger"; RFC 6962/9162): sealing the records,
signed tree heads, inclusion and consistency proofs, verification that names the first
record that was tampered with, publishing; through the service, the API and the CLI."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import select, text
from typer.testing import CliRunner

from safeharbor import cli_common
from safeharbor.audit import service as audit
from safeharbor.audit.models import Record
from safeharbor.cli import app as cli_app
from safeharbor.errors import InvalidInput, NotFound
from safeharbor.evidence import keys, merkle, sth
from safeharbor.evidence.ledger import GAP_GRACE
from safeharbor.evidence.models import LedgerNode, TreeHead
from safeharbor.notices.scheduler import tick
from safeharbor.platform import Platform
from tests.conftest import auth

# -- helpers ---------------------------------------------------------------------------------


def append(platform: Platform, n: int, per_unit: int = 10) -> list[int]:
    ids: list[int] = []
    for start in range(0, n, per_unit):
        with platform.unit() as svc:
            for i in range(start, min(n, start + per_unit)):
                rec = audit.append(
                    svc.session,
                    at=platform.clock.now(),
                    action="test.event",
                    subject_type="test",
                    subject_id=i,
                    payload={"i": i},
                )
                ids.append(rec.id)
    return ids


def n_records(platform: Platform) -> int:
    with platform.unit() as svc:
        return len(list(svc.session.scalars(select(Record.id))))


def head(platform: Platform) -> dict:
    with platform.unit() as svc:
        return svc.ledger.head()


def verify(platform: Platform):  # noqa: ANN201
    with platform.unit() as svc:
        return svc.ledger.verify()


def sql(platform: Platform, statement: str, **params: object) -> None:
    # outside the application, as someone with the database's password would
    with platform.db.engine.begin() as conn:
        conn.execute(text(statement), params)


def public_key(platform: Platform):  # noqa: ANN201
    return keys.load_or_create(platform.settings).public_key()


def check_inclusion(proof: dict, pub) -> None:  # noqa: ANN001
    assert sth.verify_sth(proof["head"], pub)
    assert merkle.verify_inclusion(
        bytes.fromhex(proof["leaf_hash"]),
        proof["leaf_index"],
        proof["tree_size"],
        [bytes.fromhex(h) for h in proof["audit_path"]],
        bytes.fromhex(proof["head"]["root_hash"]),
    )


# -- sealing and proofs -----------------------------------------------------------------------


def test_records_are_sealed_under_signed_heads_with_verifiable_proofs(platform):
    empty = head(platform)  # a new ledger signs the empty tree
    assert empty["tree_size"] == 0 and empty["root_hash"] == merkle.EMPTY_ROOT.hex()
    append(platform, 37)
    first = head(platform)
    assert first["tree_size"] == 37
    pub = public_key(platform)
    assert sth.verify_sth(first, pub)
    assert first["key_id"] == keys.key_id(pub)
    with platform.unit() as svc:
        leaves = [
            bytes.fromhex(h)
            for h in svc.session.scalars(select(Record.leaf_hash).order_by(Record.id))
        ]
        assert first["root_hash"] == merkle.root(leaves).hex()
        # each complete perfect subtree is stored once: 37 + 18 + 9 + 4 + 2 + 1 nodes
        assert len(list(svc.session.scalars(select(LedgerNode.level)))) == 71
        for rid in range(1, 38):
            proof = svc.ledger.inclusion(rid)
            assert proof["leaf_hash"] == leaves[rid - 1].hex()
            check_inclusion(proof, pub)
    assert head(platform) == first  # nothing new: no new head
    append(platform, 26)
    second = head(platform)
    assert second["tree_size"] == 63 and second["timestamp"] >= first["timestamp"]
    with platform.unit() as svc:
        old = svc.ledger.inclusion(5, tree_size=37)  # against an earlier signed head
        assert old["head"] == first
        check_inclusion(old, pub)
        proof = svc.ledger.consistency(37, 63)
        assert merkle.verify_consistency(
            37,
            63,
            bytes.fromhex(first["root_hash"]),
            bytes.fromhex(second["root_hash"]),
            [bytes.fromhex(h) for h in proof["consistency_path"]],
        )
        assert len(svc.ledger.heads()) == 3
        with pytest.raises(NotFound):
            svc.ledger.inclusion(64)
        with pytest.raises(NotFound):
            svc.ledger.inclusion(1, tree_size=40)  # no head was signed at 40
        with pytest.raises(InvalidInput):
            svc.ledger.consistency(63, 37)
    result = verify(platform)
    assert result.ok, result.failure
    assert (result.records, result.heads, result.tree_size) == (63, 3, 63)


def test_a_notice_and_its_steps_are_sealed(platform, people, tmp_path):
    from tests.test_notices import CN_NOTICE, file, stored_upload

    content = stored_upload(platform, people, tmp_path)
    notice = file(
        platform,
        people["holder"].id,
        CN_NOTICE,
        urls=[f"http://127.0.0.1:8000/c/{content.public_id}"],
    )
    with platform.unit() as svc:
        steps = audit.history(svc.session, "notice", notice["notice_id"])
        assert steps
        for rec in steps:
            check_inclusion(svc.ledger.inclusion(rec.id), public_key(platform))
    assert verify(platform).ok


def test_the_scheduler_tick_seals_what_was_appended(platform):
    append(platform, 5)
    assert tick(platform)["sealed"] == 5
    assert tick(platform)["sealed"] == 0
    assert head(platform)["tree_size"] == 5


# -- tampering --------------------------------------------------------------------------------


@pytest.fixture
def sealed(platform: Platform) -> Platform:
    append(platform, 21)
    assert head(platform)["tree_size"] == 21
    assert verify(platform).ok
    return platform


def test_an_edited_document_is_named(sealed):
    sql(
        sealed,
        "UPDATE records SET document = replace(document, :a, :b) WHERE id = 8",
        a='"i":7',
        b='"i":70',
    )
    result = verify(sealed)
    assert not result.ok
    assert (result.failure.kind, result.failure.record_id) == ("record", 8)
    assert "edited" in result.failure.reason


def test_a_consistently_rewritten_record_is_named(sealed):
    # the row hashes right (document and leaf hash rewritten together): the sealed leaf
    # node still remembers the original
    doc = '{"action":"test.event","forged":true}'
    sql(
        sealed,
        "UPDATE records SET document = :d, leaf_hash = :h WHERE id = 13",
        d=doc,
        h=audit.leaf_hash(doc),
    )
    result = verify(sealed)
    assert (result.ok, result.failure.kind, result.failure.record_id) == (False, "record", 13)
    assert "rewritten" in result.failure.reason


def test_a_rewrite_with_the_whole_tree_recomputed_is_caught_by_the_signed_head(sealed):
    doc = '{"action":"test.event","forged":true}'
    sql(
        sealed,
        "UPDATE records SET document = :d, leaf_hash = :h WHERE id = 3",
        d=doc,
        h=audit.leaf_hash(doc),
    )
    with sealed.unit() as svc:
        leaves = [
            bytes.fromhex(h)
            for h in svc.session.scalars(select(Record.leaf_hash).order_by(Record.id))
        ]
    sql(sealed, "DELETE FROM ledger_nodes")
    level, nodes = 0, leaves
    while nodes:
        for i, h in enumerate(nodes):
            sql(
                sealed,
                'INSERT INTO ledger_nodes (level, "index", hash) VALUES (:l, :i, :h)',
                l=level,
                i=i,
                h=h,
            )
        nodes = [merkle.node_hash(nodes[2 * j], nodes[2 * j + 1]) for j in range(len(nodes) // 2)]
        level += 1
    result = verify(sealed)
    assert (result.ok, result.failure.kind, result.failure.tree_size) == (False, "head", 21)
    assert "root" in result.failure.reason


def test_a_deleted_record_is_named(sealed):
    sql(sealed, "DELETE FROM records WHERE id = 10")
    result = verify(sealed)
    assert (result.ok, result.failure.kind, result.failure.record_id) == (False, "record", 10)
    assert "missing" in result.failure.reason


def test_a_deleted_last_record_is_named(sealed):
    sql(sealed, "DELETE FROM records WHERE id = 21")
    append(sealed, 3)  # later records do not cover it up
    result = verify(sealed)
    assert (result.ok, result.failure.kind, result.failure.record_id) == (False, "record", 21)


def test_a_changed_node_is_named(sealed):
    sql(sealed, 'UPDATE ledger_nodes SET hash = :h WHERE level = 2 AND "index" = 3', h=b"\x00" * 32)
    result = verify(sealed)
    assert not result.ok
    f = result.failure
    assert (f.kind, f.level, f.index, f.record_id) == ("node", 2, 3, 13)  # over records 13-16
    assert "records 13-16" in f.reason


def test_a_head_signed_with_another_key_is_named(sealed):
    append(sealed, 4)
    with sealed.unit() as svc:
        leaves = [
            bytes.fromhex(h)
            for h in svc.session.scalars(select(Record.leaf_hash).order_by(Record.id))
        ]
        forged = sth.sign_sth(Ed25519PrivateKey.generate(), 25, 10**12, merkle.root(leaves))
        svc.session.add(
            TreeHead(**{k: v for k, v in forged.items()}, created_at=sealed.clock.now())
        )
    result = verify(sealed)
    assert (result.ok, result.failure.kind, result.failure.tree_size) == (False, "head", 25)
    assert "another key" in result.failure.reason
    # and one that claims the platform's key id but carries another key's signature
    with sealed.unit() as svc:
        svc.session.execute(
            text("UPDATE tree_heads SET key_id = :k WHERE tree_size = 25"),
            {"k": keys.key_id(public_key(sealed))},
        )
    result = verify(sealed)
    assert (result.failure.kind, result.failure.tree_size) == ("head", 25)
    assert "signature" in result.failure.reason


# -- holes in the ids -------------------------------------------------------------------------


def test_a_hole_stops_sealing_until_filled_or_reported(platform, clock):
    append(platform, 4)
    assert head(platform)["tree_size"] == 4
    # an id taken by a transaction that rolls back (PostgreSQL) or a record deleted before
    # it was sealed (the only way to a hole on SQLite)
    backend = platform.db.engine.dialect.name
    if backend == "postgresql":
        with pytest.raises(RuntimeError), platform.unit() as svc:
            audit.append(svc.session, at=clock.now(), action="t", subject_type="t", subject_id=1)
            raise RuntimeError("rolled back")
        append(platform, 3)  # ids 6, 7, 8
    else:
        append(platform, 2)
        sql(platform, "DELETE FROM records WHERE id = 5")  # (SQLite reuses a freed last id)
        append(platform, 2)  # ids 7, 8
    assert head(platform)["tree_size"] == 4  # only the contiguous run is sealed
    if backend == "postgresql":
        assert verify(platform).ok and verify(platform).pending_after == 4
        clock.advance(GAP_GRACE + timedelta(seconds=1))
        assert head(platform)["tree_size"] == 8
        with platform.unit() as svc:
            assert svc.session.get(Record, 5).action == "ledger.gap"
        assert verify(platform).ok
    else:
        clock.advance(GAP_GRACE + timedelta(seconds=1))
        assert head(platform)["tree_size"] == 4  # never filled: it can only be a deletion
        result = verify(platform)
        assert (result.ok, result.failure.record_id) == (False, 5)


# -- publishing and the API -------------------------------------------------------------------


def test_publish_writes_every_head_and_the_key(platform, people, tmp_path):
    append(platform, 3)
    head(platform)
    append(platform, 2)
    out = tmp_path / "heads.jsonl"
    with platform.unit() as svc:
        done = svc.ledger.publish(out, svc.accounts.get(people["admin"].id))
    lines = [json.loads(line) for line in out.read_text().splitlines()]
    assert lines[0]["kind"] == "key"
    pub = keys.load_public(lines[0]["public_key"])
    heads = lines[1:]
    assert [h["tree_size"] for h in heads][-1] == done["tree_size"]
    assert all(sth.verify_sth(h, pub) for h in heads)
    with platform.unit() as svc:  # the publishing itself is on the record
        rec = svc.session.scalars(select(Record).where(Record.action == "ledger.publish")).one()
        assert rec.actor_id == people["admin"].id


def test_api_heads_are_public_and_proofs_are_staff_only(platform, people, client):
    append(platform, 9)
    h = client.get("/api/ledger/head").json()
    assert h["tree_size"] == n_records(platform)
    pem = client.get("/api/ledger/key").text
    assert sth.verify_sth(h, pem)
    listed = client.get("/api/ledger/heads").json()
    assert listed["heads"][-1] == h and listed["key_id"] == h["key_id"]
    assert sth.verify_sth(listed["heads"][-1], listed["public_key"])

    assert client.get("/api/ledger/proof/3").status_code == 401
    assert client.get("/api/ledger/proof/3", headers=auth(platform, "alice")).status_code == 403
    rita = auth(platform, "rita")
    proof = client.get("/api/ledger/proof/3", headers=rita).json()
    check_inclusion(proof, keys.load_public(pem))
    assert client.get("/api/ledger/proof/999", headers=rita).status_code == 404
    first = h["tree_size"]
    append(platform, 5)
    second = client.get("/api/ledger/head").json()
    c = client.get(
        "/api/ledger/consistency",
        params={"first": first, "second": second["tree_size"]},
        headers=rita,
    )
    assert c.status_code == 200
    assert merkle.verify_consistency(
        first,
        second["tree_size"],
        bytes.fromhex(h["root_hash"]),
        bytes.fromhex(second["root_hash"]),
        [bytes.fromhex(x) for x in c.json()["consistency_path"]],
    )
    assert (
        client.get(
            "/api/ledger/consistency",
            params={"first": 1, "second": 2},
            headers=auth(platform, "ncac"),
        ).status_code
        == 403
    )


# -- the command line ------------------------------------------------------------------------


def run_cli(home: Path, *args: str):  # noqa: ANN201
    cli_common._state.clear()  # a fresh platform per command, as a new process would have
    try:
        return CliRunner().invoke(cli_app, ["--home", str(home), *args])
    finally:
        opened = cli_common._state.pop("platform", None)
        if opened is not None:
            opened.close()
        cli_common._state.clear()


def test_cli_ledger_commands(tmp_path):
    home = tmp_path / "home"
    init = run_cli(home, "init")
    assert init.exit_code == 0, init.output
    assert "ledger signing key:" in init.output and (home / "keys").is_dir()
    before = json.loads(run_cli(home, "ledger", "head", "--json").stdout)
    platform = Platform.open(home)
    try:
        append(platform, 12)
    finally:
        platform.close()

    h = run_cli(home, "ledger", "head", "--json")
    assert h.exit_code == 0, h.output
    latest = json.loads(h.stdout)
    pem = run_cli(home, "ledger", "key", "--public").stdout
    pub = keys.load_public(pem)
    assert keys.key_id(pub) in init.output and sth.verify_sth(latest, pub)

    proof = run_cli(home, "ledger", "proof", "4", "--json")
    assert proof.exit_code == 0, proof.output
    check_inclusion(json.loads(proof.stdout), pub)
    assert run_cli(home, "ledger", "proof", "4", "--size", "3").exit_code == 1  # no such head
    first, second = before["tree_size"], latest["tree_size"]
    cons = run_cli(home, "ledger", "consistency", str(first), str(second), "--json")
    assert cons.exit_code == 0, cons.output
    assert merkle.verify_consistency(
        first,
        second,
        bytes.fromhex(before["root_hash"]),
        bytes.fromhex(latest["root_hash"]),
        [bytes.fromhex(h) for h in json.loads(cons.stdout)["consistency_path"]],
    )

    ok = run_cli(home, "ledger", "verify", "--json")
    assert ok.exit_code == 0, ok.output
    assert json.loads(ok.stdout)["ok"] is True
    assert "ledger OK" in run_cli(home, "ledger", "verify").stdout

    published = home / "published.jsonl"
    assert run_cli(home, "ledger", "publish", str(published)).exit_code == 0
    assert len(published.read_text().splitlines()) >= 3

    platform = Platform.open(home)
    try:
        sql(platform, "UPDATE records SET document = document || ' ' WHERE id = 6")
    finally:
        platform.close()
    bad = run_cli(home, "ledger", "verify")
    assert bad.exit_code == 1
    assert "record 6" in bad.output
    as_json = run_cli(home, "ledger", "verify", "--json")
    assert as_json.exit_code == 1
    assert json.loads(as_json.stdout.splitlines()[0])["failure"]["record_id"] == 6
