"""The notice path through the command line contract and the REST API."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from tests.conftest import auth, jpeg_bytes, photo, save
from tests.test_cli import lines, sh
from tests.test_notices import CN_COUNTER, CN_NOTICE, US_NOTICE
from tests.web_helpers import browser_client, post_form


def _field_args(fields: dict[str, str]) -> list[str]:
    return [a for k, v in fields.items() for a in ("--field", f"{k}={v}")]


def test_cli_notice_life(tmp_path):
    home = tmp_path / "home"
    sh(home, "users", "add", "studio", "--role", "holder", "--email", "legal@studio.example")
    sh(home, "users", "add", "alice", "--role", "uploader")
    up = lines(
        sh(home, "upload", str(save(photo(80), tmp_path / "a.jpg")), "--user", "alice", "--json")
    )[0]
    res = lines(
        sh(
            home,
            "notices",
            "file",
            "--from",
            "studio",
            "--url",
            up["url"],
            *_field_args(CN_NOTICE),
            "--json",
        )
    )[0]
    assert res["status"] == "valid" and res["located"] == [up["content_id"]]
    assert res["missing"] == [] and res["unlocated"] == []
    shown = lines(sh(home, "notices", "show", str(res["notice_id"]), "--json"))[0]
    assert {"notice_id", "status", "profile", "steps", "items", "deadlines"} <= set(shown)
    assert shown["items"] == [
        {**shown["items"][0], "content_id": up["content_id"], "state": "removed"}
    ]
    assert [s["step"] for s in shown["steps"]][:2] == ["notice.file", "notice.valid"]
    assert all({"step", "at", "by"} <= set(s) for s in shown["steps"])
    bad = lines(
        sh(
            home,
            "notices",
            "counter",
            str(res["notice_id"]),
            "--user",
            "alice",
            "--field",
            "name=Alice",
            "--json",
        )
    )[0]
    assert bad["status"] == "incomplete" and "grounds" in bad["missing"]
    ok = lines(
        sh(
            home,
            "notices",
            "counter",
            str(res["notice_id"]),
            "--user",
            "alice",
            *_field_args(CN_COUNTER),
            "--json",
        )
    )[0]
    assert ok["status"] == "valid" and isinstance(ok["counter_id"], int)
    later = (datetime.now(UTC) + timedelta(days=16)).isoformat()
    assert "restorations: 1" in sh(home, "scheduler", "run", "--once", "--now", later).stdout
    assert lines(sh(home, "content", "show", up["content_id"], "--json"))[0]["state"] == "restored"
    listed = lines(sh(home, "notices", "list", "--json"))
    assert [n["status"] for n in listed] == ["restored"]
    prof = lines(sh(home, "profiles", "show", "us", "--json"))[0]
    assert "consent_jurisdiction" in prof["counter"]["required"]


def test_cli_bulk_csv(tmp_path):
    home = tmp_path / "home"
    sh(home, "users", "add", "studio", "--role", "holder")
    sh(home, "users", "add", "alice", "--role", "uploader")
    ids = [
        lines(
            sh(
                home,
                "upload",
                str(save(photo(81 + i), tmp_path / f"{i}.jpg")),
                "--user",
                "alice",
                "--json",
            )
        )[0]["content_id"]
        for i in range(3)
    ]
    csv = tmp_path / "items.csv"
    csv.write_text(
        "url,title,evidence\n"
        + "".join(f"/c/{i},item {i},cert {i}\n" for i in ids)
        + "https://nowhere.example/x,gone,cert\n"
    )
    common = {k: v for k, v in CN_NOTICE.items() if k != "evidence"}
    rows = lines(
        sh(
            home,
            "notices",
            "file",
            "--csv",
            str(csv),
            "--from",
            "studio",
            *_field_args(common),
            "--json",
        )
    )
    assert [r["line"] for r in rows] == [2, 3, 4, 5]
    assert [r["located"] for r in rows[:3]] == [[i] for i in ids]
    assert rows[3]["unlocated"] == ["https://nowhere.example/x"]
    broken = tmp_path / "broken.csv"
    broken.write_text('url,title\n"/c/abc,unterminated\n')
    run = sh(home, "notices", "file", "--csv", str(broken), "--from", "studio", ok=False)
    assert run.returncode == 1 and "malformed CSV" in run.stderr
    for i in ids:
        assert lines(sh(home, "content", "show", i, "--json"))[0]["state"] == "removed"


def test_api_notice_life_and_permissions(client, platform, people):
    holder, uploader, reviewer = (auth(platform, n) for n in ("studio", "alice", "rita"))
    up = client.post(
        "/api/uploads",
        headers=uploader,
        files={"file": ("a.jpg", jpeg_bytes(photo(85)), "image/jpeg")},
    ).json()
    r = client.post(
        "/api/notices",
        headers=holder,
        json={"fields": US_NOTICE, "urls": [up["url"]], "profile": "us"},
    )
    assert r.status_code == 201 and r.json()["status"] == "valid"
    nid = r.json()["notice_id"]
    assert client.get(f"/c/{up['content_id']}").status_code == 451
    assert client.get(f"/api/notices/{nid}", headers=uploader).status_code == 200
    assert client.get(f"/api/notices/{nid}", headers=auth(platform, "rival")).status_code == 403
    assert client.get(f"/api/notices/{nid}", headers=auth(platform, "bob")).status_code == 403
    inbox = client.get("/api/messages", headers=uploader).json()
    assert any(m["kind"] == "notice.forward" and m["notice_id"] == nid for m in inbox)
    r = client.post(
        f"/api/notices/{nid}/counter", headers=auth(platform, "bob"), json={"fields": {}}
    )
    assert r.status_code == 403
    r = client.post(
        f"/api/notices/{nid}/counter", headers=uploader, json={"fields": {"name": "Alice"}}
    )
    assert r.status_code == 201 and r.json()["status"] == "incomplete"
    assert (
        client.post(
            f"/api/notices/{nid}/complaint-decision",
            headers=holder,
            json={"uphold": True, "note": "x"},
        ).status_code
        == 403
    )
    assert client.get("/api/profiles", headers=holder).json() == ["cn", "eu", "us"]
    assert "notifier_phone" in client.get("/api/profiles/us").json()["notice"]["required"]
    r = client.post("/api/notices/bulk", headers=holder, files={"csv_file": ("x.csv", b"\xff\xfe")})
    assert r.status_code == 422 and "UTF-8" in r.json()["detail"]


def test_public_complaint_form(client, platform, people):
    # the page is the public portal's now: a browser session, the form's CSRF token
    web = browser_client(platform)
    web.headers["accept-language"] = "en"
    page = web.get("/complaints")
    assert page.status_code == 200 and 'action="/complaints"' in page.text
    assert 'for="f-notifier_address"' in page.text and "24 hours" in page.text
    up = client.post(
        "/api/uploads",
        headers=auth(platform, "alice"),
        files={"file": ("a.jpg", jpeg_bytes(photo(86)), "image/jpeg")},
    ).json()
    form = {
        **CN_NOTICE,
        "notifier_email": "new.sender@films.example",
        "location": up["url"],
        "work": "<script>alert(1)</script>",
    }
    r = post_form(web, "/complaints", form)
    assert r.status_code == 201 and up["content_id"] in r.text
    assert "<script>" not in r.text
    assert client.get(f"/c/{up['content_id']}").status_code == 451
    partial = {k: v for k, v in form.items() if k != "evidence"}
    r = post_form(web, "/complaints", partial)
    assert r.status_code == 422 and "evidence" in r.text
    r = post_form(web, "/complaints", {**form, "notifier_email": "<b>x"})
    assert r.status_code == 422 and "&lt;b&gt;" in r.text
    # without the token nothing is filed
    assert web.post("/complaints", data=form).status_code == 403
