"""Repeat infringers: strikes from upheld notices and confirmed blocks, escalation through
every level and what each does to the upload path, appeals, counter-notices and expiry
lifting strikes, evasion of a termination (LEGAL.md "Repeat infringement, stay-down,
misuse": US 512(i), EU DSA 23, CN SPC Prov 9; "Records": strikes and their enforcement,
512(i); uploader name, contact, network address to the authority, Reg 13)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from PIL import ImageOps
from typer.testing import CliRunner

from safeharbor import cli_common
from safeharbor.audit.models import Record
from safeharbor.cli import app as cli_app
from safeharbor.config import RepeatInfringerPolicy
from safeharbor.enforcement.evasion import Identity, norm_phone, why_same
from safeharbor.enforcement.policy import Level, evaluate, level_for
from safeharbor.errors import Conflict, Forbidden
from safeharbor.notices.models import Message
from safeharbor.notices.scheduler import tick
from safeharbor.platform import Platform
from tests.conftest import auth, make_user, photo, save
from tests.test_notices import CN_COUNTER, CN_NOTICE, file
from tests.test_screening import approved_work, match_score, set_thresholds_around, upload

# -- helpers -------------------------------------------------------------------------------


def records(platform: Platform, action: str) -> list[dict]:
    with platform.unit() as svc:
        rows = svc.session.query(Record).filter_by(action=action).order_by(Record.id)
        return [json.loads(r.document) for r in rows]


def strikes(platform: Platform, name: str, viewer: str = "root") -> dict:
    with platform.unit() as svc:
        return svc.enforcement.strikes_view(svc.accounts.get(name), svc.accounts.get(viewer))


def status(platform: Platform, name: str) -> str:
    with platform.unit() as svc:
        return svc.accounts.get(name).status


def clean_upload(platform: Platform, people, tmp_path: Path, seed: int):  # noqa: ANN001, ANN201
    """An upload of a picture nobody registered."""
    return upload(platform, people["uploader"].id, save(photo(seed), tmp_path / f"c{seed}.jpg"))


def notice_strike(platform: Platform, people, tmp_path: Path, seed: int = 60) -> int:  # noqa: ANN001
    """Alice uploads a picture; the studio's notice takes it down: a strike."""
    content, _ = clean_upload(platform, people, tmp_path, seed)
    assert content.state == "available"
    res = file(platform, people["holder"].id, CN_NOTICE, urls=[f"/c/{content.public_id}"])
    assert res["located"] == [content.public_id]
    return int(res["notice_id"])


def exact_copy_strike(platform: Platform, people, tmp_path: Path, seed: int):  # noqa: ANN001, ANN201
    """Alice uploads an exact copy of a registered picture: blocked, a strike."""
    ref = save(photo(seed), tmp_path / f"ref{seed}.jpg")
    work_id = approved_work(platform, people, ref)
    content, res = upload(platform, people["uploader"].id, ref)
    assert res.verdict.decision == "block", res.verdict.reason
    return work_id, content


# -- the policy, alone ---------------------------------------------------------------------


def test_levels_by_active_strike_count_and_time():
    """DSA 23: after a warning, suspension for a period; termination for repeat
    infringement (512(i)) that expiry does not undo."""
    p = RepeatInfringerPolicy()
    assert [level_for(n, p) for n in range(7)] == [
        Level.GOOD,
        Level.WARNING,
        Level.RESTRICTED,
        Level.HIGHER_DUTY,
        Level.SUSPENDED,
        Level.TERMINATED,
        Level.TERMINATED,
    ]
    now = datetime(2026, 3, 1, tzinfo=UTC)
    first = evaluate(4, Level.HIGHER_DUTY, None, now, p)
    assert first.level == Level.SUSPENDED and first.suspended_until == now + timedelta(days=30)
    served = evaluate(4, Level.SUSPENDED, first.suspended_until, now + timedelta(days=31), p)
    assert served.level == Level.HIGHER_DUTY
    # strikes expiring do not reopen a terminated account; lifting one does
    assert evaluate(0, Level.TERMINATED, None, now, p, by_time=True).level == Level.TERMINATED
    assert evaluate(4, Level.TERMINATED, None, now, p).level == Level.SUSPENDED


def test_evasion_identity_rules():
    alice = Identity("alice zhang", "alice@example.com", norm_phone("+86 138 0000 0000"))
    assert norm_phone("+86 138 0000 0000") == "8613800000000"
    assert why_same(Identity(None, None, norm_phone("138-0000-0000")), alice) == "same phone number"
    assert why_same(Identity(None, "alice@example.com", None), alice) == "same email address"
    assert why_same(Identity("alice zhang", None, norm_phone("0086 13800000000")), alice) == (
        "same verified identity (real name and phone)"
    )
    assert why_same(Identity("alice zhang", "other@example.com", "5550100"), alice) is None


# -- strikes from notices and blocks ---------------------------------------------------------


def test_one_notice_is_one_strike_with_its_evidence(platform, people, tmp_path):
    """Several items of one notice against one uploader are one strike (512(i) records)."""
    a, _ = clean_upload(platform, people, tmp_path, 61)
    b, _ = clean_upload(platform, people, tmp_path, 62)
    res = file(platform, people["holder"].id, CN_NOTICE, urls=[a.public_id, b.public_id])
    assert sorted(res["located"]) == sorted([a.public_id, b.public_id])
    view = strikes(platform, "alice")
    assert view["status"] == "warning" and view["active_strikes"] == 1
    (s,) = view["strikes"]
    assert s["notice_id"] == res["notice_id"] and s["content"] in (a.public_id, b.public_id)
    assert s["content_sha256"] in (a.sha256, b.sha256)
    assert s["expires"] == (platform.clock.now() + timedelta(days=365)).isoformat()
    (added,) = records(platform, "strike.add")
    assert added["subject"] == {"type": "user", "id": str(people["uploader"].id)}
    assert added["payload"]["notice_id"] == res["notice_id"]
    assert set(added["payload"]) >= {"strike_id", "work_id", "content", "reason", "expires"}
    (lvl,) = records(platform, "account.level")
    assert lvl["payload"]["from"] == "good" and lvl["payload"]["to"] == "warning"
    assert lvl["payload"]["active_strikes"] == 1
    with platform.unit() as svc:
        # the warning (DSA 23) comes with the takedown it follows, in one message
        told = svc.session.query(Message).filter_by(to_user_id=people["uploader"].id)
        warned = [m for m in told.filter_by(kind="notice.forward") if "warning" in m.body]
        assert len(warned) == 1 and "appeal" in warned[0].body
        assert told.filter_by(kind="strike.level").count() == 0


def test_a_hold_cleared_with_a_licence_is_no_strike_a_released_block_is_lifted(
    platform, people, tmp_path
):
    # held for proof (a transformed copy of a picture): no strike, nor when released
    approved_work(platform, people, save(photo(10), tmp_path / "ref.jpg"))
    copy = ImageOps.mirror(photo(10).resize((400, 300)))
    held, res = upload(platform, people["uploader"].id, save(copy, tmp_path / "u.jpg", quality=45))
    assert res.verdict.decision == "hold"
    assert strikes(platform, "alice")["active_strikes"] == 0
    with platform.unit() as svc:
        svc.screening.review(held.public_id, "allow", svc.accounts.get(people["reviewer"].id))
    assert strikes(platform, "alice")["active_strikes"] == 0
    # an automatic block (exact copy) is a strike; the reviewer releasing it lifts it
    _, blocked = exact_copy_strike(platform, people, tmp_path, 11)
    assert strikes(platform, "alice")["strikes"][0]["content"] == blocked.public_id
    with platform.unit() as svc:
        svc.screening.review(
            blocked.public_id, "allow", svc.accounts.get(people["reviewer"].id), note="licensed"
        )
    view = strikes(platform, "alice")
    assert view["active_strikes"] == 0 and view["status"] == "good"
    assert view["lifted"][0]["removed"]["why"] == "released"


# -- escalation through every level, and the upload path at each ------------------------------


def test_escalation_through_every_level_and_the_upload_path(platform, people, tmp_path):
    """512(i) and DSA 23: warning, restricted publishing, higher duty of care (CN SPC Prov 9:
    repeat infringement not left unchecked), suspension for a period, termination reported
    to the authority with name, contact and network address (Reg 13)."""
    alice = people["uploader"].id
    # 1: warning: uploads unaffected
    notice_strike(platform, people, tmp_path, 60)
    assert strikes(platform, "alice")["status"] == "warning"
    c, res = clean_upload(platform, people, tmp_path, 70)
    assert c.state == "available"
    # 2: restricted: what would be published waits for a reviewer
    exact_copy_strike(platform, people, tmp_path, 20)
    assert strikes(platform, "alice")["status"] == "restricted"
    c, res = clean_upload(platform, people, tmp_path, 71)
    assert res.verdict.decision == "review" and c.state == "held"
    assert "2 active strike" in c.reason
    # 3: higher duty of care: the priority threshold for every work, and review
    exact_copy_strike(platform, people, tmp_path, 21)
    assert strikes(platform, "alice")["status"] == "higher_duty"
    approved_work(platform, people, save(photo(22), tmp_path / "ref22.jpg"))
    weak = save(ImageOps.mirror(photo(22).resize((400, 300))), tmp_path / "weak22.jpg", quality=45)
    set_thresholds_around(platform, match_score(platform, weak), review_above=True)
    _, others = upload(platform, people["uploader2"].id, weak)
    assert others.verdict.decision == "allow"  # too weak a match for an ordinary uploader
    held, res = upload(platform, alice, weak)
    assert res.verdict.decision == "hold" and res.verdict.threshold == (
        platform.settings.thresholds.priority
    )
    # 4: a reviewer confirms the block: suspended for 30 days, uploads refused
    with platform.unit() as svc:
        svc.screening.review(held.public_id, "block", svc.accounts.get(people["reviewer"].id))
    view = strikes(platform, "alice")
    assert view["status"] == "suspended" and view["active_strikes"] == 4
    assert view["suspended_until"] == (platform.clock.now() + timedelta(days=30)).isoformat()
    assert status(platform, "alice") == "suspended"
    with pytest.raises(Forbidden, match="suspended until"):
        clean_upload(platform, people, tmp_path, 72)
    with platform.unit() as svc:
        told = svc.session.query(Message).filter_by(to_user_id=alice, kind="strike.level")
        assert "suspended until" in told.order_by(Message.id.desc()).first().body
    # the suspension ends on the scheduler's clock: back, under the strictest restrictions
    platform.clock.advance(timedelta(days=31))  # type: ignore[attr-defined]
    tick(platform)
    assert strikes(platform, "alice")["status"] == "higher_duty"
    assert status(platform, "alice") == "active"
    c, res = clean_upload(platform, people, tmp_path, 73)
    assert c.state == "held"
    # 5: terminated, reported to the authority
    exact_copy_strike(platform, people, tmp_path, 23)
    assert strikes(platform, "alice")["status"] == "terminated"
    assert status(platform, "alice") == "terminated"
    with pytest.raises(Forbidden, match="terminated"):
        clean_upload(platform, people, tmp_path, 74)
    (report,) = records(platform, "authority.report")
    got = report["payload"]["report"]
    assert got["real_name"] == "Alice Zhang" and got["phone"] == "+86 138 0000 0000"
    assert got["registration_ip"] == "203.0.113.7" and "198.51.100.4" in got["upload_ips"]
    assert report["payload"]["to"] == [people["authority"].id]
    with platform.unit() as svc:
        msg = svc.session.query(Message).filter_by(kind="authority.report").one()
        assert msg.to_user_id == people["authority"].id and "Alice Zhang" in msg.body
    steps = [(r["payload"]["from"], r["payload"]["to"]) for r in records(platform, "account.level")]
    assert steps == [
        ("good", "warning"),
        ("warning", "restricted"),
        ("restricted", "higher_duty"),
        ("higher_duty", "suspended"),
        ("suspended", "higher_duty"),
        ("higher_duty", "terminated"),
    ]
    assert len(records(platform, "strike.add")) == 5
    # a year on, the strikes expire (kept, recorded) but the account stays terminated
    platform.clock.advance(timedelta(days=400))  # type: ignore[attr-defined]
    done = tick(platform)
    assert done["strikes_expired"] == 5
    view = strikes(platform, "alice")
    assert view["status"] == "terminated" and view["strikes"] == [] and len(view["lifted"]) == 5
    assert {r["payload"]["why"] for r in records(platform, "strike.remove")} == {"expired"}


def test_strike_expiry_lowers_the_level(platform, people, tmp_path):
    notice_strike(platform, people, tmp_path, 60)
    exact_copy_strike(platform, people, tmp_path, 30)
    assert strikes(platform, "alice")["status"] == "restricted"
    platform.clock.advance(timedelta(days=366))  # type: ignore[attr-defined]
    assert strikes(platform, "alice")["active_strikes"] == 0  # stops counting at once
    assert tick(platform)["strikes_expired"] == 2
    view = strikes(platform, "alice")
    assert view["status"] == "good" and [s["removed"]["why"] for s in view["lifted"]] == [
        "expired",
        "expired",
    ]
    c, _ = clean_upload(platform, people, tmp_path, 75)
    assert c.state == "available"
    assert tick(platform)["strikes_expired"] == 0  # idempotent


# -- appeals and counter-notices --------------------------------------------------------------


def test_appeal_refused_then_upheld(platform, people, tmp_path):
    notice_strike(platform, people, tmp_path, 60)
    exact_copy_strike(platform, people, tmp_path, 31)
    sid = strikes(platform, "alice")["strikes"][1]["id"]
    with platform.unit() as svc:
        with pytest.raises(Forbidden):
            svc.enforcement.appeal(sid, svc.accounts.get("bob"), "not mine either")
        appeal = svc.enforcement.appeal(sid, svc.accounts.get("alice"), "I hold a licence")
        aid = appeal.id
        with pytest.raises(Conflict):
            svc.enforcement.appeal(sid, svc.accounts.get("alice"), "again")
    with platform.unit() as svc:
        with pytest.raises(Forbidden):
            svc.enforcement.decide_appeal(aid, svc.accounts.get("alice"), True, "self-served")
        svc.enforcement.decide_appeal(aid, svc.accounts.get("rita"), False, "no licence shown")
    view = strikes(platform, "alice")
    assert view["status"] == "restricted" and view["strikes"][1]["appeal"]["status"] == "refused"
    with platform.unit() as svc:
        told = svc.session.query(Message).filter_by(kind="strike.appeal_decided").one()
        assert "no licence shown" in told.body and "stays" in told.body
        aid = svc.enforcement.appeal(sid, svc.accounts.get("alice"), "here it is").id
        svc.enforcement.decide_appeal(aid, svc.accounts.get("rita"), True, "licence verified")
    view = strikes(platform, "alice")
    assert view["status"] == "warning" and view["active_strikes"] == 1
    assert view["lifted"][0]["removed"]["why"] == "appeal"
    assert [r["payload"]["outcome"] for r in records(platform, "strike.appeal_decided")] == [
        "refused",
        "upheld",
    ]
    assert len(records(platform, "strike.appeal")) == 2
    assert records(platform, "strike.remove")[0]["payload"]["why"] == "appeal"


def test_a_successful_counter_notice_lifts_the_notices_strike(platform, people, tmp_path):
    """CN Reg 17 restoration: the content is back, so its strike goes."""
    platform.settings.cn_restoration = "regulation"
    nid = notice_strike(platform, people, tmp_path, 60)
    assert strikes(platform, "alice")["status"] == "warning"
    with platform.unit() as svc:
        svc.notices.counter(nid, svc.accounts.get(people["uploader"].id), CN_COUNTER)
    view = strikes(platform, "alice")
    assert view["status"] == "good" and view["lifted"][0]["removed"]["why"] == "counter_notice"
    (removed,) = records(platform, "strike.remove")
    assert removed["payload"]["why"] == "counter_notice"


# -- evasion --------------------------------------------------------------------------------


def terminate(platform: Platform, name: str) -> None:
    with platform.unit() as svc:
        for i in range(5):
            svc.enforcement.add_manual(name, None, f"manual {i}", svc.accounts.get("root"))
    assert status(platform, name) == "terminated"


def test_accounts_made_to_evade_a_termination_are_caught(platform, people, tmp_path):
    terminate(platform, "alice")
    again = make_user(platform, "alice-new", "uploader", email="ALICE@Example.com")
    assert again.status == "terminated"
    phone = make_user(platform, "a3", "uploader", phone="138-0000-0000")
    assert phone.status == "terminated"
    who = make_user(platform, "a4", "uploader", real_name="alice  ZHANG", phone="+86 13800000000")
    assert who.status == "terminated"
    other = make_user(platform, "carol", "uploader", real_name="Alice Zhang", email="c@x.example")
    assert other.status == "active"  # a shared name alone is not the same person
    caught = records(platform, "account.evasion")
    assert [r["payload"]["reason"] for r in caught] == [
        "same email address",
        "same phone number",
        "same verified identity (real name and phone)",
    ]
    view = strikes(platform, "alice-new", viewer="rita")
    assert view["evasion_of"] == {"user": "alice", "reason": "same email address"}
    with platform.unit() as svc:
        listed = svc.enforcement.evasions(svc.accounts.get("rita"))
        assert [e["user"] for e in listed] == ["alice-new", "a3", "a4"]
        with pytest.raises(Forbidden):
            svc.enforcement.evasions(svc.accounts.get("bob"))
        u = svc.accounts.get("alice-new")
        u.terms_version = platform.settings.terms_version
    with pytest.raises(Forbidden, match="terminated"):
        upload(platform, again.id, save(photo(80), tmp_path / "e.jpg"))


def test_strikes_are_seen_only_by_the_user_and_staff(platform, people, tmp_path):
    notice_strike(platform, people, tmp_path, 60)
    assert strikes(platform, "alice", viewer="alice")["active_strikes"] == 1
    assert strikes(platform, "alice", viewer="rita")["active_strikes"] == 1
    with pytest.raises(Forbidden):
        strikes(platform, "alice", viewer="bob")
    view = strikes(platform, "alice", viewer="alice")
    assert "appeal" in view["what_lifts"] and "counter_notice" in view["strikes"][0]["lifted_by"]


# -- CLI and API ------------------------------------------------------------------------------


@pytest.fixture
def cli(platform: Platform, monkeypatch: pytest.MonkeyPatch):  # noqa: ANN201
    """The `safeharbor` command run in-process against the test platform."""
    monkeypatch.setitem(cli_common._state, "platform", platform)
    with platform.unit() as svc:
        cli_common.ensure_operator(svc)
    runner = CliRunner()

    def run(*args: str, ok: bool = True):  # noqa: ANN202
        res = runner.invoke(cli_app, list(args))
        if ok:
            assert res.exit_code == 0, res.output
        return res

    return run


def test_cli_strikes_add_show_appeal_decide_remove(platform, people, tmp_path, cli):
    work_id = approved_work(platform, people, save(photo(40), tmp_path / "w.jpg"))
    added = json.loads(
        cli("strikes", "add", "alice", "--work", str(work_id), "--reason", "r1", "--json").stdout
    )
    assert added["user"] == "alice" and added["level"] == "warning"
    shown = json.loads(cli("strikes", "show", "alice", "--json").stdout)
    assert shown["user"] == "alice" and shown["status"] == "warning"
    (s,) = shown["strikes"]
    assert set(s) >= {"id", "work_id", "notice_id", "at", "expires"}
    assert s["work_id"] == work_id and s["notice_id"] is None
    refused = cli("strikes", "appeal", str(s["id"]), "--statement", "x", "--as", "bob", ok=False)
    assert refused.exit_code == 1 and "only the user" in refused.output
    ap = json.loads(
        cli(
            "strikes", "appeal", str(s["id"]), "--statement", "mine", "--as", "alice", "--json"
        ).stdout
    )
    res = cli("strikes", "decide", str(ap["appeal_id"]), "--refuse", "--reason", "no", "--json")
    assert json.loads(res.stdout)["status"] == "refused"
    second = cli("strikes", "add", "alice", "--reason", "r2", "--json")
    sid2 = json.loads(second.stdout)["id"]
    assert json.loads(second.stdout)["level"] == "restricted"
    removed = json.loads(cli("strikes", "remove", str(sid2), "--reason", "error", "--json").stdout)
    assert removed["removed_why"] == "admin" and removed["level"] == "warning"
    not_admin = cli("strikes", "add", "bob", "--reason", "x", "--as", "rita", ok=False)
    assert not_admin.exit_code == 1
    ap2 = json.loads(
        cli(
            "strikes", "appeal", str(s["id"]), "--statement", "again", "--as", "alice", "--json"
        ).stdout
    )
    up = cli("strikes", "decide", str(ap2["appeal_id"]), "--uphold", "--reason", "ok", "--json")
    assert json.loads(up.stdout)["level"] == "good"
    assert json.loads(cli("strikes", "show", "alice", "--json").stdout)["strikes"] == []
    assert "good" in cli("strikes", "show", "alice").stdout


def test_api_strikes_me_visibility_and_appeal(platform, people, tmp_path, client):
    notice_strike(platform, people, tmp_path, 60)
    h_alice, h_bob, h_rita = (auth(platform, n) for n in ("alice", "bob", "rita"))
    me = client.get("/api/strikes/me", headers=h_alice)
    assert me.status_code == 200 and me.json()["status"] == "warning"
    sid = me.json()["strikes"][0]["id"]
    assert client.get("/api/users/alice/strikes", headers=h_bob).status_code == 403
    assert client.get("/api/users/alice/strikes", headers=h_rita).json()["active_strikes"] == 1
    assert client.get("/api/strikes/me").status_code == 401
    r = client.post(f"/api/strikes/{sid}/appeal", headers=h_bob, json={"statement": "x"})
    assert r.status_code == 403
    r = client.post(f"/api/strikes/{sid}/appeal", headers=h_alice, json={"statement": "mine"})
    assert r.status_code == 201 and r.json()["status"] == "open"
    aid = r.json()["id"]
    r = client.post(
        f"/api/strike-appeals/{aid}/decision", headers=h_alice, json={"uphold": True, "reason": "x"}
    )
    assert r.status_code == 403
    r = client.post(
        f"/api/strike-appeals/{aid}/decision",
        headers=h_rita,
        json={"uphold": True, "reason": "the photo is hers"},
    )
    assert r.status_code == 200 and r.json()["status"] == "upheld"
    assert client.get("/api/strikes/me", headers=h_alice).json()["status"] == "good"
    # administrators add strikes by hand; a suspended account's key stops working, except
    # to see and appeal its strikes
    h_root = auth(platform, "root")
    for i in range(4):
        r = client.post("/api/strikes", headers=h_root, json={"user": "bob", "reason": f"r{i}"})
        assert r.status_code == 201
    assert (
        client.post("/api/strikes", headers=h_rita, json={"user": "bob", "reason": "x"}).status_code
        == 403
    )
    assert client.get("/api/users/me", headers=h_bob).status_code == 401
    assert client.get("/api/strikes/me", headers=h_bob).json()["status"] == "suspended"
    assert client.get("/api/users/bob/strikes", headers=h_rita).json()["status"] == "suspended"
    assert client.get("/api/strikes/evasions", headers=h_rita).json() == []


def test_a_suspended_account_still_sees_and_appeals_its_strikes_over_the_api(
    platform, people, client
):
    """A repeat-infringer policy must leave a way to contest it (DSA art. 20, 512(i)
    "reasonably implemented"): a suspended account's key works for its strikes and its
    appeals, and for nothing else."""
    from tests.conftest import auth

    key = auth(platform, "alice")
    with platform.unit() as svc:
        root = svc.accounts.get("root")
        for n in range(4):  # level 4 in the default policy: suspension
            strike = svc.enforcement.add_manual("alice", None, f"manual {n}", root)
        strike_id = strike.id
        assert svc.accounts.get("alice").status == "suspended"
    assert client.get("/api/users/me", headers=key).status_code == 401
    r = client.get("/api/strikes/me", headers=key)
    assert r.status_code == 200 and len(r.json()["strikes"]) == 4
    r = client.post(f"/api/strikes/{strike_id}/appeal", json={"statement": "not mine"}, headers=key)
    assert r.status_code == 201, r.text


def test_a_block_on_similarity_alone_is_no_strike_until_a_reviewer_confirms_it(
    platform, people, tmp_path
):
    """A strike moves an account towards termination: a filter's score alone never gives
    one. An exact copy or a stay-down re-upload rests on a finding already made; a close
    match of a film (blocked by the film policy) waits for a reviewer's confirmation."""
    ref = save(photo(44), tmp_path / "still.png")
    approved_work(platform, people, ref, work_type="film")
    copy = save(photo(44), tmp_path / "copy.jpg", quality=60)
    content, res = upload(platform, people["uploader"].id, copy)
    assert res.verdict.decision == "block" and not res.verdict.deciding.exact
    assert strikes(platform, "alice")["strikes"] == []
    with platform.unit() as svc:
        svc.screening.review(content.public_id, "block", svc.accounts.get(people["reviewer"].id))
    [strike] = strikes(platform, "alice")["strikes"]
    assert strike["content"] == content.public_id
