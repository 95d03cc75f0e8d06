"""The REST API as its users call it: authentication, permissions on every route,
personal data only to the entitled, uploads with the warning, the content's address."""

from __future__ import annotations

from tests.conftest import auth, jpeg_bytes, photo


def _register(client, headers, seed: int, **form):  # noqa: ANN001, ANN201
    files = {"file": (f"work{seed}.jpg", jpeg_bytes(photo(seed)), "image/jpeg")}
    return client.post("/api/works", headers=headers, files=files, data=form)


def test_openapi_docs_are_served(client):
    assert client.get("/docs").status_code == 200
    spec = client.get("/openapi.json").json()
    assert "/api/uploads" in spec["paths"] and "/api/works" in spec["paths"]


def test_routes_need_a_valid_key(client, platform, people):
    assert client.get("/api/works").status_code == 401
    bad = {"Authorization": "Bearer shk_not-a-key"}
    assert client.get("/api/works", headers=bad).status_code == 401
    assert client.get("/api/users/me", headers=auth(platform, "studio")).json()["name"] == "studio"


def test_holder_registers_reviewer_approves_uploader_is_held(client, platform, people):
    holder, reviewer, uploader = (auth(platform, n) for n in ("studio", "rita", "alice"))
    r = _register(
        client, holder, 21, certificate_number="2026-F-1", statement="ours", work_type="image"
    )
    assert r.status_code == 201, r.text
    work = r.json()
    assert work["status"] == "pending" and {p["kind"] for p in work["proofs"]} == {
        "certificate",
        "statement",
    }
    # Holders and uploaders may not approve.
    for h in (holder, uploader):
        assert (
            client.post(
                f"/api/works/{work['id']}/review", headers=h, json={"action": "approve"}
            ).status_code
            == 403
        )
    assert (
        client.post(
            f"/api/works/{work['id']}/review", headers=reviewer, json={"action": "approve"}
        ).json()["status"]
        == "approved"
    )
    # Another holder cannot see this registration; the reviewer can.
    assert (
        client.get(f"/api/works/{work['id']}", headers=auth(platform, "rival")).status_code == 403
    )
    assert client.get(f"/api/works/{work['id']}", headers=reviewer).status_code == 200

    up = client.post(
        "/api/uploads",
        headers=uploader,
        files={"file": ("holiday.jpg", jpeg_bytes(photo(21), 40), "image/jpeg")},
    )
    assert up.status_code == 201, up.text
    body = up.json()
    assert body["decision"] == "hold" and body["state"] == "held"
    assert body["url"].endswith(f"/c/{body['content_id']}")
    assert body["matches"][0]["work_id"] == work["id"] and body["next_step"]
    assert "warning" in body
    # The held upload is not public; its uploader and reviewers can follow it.
    assert client.get(f"/c/{body['content_id']}").status_code == 404
    assert client.get(f"/api/contents/{body['content_id']}", headers=uploader).status_code == 200
    assert (
        client.get(f"/api/contents/{body['content_id']}", headers=auth(platform, "bob")).status_code
        == 403
    )
    answer = client.post(
        f"/api/contents/{body['content_id']}/answer",
        headers=uploader,
        data={"kind": "licence", "statement": "licensed"},
        files={"document": ("licence.pdf", b"%PDF-1.4 x", "application/pdf")},
    )
    assert answer.status_code == 201
    queue = client.get("/api/review/queue", headers=reviewer).json()
    assert [c["content_id"] for c in queue["held"]] == [body["content_id"]]
    assert client.get("/api/review/queue", headers=uploader).status_code == 403
    blocked = client.post(
        f"/api/contents/{body['content_id']}/review",
        headers=reviewer,
        json={"action": "block", "note": "licence forged"},
    )
    assert blocked.json()["state"] == "blocked"
    assert client.get(f"/c/{body['content_id']}").status_code == 451


def test_upload_requires_terms_once(client, platform, people):
    from tests.conftest import make_user

    make_user(platform, "dave", "uploader")
    h = auth(platform, "dave")
    f = {"file": ("a.jpg", jpeg_bytes(photo(22)), "image/jpeg")}
    r = client.post("/api/uploads", headers=h, files=f)
    assert r.status_code == 403 and "accept the upload terms" in r.json()["detail"]
    assert client.get("/api/users/me/terms", headers=h).json()["accepted"] is False
    r = client.post("/api/uploads", headers=h, files=f, data={"accept_terms": "true"})
    assert r.status_code == 201 and r.json()["state"] == "available"
    assert client.get(f"/c/{r.json()['content_id']}").status_code == 200
    r = client.post("/api/uploads", headers=h, files=f)  # accepted once is enough
    assert r.status_code == 201


def test_personal_data_only_to_the_entitled(client, platform, people):
    personal = ("real_name", "email", "phone", "registration_ip")
    for viewer in ("studio", "bob", "ncac"):
        seen = client.get("/api/users/alice", headers=auth(platform, viewer)).json()
        assert not any(k in seen for k in personal), viewer
        assert "Alice Zhang" not in str(seen) and "203.0.113.7" not in str(seen)
    own = client.get("/api/users/me", headers=auth(platform, "alice")).json()
    assert own["real_name"] == "Alice Zhang" and own["registration_ip"] == "203.0.113.7"
    staff = client.get("/api/users/alice", headers=auth(platform, "rita")).json()
    assert staff["phone"] == "+86 138 0000 0000"


def test_only_admins_manage_users_and_priority(client, platform, people):
    body = {"name": "mallory", "role": "admin"}
    assert client.post("/api/users", headers=auth(platform, "alice"), json=body).status_code == 403
    r = client.post("/api/users", headers=auth(platform, "root"), json=body)
    assert r.status_code == 201
    work = _register(client, auth(platform, "studio"), 23).json()
    prio = {"work_id": work["id"], "list": "authority", "source": "NCAC 2026 No. 3"}
    assert (
        client.post("/api/priority", headers=auth(platform, "studio"), json=prio).status_code == 403
    )
    r = client.post("/api/priority", headers=auth(platform, "root"), json=prio)
    assert r.status_code == 201 and r.json()["list"] == "authority"
    bad = {"work_id": work["id"], "list": "release_window"}
    r = client.post("/api/priority", headers=auth(platform, "root"), json=bad)
    assert r.status_code == 422 and "start and an end" in r.json()["detail"]


def test_licence_via_api(client, platform, people):
    holder = auth(platform, "studio")
    work = _register(client, holder, 24).json()
    client.post(
        f"/api/works/{work['id']}/review",
        headers=auth(platform, "rita"),
        json={"action": "approve"},
    )
    r = client.post(
        f"/api/works/{work['id']}/licences",
        headers=holder,
        json={"licensee": "alice", "terms": "web use"},
    )
    assert r.status_code == 201
    assert (
        client.post(
            f"/api/works/{work['id']}/licences", headers=auth(platform, "alice"), json={}
        ).status_code
        == 403
    )
    up = client.post(
        "/api/uploads",
        headers=auth(platform, "alice"),
        files={"file": ("x.jpg", jpeg_bytes(photo(24), 60), "image/jpeg")},
    )
    assert up.json()["decision"] == "allow-licensed"


def test_a_failed_commit_is_not_reported_as_success(platform, people, monkeypatch):
    from fastapi.testclient import TestClient
    from sqlalchemy.orm import Session

    from safeharbor.app import create_app

    headers = auth(platform, "root")

    def broken_commit(self: Session) -> None:
        raise RuntimeError("database went away")

    monkeypatch.setattr(Session, "commit", broken_commit)
    with TestClient(create_app(platform), raise_server_exceptions=False) as c:
        r = c.post("/api/users", headers=headers, json={"name": "zed", "role": "uploader"})
    assert r.status_code == 500
    monkeypatch.undo()
    assert client_get_user(platform, "zed") is None


def client_get_user(platform, name):  # noqa: ANN001, ANN201
    from sqlalchemy import select

    from safeharbor.accounts.models import User

    with platform.unit() as svc:
        return svc.session.scalar(select(User).where(User.name == name))


def test_reviewer_sees_the_answer_to_a_block_and_its_document(client, platform, people):
    holder, reviewer, uploader = (auth(platform, n) for n in ("studio", "rita", "alice"))
    work = _register(client, holder, 25, work_type="film").json()
    client.post(f"/api/works/{work['id']}/review", headers=reviewer, json={"action": "approve"})
    up = client.post(
        "/api/uploads",
        headers=uploader,
        files={"file": ("clip.jpg", jpeg_bytes(photo(25), 50), "image/jpeg")},
    ).json()
    assert up["state"] == "blocked"
    assert client.get("/api/review/queue", headers=reviewer).json()["held"] == []
    client.post(
        f"/api/contents/{up['content_id']}/answer",
        headers=uploader,
        data={"kind": "licence", "statement": "distribution deal"},
        files={"document": ("deal.pdf", b"%PDF-1.4 deal", "application/pdf")},
    )
    held = client.get("/api/review/queue", headers=reviewer).json()["held"]
    assert [h["content_id"] for h in held] == [up["content_id"]]
    resp = held[0]["responses"][0]
    assert resp["statement"] == "distribution deal" and resp["document_name"] == "deal.pdf"
    assert client.get(resp["document_url"], headers=reviewer).content == b"%PDF-1.4 deal"
    assert client.get(resp["document_url"], headers=auth(platform, "bob")).status_code == 403
    client.post(
        f"/api/contents/{up['content_id']}/review",
        headers=reviewer,
        json={"action": "allow", "note": "deal verified"},
    )
    # The uploader follows the case without learning who reviewed it or from where.
    seen = client.get(f"/api/contents/{up['content_id']}", headers=uploader).json()
    assert seen["state"] == "available" and seen["responses"][0]["status"] == "accepted"
    actors = [h["actor"] for h in seen["history"]]
    assert actors[0]["id"] == people["uploader"].id  # their own upload
    assert actors[-1] == {"id": None, "ip": None}  # the reviewer's action
    staff = client.get(f"/api/contents/{up['content_id']}", headers=reviewer).json()
    assert staff["history"][-1]["actor"]["id"] == people["reviewer"].id


def test_upload_titles_are_checked_and_content_ids_are_not_guessable(client, platform, people):
    h = auth(platform, "alice")
    f = {"file": ("a.jpg", jpeg_bytes(photo(26)), "image/jpeg")}
    r = client.post("/api/uploads", headers=h, files=f, data={"title": "x" * 600})
    assert r.status_code == 422 and "500" in r.json()["detail"]
    r = client.post("/api/uploads", headers=h, files=f, data={"title": "line\none\x1b[31m"})
    assert r.status_code == 201 and r.json()["title"] == "line one\ufffd[31m"
    assert r.json()["url"] == f"{platform.settings.base_url}/c/{r.json()['content_id']}"
    assert client.get("/c/1").status_code == 404
    assert client.get("/api/contents/1", headers=auth(platform, "rita")).status_code == 404


def test_keys_can_be_revoked_and_accounts_suspended(client, platform, people):
    key = client.post("/api/users/bob/keys", headers=auth(platform, "bob")).json()["api_key"]
    h = {"Authorization": f"Bearer {key}"}
    assert client.get("/api/users/me", headers=h).status_code == 200
    assert (
        client.delete(
            f"/api/users/bob/keys/{key[:12]}", headers=auth(platform, "alice")
        ).status_code
        == 403
    )
    assert client.delete(f"/api/users/bob/keys/{key[:12]}", headers=h).json() == {"revoked": 1}
    assert client.get("/api/users/me", headers=h).status_code == 401
    other = auth(platform, "bob")
    r = client.post(
        "/api/users/bob/status", headers=auth(platform, "root"), json={"status": "suspended"}
    )
    assert r.json()["status"] == "suspended"
    r = client.get("/api/users/me", headers=other)
    assert r.status_code == 401 and "suspended" in r.json()["detail"]
