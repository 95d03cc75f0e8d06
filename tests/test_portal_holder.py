"""The rights holder's portal (/holder) through its pages: works and their review, licences,
notices (single and CSV), cases with their clocks, counter-notices, messages, disclosure
and evidence packages; with the API's permission rules, CSRF and bad input."""

from __future__ import annotations

import io
import json
import re
import zipfile
from datetime import UTC, timedelta
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import func, select

from safeharbor.clock import as_utc
from safeharbor.disclosure.models import DisclosureRequest
from safeharbor.notices.models import Message, Notice
from safeharbor.platform import Platform
from safeharbor.registry.models import Licence, Work
from tests.conftest import make_user, photo, save
from tests.test_notices import CN_COUNTER
from tests.web_helpers import browser_client, post_form, signed_in

NOTICE_FORM = {
    "profile": "cn",
    "notifier_name": "Studio Legal",
    "notifier_contact": "legal@studio.example",
    "notifier_address": "1 Film Road, Beijing",
    "work": "Poster 2026",
    "evidence": "registration certificate 2026-F-1",
    "signature": "Studio Legal",
}


def _jpeg(tmp_path: Path, seed: int) -> bytes:
    return save(photo(seed), tmp_path / f"p{seed}.jpg").read_bytes()


def _setup(platform: Platform) -> TestClient:
    """A signed-in holder ("studio"), a reviewer and an uploader who accepted the terms."""
    client = signed_in(platform, "studio", "holder", email="legal@studio.example")
    client.headers["accept-language"] = "en"  # the texts asserted are the English ones
    make_user(platform, "rita", "reviewer")
    make_user(platform, "alice", "uploader", email="alice@example.com", phone="+86 138 0000")
    with platform.unit() as svc:
        svc.accounts.accept_terms(
            svc.accounts.get("alice"), platform.settings.terms_version, "203.0.113.7"
        )
    return client


def _register(client: TestClient, tmp_path: Path, seed: int = 1, **extra: str) -> int:
    r = post_form(
        client,
        "/holder/works",
        {"title": f"Poster {seed}", "certificate_number": "2026-F-1", **extra},
        page="/holder/works/new",
        files=[
            ("file", (f"poster{seed}.jpg", _jpeg(tmp_path, seed), "image/jpeg")),
            ("proofs", ("contract.pdf", b"%PDF-1.4 contract", "application/pdf")),
        ],
    )
    assert r.status_code == 303, r.text[-1500:]
    return int(r.headers["location"].rsplit("/", 1)[1])


def _approve(platform: Platform, work_id: int) -> None:
    with platform.unit() as svc:
        svc.registry.review(work_id, "approve", svc.accounts.get("rita"))


def _upload(platform: Platform, tmp_path: Path, seed: int = 60) -> str:
    with platform.unit() as svc:
        content, _ = svc.screening.upload(
            svc.accounts.get("alice"),
            save(photo(seed), tmp_path / f"u{seed}.jpg"),
            ip="198.51.100.4",
        )
        return content.public_id


def _file(client: TestClient, public_id: str, **extra: str) -> int:
    r = post_form(
        client,
        "/holder/notices",
        {**NOTICE_FORM, "urls": f"https://platform.example/c/{public_id}", **extra},
        page="/holder/notices/new",
    )
    assert r.status_code == 303, r.text[-1500:]
    return int(r.headers["location"].rsplit("/", 1)[1])


def _count(platform: Platform, model: Any) -> int:
    with platform.unit() as svc:
        return int(svc.session.scalar(select(func.count()).select_from(model)) or 0)


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


# -- works ------------------------------------------------------------------------------------


def test_a_holder_registers_a_work_with_proofs_and_answers_a_request_for_information(
    platform: Platform, tmp_path: Path
) -> None:
    client = _setup(platform)
    work_id = _register(client, tmp_path, statement="I took this photograph")
    page = client.get(f"/holder/works/{work_id}")
    assert page.status_code == 200
    assert "Poster 1" in page.text and "status-pending" in page.text
    assert "contract.pdf" in page.text and "2026-F-1" in page.text
    with platform.unit() as svc:
        w = svc.registry.get(work_id)
        assert sorted(p.kind for p in w.proofs) == ["certificate", "document", "statement"]
        svc.registry.review(
            work_id, "request_info", svc.accounts.get("rita"), "the contract page 2"
        )
    page = client.get(f"/holder/works/{work_id}")
    assert "status-needs_info" in page.text and "the contract page 2" in page.text
    r = post_form(
        client,
        f"/holder/works/{work_id}/proofs",
        {"note": "page 2 attached"},
        page=f"/holder/works/{work_id}",
        files={"document": ("page2.pdf", b"%PDF-1.4 page 2", "application/pdf")},
    )
    assert r.status_code == 303
    with platform.unit() as svc:
        w = svc.registry.get(work_id)
        assert w.status == "pending" and any(p.filename == "page2.pdf" for p in w.proofs)
    # the list and the dashboard show the work with its review status
    assert "Poster 1" in client.get("/holder/works").text
    _approve(platform, work_id)
    dash = client.get("/holder")
    assert dash.status_code == 200 and "status-approved" in dash.text


def test_registering_without_a_file_or_twice_says_why_and_stores_nothing(
    platform: Platform, tmp_path: Path
) -> None:
    client = _setup(platform)
    r = post_form(client, "/holder/works", {"title": "No file"}, page="/holder/works/new")
    assert r.status_code == 422 and "choose the work" in r.text
    assert 'value="No file"' in r.text  # what was typed is kept
    assert _count(platform, Work) == 0
    _register(client, tmp_path)
    r = post_form(
        client,
        "/holder/works",
        {"title": "Again"},
        page="/holder/works/new",
        files={"file": ("again.jpg", _jpeg(tmp_path, 1), "image/jpeg")},
    )
    assert r.status_code == 422 and "already registered by you" in r.text
    assert _count(platform, Work) == 1


# -- licences ---------------------------------------------------------------------------------


def test_a_holder_grants_lists_and_revokes_licences(platform: Platform, tmp_path: Path) -> None:
    client = _setup(platform)
    work_id = _register(client, tmp_path)
    _approve(platform, work_id)
    page = f"/holder/works/{work_id}"
    r = post_form(
        client,
        f"{page}/licences",
        {"licensee": "alice", "starts_at": "", "ends_at": "2030-01-01", "terms": "fan edits"},
        page=page,
    )
    assert r.status_code == 303
    r = post_form(client, f"{page}/licences", {"licensee": "", "terms": "everyone"}, page=page)
    assert r.status_code == 303
    text = _text(client.get(page).text)
    assert "alice" in text and "fan edits" in text and "everyone" in text
    with platform.unit() as svc:
        lics = svc.registry.licences(work_id)
        assert [lic.licensee_id is None for lic in lics] == [False, True]
        # the end date is the start of that day in the viewer's zone (Asia/Shanghai)
        assert lics[0].ends_at is not None
        assert as_utc(lics[0].ends_at).astimezone(UTC).hour == 16
        first = lics[0].id
    r = post_form(client, f"/holder/licences/{first}/revoke", {}, page=page)
    assert r.status_code == 303
    with platform.unit() as svc:
        assert svc.session.get(Licence, first).revoked_at is not None  # type: ignore[union-attr]


def test_a_licence_with_bad_dates_or_an_unknown_licensee_is_refused(
    platform: Platform, tmp_path: Path
) -> None:
    client = _setup(platform)
    work_id = _register(client, tmp_path)
    page = f"/holder/works/{work_id}"
    for data, words in [
        ({"starts_at": "2030-01-02", "ends_at": "2030-01-01"}, "must end after it starts"),
        ({"ends_at": "next week"}, "not a date"),
        ({"licensee": "nobody-here"}, "no user"),
    ]:
        r = post_form(client, f"{page}/licences", data, page=page)
        assert r.status_code == 422 and words in r.text, data
    assert _count(platform, Licence) == 0


# -- notices and cases ------------------------------------------------------------------------


def test_a_notice_filed_on_the_form_takes_the_content_down_and_the_case_shows_it(
    platform: Platform, tmp_path: Path
) -> None:
    client = _setup(platform)
    work_id = _register(client, tmp_path)
    _approve(platform, work_id)
    public_id = _upload(platform, tmp_path)
    form = client.get("/holder/notices/new").text
    for name in ("notifier_name", "notifier_address", "evidence", "signature"):
        assert f'name="{name}"' in form  # the CN profile's required fields
    assert 'value="legal@studio.example"' in form  # the contact on file, filled in
    notice_id = _file(client, public_id, work_id=str(work_id))
    with platform.unit() as svc:
        assert svc.screening.get(public_id).state == "removed"
        n = svc.notices.get(notice_id)
        assert n.channel == "web" and n.work_id == work_id
    case = client.get(f"/holder/cases/{notice_id}")
    assert case.status_code == 200
    text = _text(case.text)
    assert public_id in text and "status-removed" in case.text
    assert "Notice received" in text and "Measure taken on the content" in text
    assert "<time datetime=" in case.text and "(Asia/Shanghai)" in text
    listed = client.get("/holder/cases").text
    assert f"/holder/cases/{notice_id}" in listed
    assert f"/holder/cases/{notice_id}" in client.get("/holder").text


def test_an_incomplete_notice_is_kept_and_completed_from_its_case_page(
    platform: Platform, tmp_path: Path
) -> None:
    client = _setup(platform)
    public_id = _upload(platform, tmp_path)
    notice_id = _file(client, public_id, evidence="", notifier_address="")
    case = client.get(f"/holder/cases/{notice_id}")
    assert "status-incomplete" in case.text and 'name="evidence"' in case.text
    with platform.unit() as svc:
        assert svc.screening.get(public_id).state == "available"
    r = post_form(
        client,
        f"/holder/cases/{notice_id}/complete",
        {"evidence": "certificate", "notifier_address": "1 Film Road"},
        page=f"/holder/cases/{notice_id}",
    )
    assert r.status_code == 303
    new_id = int(r.headers["location"].rsplit("/", 1)[1])
    assert new_id != notice_id
    with platform.unit() as svc:
        assert svc.screening.get(public_id).state == "removed"
        assert svc.notices.get(notice_id).status == "closed"


def test_a_csv_of_notices_is_filed_row_by_row_and_its_rows_are_shown(
    platform: Platform, tmp_path: Path
) -> None:
    client = _setup(platform)
    public_id = _upload(platform, tmp_path)
    csv = (
        "url,title,work_id\n"
        f"https://platform.example/c/{public_id},,\n"
        ",Something else,\n"
        ",,not-a-number\n"
    ).encode()
    common = {k: v for k, v in NOTICE_FORM.items() if k != "work"} | {"work": "Poster 2026"}
    r = post_form(
        client,
        "/holder/notices/bulk",
        common,
        page="/holder/notices/bulk",
        files={"csv_file": ("n.csv", csv, "text/csv")},
    )
    assert r.status_code == 303 and "batch=b-" in r.headers["location"]
    batch = client.get(r.headers["location"])
    text = _text(batch.text)
    assert "3 rows read: 2 notices filed, 1 rows refused." in text
    assert "Line 4" in text and "not a number" in text
    assert batch.text.count('href="/holder/cases/') == 2
    with platform.unit() as svc:
        assert svc.screening.get(public_id).state == "removed"
        assert {n.channel for n in svc.session.scalars(select(Notice))} == {"csv"}


def test_a_malformed_csv_is_refused_whole(platform: Platform) -> None:
    client = _setup(platform)
    r = post_form(
        client,
        "/holder/notices/bulk",
        NOTICE_FORM,
        page="/holder/notices/bulk",
        files={"csv_file": ("n.csv", b"name,colour\nx,y\n", "text/csv")},
    )
    assert r.status_code == 422 and "url, title or work_id column" in r.text
    assert _count(platform, Notice) == 0


def test_the_holder_answers_a_counter_notice_and_the_content_stays_down(
    platform: Platform, tmp_path: Path
) -> None:
    """CN Civil Code 1196: a complaint or lawsuit shown in time stops the restoration."""
    client = _setup(platform)
    public_id = _upload(platform, tmp_path)
    notice_id = _file(client, public_id)
    with platform.unit() as svc:
        svc.notices.counter(notice_id, svc.accounts.get("alice"), CN_COUNTER)
    case = client.get(f"/holder/cases/{notice_id}")
    text = _text(case.text)
    assert "status-countered" in case.text and "Restoration unless you act" in text
    assert "h left" in text  # the restoration clock, counting down
    assert "I took this photograph myself" in text  # the declaration forwarded to the holder
    r = post_form(
        client,
        f"/holder/cases/{notice_id}/holder-action",
        {"text": ""},
        page=f"/holder/cases/{notice_id}",
    )
    assert r.status_code == 422 and "write what you filed" in r.text
    r = post_form(
        client,
        f"/holder/cases/{notice_id}/holder-action",
        {"text": "Lawsuit (2026) Jing 0108 Min Chu 1234, Haidian court"},
        page=f"/holder/cases/{notice_id}",
    )
    assert r.status_code == 303
    with platform.unit() as svc:
        assert (
            svc.notices.run_clocks(platform.clock.now() + timedelta(days=30))["restorations"] == 0
        )
        assert svc.screening.get(public_id).state == "removed"
    text = _text(client.get(f"/holder/cases/{notice_id}").text)
    assert "You reported a complaint or lawsuit" in text and "cancelled" in text


def test_a_message_goes_to_the_uploader_through_the_platform(
    platform: Platform, tmp_path: Path
) -> None:
    client = _setup(platform)
    public_id = _upload(platform, tmp_path)
    notice_id = _file(client, public_id)
    case = client.get(f"/holder/cases/{notice_id}").text
    assert "alice@example.com" not in case and "+86 138" not in case
    page = f"/holder/cases/{notice_id}"
    r = post_form(client, f"{page}/messages", {"message": "  "}, page=page)
    assert r.status_code == 422 and "1 to 5,000 characters" in r.text
    r = post_form(
        client, f"{page}/messages", {"message": "Please contact us for a licence."}, page=page
    )
    assert r.status_code == 303
    with platform.unit() as svc:
        alice = svc.accounts.get("alice")
        got = svc.session.scalars(
            select(Message).where(Message.to_user_id == alice.id, Message.kind == "relay")
        ).all()
        assert [m.body for m in got] == ["Please contact us for a licence."]
    assert "Please contact us for a licence." in client.get(page).text


def test_disclosure_is_asked_on_a_notice_granted_and_read_through_the_grant(
    platform: Platform, tmp_path: Path
) -> None:
    client = _setup(platform)
    public_id = _upload(platform, tmp_path)
    notice_id = _file(client, public_id)
    page = f"/holder/cases/{notice_id}"
    r = post_form(client, f"{page}/disclosure", {"purpose": "a lawsuit"}, page=page)
    assert r.status_code == 422 and "choose at least one kind of record" in r.text
    assert _count(platform, DisclosureRequest) == 0
    r = post_form(
        client,
        f"{page}/disclosure",
        {"purpose": "a lawsuit", "scope": ["identity", "contact"]},
        page=page,
    )
    assert r.status_code == 303
    req_path = r.headers["location"]
    req_page = client.get(req_path)
    assert "status-pending" in req_page.text and "/records" not in req_page.text
    request_id = int(req_path.rsplit("/", 1)[1])
    assert client.get(f"{req_path}/records").status_code == 403  # not granted yet
    with platform.unit() as svc:
        svc.disclosure.decide(request_id, svc.accounts.get("rita"), grant=True, reason="valid")
    req_page = client.get(req_path)
    assert "status-granted" in req_page.text and f"{req_path}/records" in req_page.text
    records = client.get(f"{req_path}/records")
    assert records.status_code == 200
    assert "alice@example.com" in records.text and "203.0.113.7" not in records.text  # scope
    assert "/holder/disclosures/" in client.get("/holder/disclosures").text
    # another holder sees neither the request nor the records
    other = signed_in(platform, "rival", "holder")
    assert other.get(req_path).status_code == 404
    assert other.get(f"{req_path}/records").status_code == 404


def test_the_evidence_package_of_a_case_and_of_a_work_downloads(
    platform: Platform, tmp_path: Path
) -> None:
    client = _setup(platform)
    work_id = _register(client, tmp_path)
    _approve(platform, work_id)
    public_id = _upload(platform, tmp_path)
    notice_id = _file(client, public_id, work_id=str(work_id))
    case = f"/holder/cases/{notice_id}"
    assert "The content files: yes" in client.get(case).text
    r = post_form(client, f"{case}/evidence", {}, page=case)
    assert r.status_code == 200 and r.headers["content-type"] == "application/zip"
    assert f"evidence-notice-{notice_id}.zip" in r.headers["content-disposition"]
    with zipfile.ZipFile(io.BytesIO(r.content)) as zf:
        manifest = json.loads(zf.read("manifest.json"))
        assert manifest["receiver"]["name"] == "studio"
        assert manifest["receiver"]["content"] and not manifest["receiver"]["personal_data"]
        assert "uploaders.json" not in zf.namelist()
    r = post_form(client, f"/holder/works/{work_id}/evidence", {}, page=f"/holder/works/{work_id}")
    assert r.status_code == 200 and r.content[:2] == b"PK"
    assert not list((platform.settings.home / "tmp").glob("evidence-*"))  # removed after


# -- who may -----------------------------------------------------------------------------------


def test_who_may_see_the_holder_portal_and_whose_data(platform: Platform, tmp_path: Path) -> None:
    client = _setup(platform)
    work_id = _register(client, tmp_path)
    public_id = _upload(platform, tmp_path)
    notice_id = _file(client, public_id)
    post_form(client, f"/holder/works/{work_id}/licences", {}, page=f"/holder/works/{work_id}")
    with platform.unit() as svc:
        licence_id = svc.registry.licences(work_id)[0].id
    # signed out: to the sign-in page, and back afterwards
    anon = browser_client(platform)
    r = anon.get("/holder/cases", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/login?next=/holder/cases"
    # an uploader: not a rights holder
    uploader = signed_in(platform, "bob", "uploader")
    assert uploader.get("/holder").status_code == 403
    assert uploader.get("/holder/works/new").status_code == 403
    # another rights holder: none of studio's works, cases or licences
    rival = signed_in(platform, "rival", "holder")
    assert rival.get(f"/holder/works/{work_id}").status_code == 403
    assert rival.get(f"/holder/cases/{notice_id}").status_code == 403
    assert "Poster 1" not in rival.get("/holder").text
    assert f"/holder/cases/{notice_id}" not in rival.get("/holder/cases").text
    page = "/holder"
    assert (
        post_form(rival, f"/holder/licences/{licence_id}/revoke", {}, page=page).status_code == 403
    )
    assert (
        post_form(
            rival, f"/holder/cases/{notice_id}/messages", {"message": "hi"}, page=page
        ).status_code
        == 403
    )
    assert post_form(rival, f"/holder/cases/{notice_id}/evidence", {}, page=page).status_code == 403
    assert post_form(rival, f"/holder/works/{work_id}/evidence", {}, page=page).status_code == 403
    with platform.unit() as svc:
        assert svc.session.get(Licence, licence_id).revoked_at is None  # type: ignore[union-attr]


def test_a_form_without_the_csrf_token_is_refused_and_changes_nothing(
    platform: Platform, tmp_path: Path
) -> None:
    client = _setup(platform)
    public_id = _upload(platform, tmp_path)
    notice_id = _file(client, public_id)
    r = client.post(
        f"/holder/cases/{notice_id}/disclosure", data={"purpose": "x"}, follow_redirects=False
    )
    assert r.status_code == 403
    r = client.post(
        "/holder/notices",
        data={**NOTICE_FORM, "urls": f"/c/{public_id}", "csrf_token": "forged"},
        follow_redirects=False,
    )
    assert r.status_code == 403
    assert _count(platform, DisclosureRequest) == 0 and _count(platform, Notice) == 1
