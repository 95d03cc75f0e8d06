"""Disclosure of an uploader's records (LEGAL.md "Records": court guideline 9.10(3), Reg 13,
512(h); "Forwarding": CN authority request, US subpoena): requested, reviewed, granted for
a time, read with a ledger record each time; refused at the door for the wrong role or
another holder's case, with the refusal kept."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import timedelta

import pytest
from sqlalchemy import select

from safeharbor.audit.models import Record
from safeharbor.errors import Forbidden, InvalidInput
from safeharbor.platform import Platform
from tests.conftest import auth
from tests.test_notices import CN_NOTICE, file, stored_upload

ALICE_PRIVATE = ("alice@example.com", "+86 138 0000 0000", "Alice Zhang", "203.0.113.7")


def actions(platform: Platform, prefix: str) -> list[dict]:
    with platform.unit() as svc:
        rows = svc.session.scalars(
            select(Record).where(Record.action.startswith(prefix)).order_by(Record.id)
        )
        return [json.loads(r.document) for r in rows]


def noticed_upload(platform: Platform, people, tmp_path):  # noqa: ANN001, ANN201
    content = stored_upload(platform, people, tmp_path)
    with platform.unit() as svc:
        svc.session.get(type(content), content.id).upload_ip = "198.51.100.23"
    res = file(platform, people["holder"].id, CN_NOTICE, urls=[f"/c/{content.public_id}"])
    assert res["status"] == "valid"
    return content, res["notice_id"]


def test_holder_request_granted_then_read_then_expires(platform, people, tmp_path, clock):
    """Records row "uploader's user name, registration IP and time, upload IP and time,
    contact details, the information uploaded" (guideline 9.10(3)), to a holder with a
    valid notice, for a limited time; every read is a ledger record."""
    content, notice_id = noticed_upload(platform, people, tmp_path)
    with platform.unit() as svc:
        holder = svc.accounts.get("studio")
        req = svc.disclosure.request(holder, basis="", notice_id=notice_id, ip="192.0.2.1")
        assert req.status == "pending" and req.subject_ids == [people["uploader"].id]
        # nothing is readable while pending
        with pytest.raises(Forbidden, match="pending"):
            svc.disclosure.records(req.id, holder)
        req_id = req.id
    with platform.unit() as svc:
        with pytest.raises(InvalidInput, match="reason"):
            svc.disclosure.decide(req_id, svc.accounts.get("rita"), grant=True, reason=" ")
        svc.disclosure.decide(
            req_id, svc.accounts.get("rita"), grant=True, reason="notice upheld", days=7
        )
    with platform.unit() as svc:
        holder = svc.accounts.get("studio")
        # only the requester reads it, not another holder
        with pytest.raises(Forbidden):
            svc.disclosure.records(req_id, svc.accounts.get("rival"))
        got = svc.disclosure.records(req_id, holder, ip="192.0.2.1")
    [alice] = got["subjects"]
    assert alice["name"] == "alice" and alice["real_name"] == "Alice Zhang"
    assert alice["email"] == "alice@example.com" and alice["phone"] == "+86 138 0000 0000"
    assert alice["registration_ip"] == "203.0.113.7"
    assert alice["upload_ips"] == [
        {
            "content_id": content.public_id,
            "ip": "198.51.100.23",
            "at": content.created_at.isoformat(),
        }
    ]
    assert alice["uploads"][0]["sha256"] == content.sha256
    delivered = actions(platform, "disclosure.deliver")
    assert len(delivered) == 1
    assert delivered[0]["payload"]["subjects"] == [people["uploader"].id]
    assert "email" in delivered[0]["payload"]["fields"]
    assert delivered[0]["actor"] == {"id": people["holder"].id, "ip": "192.0.2.1"}
    assert [a["action"] for a in actions(platform, "disclosure.")] == [
        "disclosure.request",
        "disclosure.grant",
        "disclosure.deliver",
    ]
    clock.advance(timedelta(days=7, seconds=1))
    with platform.unit() as svc, pytest.raises(Forbidden, match="expired"):
        svc.disclosure.records(req_id, svc.accounts.get("studio"))


def test_scope_limits_what_is_disclosed(platform, people, tmp_path):
    _, notice_id = noticed_upload(platform, people, tmp_path)
    with platform.unit() as svc:
        holder = svc.accounts.get("studio")
        req = svc.disclosure.request(holder, basis="", notice_id=notice_id, scope=["identity"])
        svc.disclosure.decide(req.id, svc.accounts.get("rita"), grant=True, reason="ok")
        [alice] = svc.disclosure.records(req.id, holder)["subjects"]
    assert alice["real_name"] == "Alice Zhang"
    assert not {"email", "phone", "registration_ip", "upload_ips"} & set(alice)


def test_refused_at_the_door_and_the_refusal_is_kept(platform, people, tmp_path):
    """Bad input: a disclosure request by the wrong role or for another holder's case."""
    _, notice_id = noticed_upload(platform, people, tmp_path)
    with platform.unit() as svc, pytest.raises(Forbidden, match="not yours"):
        svc.disclosure.request(svc.accounts.get("rival"), basis="", notice_id=notice_id)
    with platform.unit() as svc, pytest.raises(Forbidden, match="may not request"):
        svc.disclosure.request(svc.accounts.get("bob"), basis="x", users=["alice"])
    refused = actions(platform, "disclosure.refused_request")
    assert [r["actor"]["id"] for r in refused] == [people["holder2"].id, people["uploader2"].id]
    assert "not yours" in refused[0]["payload"]["reason"]
    with platform.unit() as svc:
        assert svc.disclosure.list_for(svc.accounts.get("rita")) == []


def test_reviewer_refuses_with_a_reason_and_the_requester_is_told(platform, people, tmp_path):
    from safeharbor.notices.models import Message

    _, notice_id = noticed_upload(platform, people, tmp_path)
    with platform.unit() as svc:
        req = svc.disclosure.request(svc.accounts.get("studio"), basis="", notice_id=notice_id)
        with pytest.raises(Forbidden):  # a holder cannot decide their own request
            svc.disclosure.decide(req.id, svc.accounts.get("studio"), grant=True, reason="x")
        svc.disclosure.decide(
            req.id, svc.accounts.get("rita"), grant=False, reason="identity not needed"
        )
        with pytest.raises(Forbidden, match="refused"):
            svc.disclosure.records(req.id, svc.accounts.get("studio"))
        told = svc.session.scalars(
            select(Message).where(Message.kind == "disclosure.decision")
        ).all()
    assert len(told) == 1 and "identity not needed" in told[0].body
    assert told[0].to_user_id == people["holder"].id


def test_us_profile_requires_a_subpoena(tmp_path, people, platform):
    """Records row "uploader identity: US copyright owner under a 512(h) subpoena"."""
    _, notice_id = noticed_upload(platform, people, tmp_path)
    platform.settings.profile = "us"
    with platform.unit() as svc, pytest.raises(InvalidInput, match="512"):
        svc.disclosure.request(svc.accounts.get("studio"), basis="", notice_id=notice_id)
    with platform.unit() as svc:
        req = svc.disclosure.request(
            svc.accounts.get("studio"), basis="subpoena 1:26-mc-00042", notice_id=notice_id
        )
        assert req.basis == "subpoena 1:26-mc-00042"


def test_authority_request_for_an_investigation(platform, people, tmp_path):
    """Records row "uploader name, contact, network address: the copyright authority on
    request" (Reg 13); Forwarding row "CN authority request"."""
    content, _ = noticed_upload(platform, people, tmp_path)
    with platform.unit() as svc:
        ncac = svc.accounts.get("ncac")
        with pytest.raises(InvalidInput, match="reference"):
            svc.disclosure.request(ncac, basis="Reg 13", users=["alice"])
        req = svc.disclosure.request(
            ncac, basis="Reg 13", reference="NCAC-2026-0042", contents=[content.public_id]
        )
        assert req.kind == "authority"
        svc.disclosure.decide(req.id, svc.accounts.get("root"), grant=True, reason="Reg 13")
        [alice] = svc.disclosure.records(req.id, ncac)["subjects"]
    assert alice["email"] == "alice@example.com"
    assert alice["upload_ips"][0]["ip"] == "198.51.100.23"


def test_api_journey_and_no_route_leaks_personal_data(platform, people, client, tmp_path):
    """Without a grant no route reveals personal data: every GET route of the API is
    tried by a rights holder, an authority and another uploader, with path parameters
    filled from real ids; none returns alice's contact details or IP addresses."""
    content, notice_id = noticed_upload(platform, people, tmp_path)
    holder = auth(platform, "studio")
    r = client.post("/api/disclosures", json={"notice_id": notice_id, "basis": ""}, headers=holder)
    assert r.status_code == 201, r.text
    req_id = r.json()["id"]
    r = client.post(
        "/api/disclosures",
        json={"notice_id": notice_id, "basis": ""},
        headers=auth(platform, "rival"),
    )
    assert r.status_code == 403 and "not yours" in r.json()["detail"]

    ids = {
        "content_id": content.public_id,
        "public_id": content.public_id,
        "notice_id": str(notice_id),
        "request_id": str(req_id),
        "name": "alice",
        "work_id": "1",
        "user": "alice",
    }
    outsiders = {n: auth(platform, n) for n in ("studio", "ncac", "bob")}
    tried = 0
    paths = client.get("/openapi.json").json()["paths"]
    for path, ops in sorted(paths.items()):
        if "get" not in ops or not path.startswith("/api"):
            continue
        url = path
        for key, value in ids.items():
            url = url.replace("{" + key + "}", value)
        if "{" in url:
            url = url.split("{")[0].rstrip("/")  # a parameter we cannot fill: the parent
        for headers in outsiders.values():
            body = client.get(url, headers=headers).text
            tried += 1
            for secret in ALICE_PRIVATE + ("198.51.100.23",):
                assert secret not in body, (url, secret)
    assert tried > 30

    r = client.post(
        f"/api/disclosures/{req_id}/decision",
        json={"grant": True, "reason": "valid notice, content removed"},
        headers=auth(platform, "rita"),
    )
    assert r.status_code == 200 and r.json()["status"] == "granted"
    r = client.get(f"/api/disclosures/{req_id}/records", headers=holder)
    assert r.status_code == 200 and r.json()["subjects"][0]["email"] == "alice@example.com"
    assert (
        client.get(f"/api/disclosures/{req_id}", headers=auth(platform, "bob")).status_code == 404
    )


def cli(platform: Platform, *args: str) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "SAFEHARBOR_HOME": str(platform.settings.home),
        "SAFEHARBOR_DATABASE_URL": platform.settings.db_url,
    }
    return subprocess.run(
        [sys.executable, "-m", "safeharbor.cli", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=180,
    )


def test_cli_request_decide_read(platform, people, tmp_path):
    _, notice_id = noticed_upload(platform, people, tmp_path)
    r = cli(
        platform,
        "disclosure",
        "request",
        "--as",
        "studio",
        "--notice",
        str(notice_id),
        "--basis",
        "",
        "--json",
    )
    assert r.returncode == 0, r.stderr
    req_id = json.loads(r.stdout)["id"]
    r = cli(platform, "disclosure", "records", str(req_id), "--as", "studio")
    assert r.returncode == 1 and "pending" in r.stderr
    r = cli(platform, "disclosure", "decide", str(req_id), "--grant", "--reason", "ok", "--json")
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["status"] == "granted"
    r = cli(platform, "disclosure", "records", str(req_id), "--as", "studio")
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["subjects"][0]["phone"] == "+86 138 0000 0000"


def test_staff_seeing_personal_data_is_recorded(platform, people, client):
    """Privacy: a reviewer may see an uploader's contact details; each showing is a
    ledger record; the user seeing their own data, or a holder seeing the public part,
    is not a disclosure."""
    r = client.get("/api/users/alice", headers=auth(platform, "rita"))
    assert r.status_code == 200 and r.json()["email"] == "alice@example.com"
    r = client.get("/api/users/alice", headers=auth(platform, "studio"))
    assert r.status_code == 200 and "email" not in r.json()
    client.get("/api/users/me", headers=auth(platform, "alice"))
    [seen] = actions(platform, "personal_data.view")
    assert seen["actor"]["id"] == people["reviewer"].id
    assert seen["subject"] == {"type": "user", "id": str(people["uploader"].id)}
    assert "email" in seen["payload"]["fields"] and "phone" in seen["payload"]["fields"]
