"""The authority portal through a browser session (TestClient): reports viewed and
downloaded, investigation requests filed and followed, granted records read through the
grant (each read recorded), evidence packages of the granted subjects, and the signed
tree heads with the key to check them."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

from sqlalchemy import select

from safeharbor.audit.models import Record
from safeharbor.evidence.verify_package import verify_package
from safeharbor.platform import Platform
from tests.conftest import photo, save
from tests.test_screening import upload
from tests.web_helpers import browser_client, post_form, signed_in

PAGES = ["/authority", "/authority/reports", "/authority/requests", "/authority/evidence"]
PAGES += ["/authority/ledger"]


def actions(platform: Platform, action: str) -> list[Record]:
    with platform.unit() as svc:
        return list(svc.session.scalars(select(Record).where(Record.action == action)))


def decide(platform: Platform, request_id: int, people, grant: bool = True) -> None:  # noqa: ANN001
    with platform.unit() as svc:
        reviewer = svc.accounts.get(people["reviewer"].id)
        svc.disclosure.decide(request_id, reviewer, grant=grant, reason="Reg 13 request")


def test_only_authorities_use_the_portal(platform: Platform) -> None:
    anonymous = browser_client(platform)
    for path in PAGES:
        r = anonymous.get(path, follow_redirects=False)
        assert r.status_code == 303 and r.headers["location"].startswith("/login?next=")
    for role in ("holder", "uploader", "reviewer", "admin"):
        other = signed_in(platform, f"a-{role}", role)
        for path in PAGES:
            assert other.get(path).status_code == 403, (role, path)
    ncac = signed_in(platform, "ncac-web", "authority")
    for path in PAGES:
        r = ncac.get(path)
        assert r.status_code == 200 and r.text.count("<h1") == 1, path


def test_reports_are_shown_and_downloaded(platform: Platform) -> None:
    ncac = signed_in(platform, "ncac-web", "authority")
    ncac.headers["accept-language"] = "en"
    page = ncac.get("/authority/reports?from=2025-12-01&to=2025-12-31").text
    assert "Transparency and compliance reports" in page
    assert page.count("data:image/svg+xml;base64,") == 3 and '<th scope="col">' in page
    for fmt, media in (("pdf", "application/pdf"), ("csv", "text/csv"), ("html", "text/html")):
        r = ncac.get(f"/authority/reports/report.{fmt}?from=2025-12-01&to=2025-12-31")
        assert r.status_code == 200 and r.headers["content-type"].startswith(media)
        assert 'filename="transparency-cn-' in r.headers["content-disposition"]
    assert ncac.get("/authority/reports/report.pdf").content.startswith(b"%PDF")
    r = ncac.get("/authority/reports?from=2026-01-05&to=2026-01-01")
    assert r.status_code == 422 and "the period must end after it starts" in r.text
    assert ncac.get("/authority/reports/report.exe").status_code == 422


def test_an_investigation_request_is_filed_granted_and_read(
    platform: Platform, people, tmp_path: Path
) -> None:  # noqa: ANN001
    content, _res = upload(platform, people["uploader"].id, save(photo(60), tmp_path / "a.jpg"))
    ncac = signed_in(platform, "ncac-web", "authority")
    ncac.headers["accept-language"] = "en"
    # no reference: refused with the reason, nothing stored, what was typed kept
    r = post_form(
        ncac, "/authority/requests", {"users": "alice", "basis": "Reg 13", "scope": "identity"}
    )
    assert r.status_code == 422 and "give the investigation&#39;s reference" in r.text
    assert ">alice</textarea>" in r.text and actions(platform, "disclosure.request") == []
    r = post_form(
        ncac, "/authority/requests", {"users": "nobody", "basis": "Reg 13", "reference": "N-1"}
    )
    assert r.status_code == 422 and "no user" in r.text
    r = post_form(
        ncac,
        "/authority/requests",
        {
            "users": "alice",
            "contents": content.public_id,
            "basis": "Reg 13",
            "reference": "NCAC-2026-42",
            "scope": ["identity", "contact", "network", "uploads"],
        },
    )
    assert r.status_code == 303
    rid = int(r.headers["location"].rsplit("/", 1)[1])
    page = ncac.get(f"/authority/requests/{rid}").text
    assert "NCAC-2026-42" in page and "pending" in page
    assert "alice" not in page  # nobody is named to the requester before a grant
    assert ncac.get(f"/authority/requests/{rid}/records").status_code == 403
    decide(platform, rid, people)
    page = ncac.get(f"/authority/requests/{rid}").text
    assert f'href="/authority/requests/{rid}/records"' in page
    records = ncac.get(f"/authority/requests/{rid}/records")
    assert records.status_code == 200
    assert "alice@example.com" in records.text and "Alice Zhang" in records.text
    assert content.public_id in records.text
    (read,) = actions(platform, "disclosure.deliver")
    assert read.actor_id is not None
    # another authority cannot see the request, nor read it (the API's rule)
    other = signed_in(platform, "court", "authority")
    assert other.get(f"/authority/requests/{rid}").status_code == 404
    assert other.get(f"/authority/requests/{rid}/records").status_code == 404


def test_evidence_packages_of_a_live_grant(platform: Platform, people, tmp_path: Path) -> None:  # noqa: ANN001
    upload(platform, people["uploader"].id, save(photo(61), tmp_path / "a.jpg"))
    ncac = signed_in(platform, "ncac-web", "authority")
    r = post_form(
        ncac,
        "/authority/requests",
        {"users": "alice", "basis": "Reg 13", "reference": "NCAC-7", "scope": "identity"},
    )
    rid = int(r.headers["location"].rsplit("/", 1)[1])
    alice = str(people["uploader"].id)
    # not granted yet: no package
    r = post_form(
        ncac, f"/authority/requests/{rid}/evidence", {"subject": alice}, page="/authority"
    )
    assert r.status_code == 403
    decide(platform, rid, people)
    assert 'name="subject"' in ncac.get("/authority/evidence").text
    # someone the request does not cover: refused
    other = str(people["uploader2"].id)
    r = post_form(
        ncac, f"/authority/requests/{rid}/evidence", {"subject": other}, page="/authority"
    )
    assert r.status_code == 403
    r = post_form(
        ncac, f"/authority/requests/{rid}/evidence", {"subject": alice}, page="/authority/evidence"
    )
    assert r.status_code == 200 and r.headers["content-type"] == "application/zip"
    package = tmp_path / "case.zip"
    package.write_bytes(r.content)
    with zipfile.ZipFile(io.BytesIO(r.content)) as zf:
        manifest = json.loads(zf.read("manifest.json"))
    assert manifest["receiver"]["name"] == "ncac-web" and manifest["receiver"]["personal_data"]
    # checked offline with the key and the heads the ledger page hands out
    key = ncac.get("/authority/ledger/platform.pem")
    heads = ncac.get("/authority/ledger/heads.jsonl")
    assert key.status_code == heads.status_code == 200
    published = tmp_path / "heads.jsonl"
    published.write_text(heads.text)
    result = verify_package(package, key.content, published=published)
    assert result.ok, [c for c in result.checks if not c.ok]
    (export,) = actions(platform, "evidence.export")
    assert export.subject_id == "alice"


def test_the_ledger_page_shows_heads_and_the_key(platform: Platform, people) -> None:  # noqa: ANN001
    ncac = signed_in(platform, "ncac-web", "authority")
    ncac.headers["accept-language"] = "en"
    page = ncac.get("/authority/ledger").text
    with platform.unit() as svc:
        head = svc.ledger.head()
        key_id = svc.ledger.key_id()
    assert head["root_hash"] in page and key_id in page and "BEGIN PUBLIC KEY" in page
    assert "safeharbor evidence verify" in page
    lines = [json.loads(x) for x in ncac.get("/authority/ledger/heads.jsonl").text.splitlines()]
    assert lines[0]["kind"] == "key" and lines[-1]["kind"] == "head"


def test_filing_a_request_needs_the_form_token(platform: Platform, people) -> None:  # noqa: ANN001
    ncac = signed_in(platform, "ncac-web", "authority")
    r = ncac.post(
        "/authority/requests", data={"users": "alice", "basis": "Reg 13", "reference": "N-2"}
    )
    assert r.status_code == 403
    assert actions(platform, "disclosure.request") == []
