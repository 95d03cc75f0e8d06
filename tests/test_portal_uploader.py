"""The uploader portal (``/uploader``) without a browser: the terms before the first
upload, uploads and their decisions in plain words, answers to holds, notices against
one's content and counter-notices that follow the jurisdiction profile, strikes and
appeals (also for a suspended account); and the rules the API has: who may see what,
CSRF, and bad input that stores nothing."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from safeharbor.accounts.models import TermsAcceptance
from safeharbor.clock import FrozenClock
from safeharbor.enforcement.models import StrikeAppeal
from safeharbor.notices.models import CounterNotice
from safeharbor.notices.scheduler import tick
from safeharbor.platform import Platform
from safeharbor.portals.uploader import words
from safeharbor.screening.models import Content, HoldResponse
from safeharbor.screening.service import UPLOAD_WARNING
from tests.conftest import jpeg_bytes, photo, save
from tests.test_notices import CN_COUNTER, CN_NOTICE, EU_NOTICE, US_NOTICE
from tests.web_helpers import PASSWORD, browser_client, post_form, signed_in


def approved(platform: Platform, tmp_path: Path, seed: int, holder: str = "studio") -> Path:
    """A picture registered by ``holder`` and approved by a reviewer; returns its file."""
    path = save(photo(seed), tmp_path / f"work{seed}.jpg")
    with platform.unit() as svc:
        h = svc.accounts.get_or_create(holder, "holder")
        reviewer = svc.accounts.get_or_create("rita", "reviewer")
        reg = svc.registry.register(h, path, title=f"Poster {seed}")
        svc.registry.review(reg.work.id, "approve", reviewer)
    return path


def accept_terms(client: TestClient) -> None:
    r = post_form(client, "/uploader/terms", {"accept": "yes"}, page="/uploader/upload")
    assert r.status_code == 303, r.text[:500]


def upload_form(client: TestClient, data: bytes, title: str = "My picture") -> str:
    """Upload through the form; returns the decision page's address."""
    r = post_form(
        client,
        "/uploader/upload",
        {"title": title},
        page="/uploader/upload",
        files={"file": ("picture.jpg", data, "image/jpeg")},
    )
    assert r.status_code == 303, r.text[:800]
    return str(r.headers["location"])


def uploader(platform: Platform, name: str = "lin") -> TestClient:
    client = signed_in(platform, name, "uploader", email=f"{name}@example.org")
    accept_terms(client)
    return client


def sign_in_again(client: TestClient, name: str = "lin") -> None:
    r = post_form(client, "/login", {"name": name, "password": PASSWORD}, page="/login")
    assert r.status_code == 303


def count(platform: Platform, model: Any) -> int:
    with platform.unit() as svc:
        return svc.session.query(model).count()


def taken_down(platform: Platform, client: TestClient, seed: int, **kw: Any) -> tuple[str, int]:
    """``client`` uploads a picture and a holder's notice takes it down: (public id, notice)."""
    page = upload_form(client, jpeg_bytes(photo(seed)), title=f"Holiday {seed}")
    public_id = page.rsplit("/", 1)[1]
    fields = kw.pop("fields", CN_NOTICE)
    with platform.unit() as svc:
        holder = svc.accounts.get_or_create("studio", "holder")
        res = svc.notices.file(holder, fields, urls=[f"/c/{public_id}"], **kw).view()
    assert res["located"] == [public_id], res
    return public_id, int(res["notice_id"])


# -- who may see the portal ------------------------------------------------------------


PAGES = ["/uploader", "/uploader/upload", "/uploader/notices", "/uploader/strikes"]


def test_a_signed_out_visitor_is_sent_to_sign_in(platform: Platform) -> None:
    client = browser_client(platform)
    for path in PAGES:
        r = client.get(path, follow_redirects=False)
        assert r.status_code == 303 and r.headers["location"] == "/login?next=" + path, path


@pytest.mark.parametrize("role", ["reviewer", "authority"])
def test_roles_that_do_not_upload_are_refused(platform: Platform, role: str) -> None:
    client = signed_in(platform, "someone", role)
    for path in PAGES:
        assert client.get(path).status_code == 403, path


def test_a_holder_uploads_too(platform: Platform) -> None:
    client = signed_in(platform, "studio", "holder")
    assert client.get("/uploader").status_code == 200


# -- the terms and the upload ------------------------------------------------------------


def test_the_terms_are_the_services_warning() -> None:
    assert words.TERMS == UPLOAD_WARNING


def test_the_terms_come_before_the_first_upload_and_are_recorded(
    platform: Platform, clock: FrozenClock
) -> None:
    client = signed_in(platform, "lin", "uploader")
    page = client.get("/uploader/upload")
    # the warning, in Chinese, and a box to accept; no file field yet
    assert "不要上传他人的作品" in page.text and 'name="accept"' in page.text
    assert 'type="file"' not in page.text
    # an upload posted anyway is refused, and nothing is stored
    r = post_form(
        client,
        "/uploader/upload",
        {"title": "x"},
        page="/uploader/upload",
        files={"file": ("a.jpg", jpeg_bytes(photo(1)), "image/jpeg")},
    )
    assert r.status_code == 403 and count(platform, Content) == 0
    # the box not ticked: asked again, nothing recorded
    r = post_form(client, "/uploader/terms", {}, page="/uploader/upload")
    assert r.status_code == 422 and "勾选" in r.text
    assert count(platform, TermsAcceptance) == 0
    accept_terms(client)
    with platform.unit() as svc:
        user = svc.accounts.get("lin")
        assert user.terms_version == platform.settings.terms_version
        (row,) = svc.session.query(TermsAcceptance).all()
        assert row.version == platform.settings.terms_version and row.user_id == user.id
    page = client.get("/uploader/upload")
    assert 'type="file"' in page.text and 'name="accept"' not in page.text


def test_an_upload_without_file_or_title_is_asked_again(platform: Platform) -> None:
    client = uploader(platform)
    r = post_form(client, "/uploader/upload", {"title": "A title"}, page="/uploader/upload")
    assert r.status_code == 422 and "请选择要上传的文件" in r.text
    r = post_form(
        client,
        "/uploader/upload",
        {"title": ""},
        page="/uploader/upload",
        files={"file": ("a.jpg", jpeg_bytes(photo(1)), "image/jpeg")},
    )
    assert r.status_code == 422 and "标题" in r.text
    r = post_form(
        client,
        "/uploader/upload",
        {"title": "Empty"},
        page="/uploader/upload",
        files={"file": ("a.jpg", b"", "image/jpeg")},
    )
    assert r.status_code == 422 and 'value="Empty"' in r.text  # what was typed is kept
    assert count(platform, Content) == 0


def test_a_clean_upload_is_published(platform: Platform) -> None:
    client = uploader(platform)
    page = client.get(upload_form(client, jpeg_bytes(photo(5)), "Holiday <b>1</b>"))
    assert page.status_code == 200
    assert "已发布" in page.text and "没有与本次上传匹配的已登记作品" in page.text
    assert "Holiday &lt;b&gt;1&lt;/b&gt;" in page.text  # escaped as typed
    listing = client.get("/uploader")
    assert "Holiday &lt;b&gt;1&lt;/b&gt;" in listing.text and "已发布" in listing.text


def test_an_exact_copy_is_blocked_with_the_work_named_and_what_to_do(
    platform: Platform, tmp_path: Path
) -> None:
    work = approved(platform, tmp_path, 7)
    client = uploader(platform)
    page = client.get(upload_form(client, work.read_bytes(), "Copied poster"))
    text = page.text
    assert "已屏蔽" in text and "“Poster 7”" in text
    assert "完全相同的副本" in text  # an exact copy, in plain words
    assert "许可或权属证明" in text and "/answer" in text  # what to do next
    assert "Poster 7" in client.get("/uploader").text


def test_a_near_copy_is_held_and_answered_with_a_licence(
    platform: Platform, tmp_path: Path
) -> None:
    approved(platform, tmp_path, 8)
    client = uploader(platform)
    near = jpeg_bytes(photo(8), quality=60)  # the same picture, encoded again: not exact
    decision = upload_form(client, near, "Poster again")
    page = client.get(decision)
    assert "暂缓发布：需提交证明" in page.text and "Poster 8" in page.text, page.text
    answer = decision + "/answer"
    # neither a statement nor a document: said so, nothing stored
    r = post_form(client, answer, {"kind": "licence", "statement": ""})
    assert r.status_code == 422 and "请提交文件或说明" in r.text
    assert count(platform, HoldResponse) == 0
    # someone else may neither see the upload nor answer for it
    other = uploader(platform, "bob")
    assert other.get(decision).status_code == 403
    r = post_form(other, answer, {"kind": "licence", "statement": "mine"}, page="/uploader")
    assert r.status_code == 403 and count(platform, HoldResponse) == 0
    r = post_form(
        client,
        answer,
        {"kind": "licence", "statement": "Licensed by the studio, contract 42"},
        files={"document": ("licence.pdf", b"%PDF-1.4 licence", "application/pdf")},
    )
    assert r.status_code == 303
    with platform.unit() as svc:
        (resp,) = svc.session.query(HoldResponse).all()
        assert resp.kind == "licence" and resp.document_name == "licence.pdf"
    page = client.get(decision)
    assert "Licensed by the studio, contract 42" in page.text and "审核员" in page.text
    assert "/answer" not in page.text  # answered: no second form offered


def test_csrf_is_required_and_nothing_changes_without_it(platform: Platform) -> None:
    client = uploader(platform)
    public_id, notice_id = taken_down(platform, client, 30)
    r = client.post(f"/uploader/notices/{notice_id}/counter", data=CN_COUNTER)
    assert r.status_code == 403
    r = client.post(
        "/uploader/upload",
        data={"title": "x"},
        files={"file": ("a.jpg", jpeg_bytes(photo(2)), "image/jpeg")},
    )
    assert r.status_code == 403
    assert count(platform, CounterNotice) == 0 and count(platform, Content) == 1


# -- notices and counter-notices ---------------------------------------------------------


def test_cn_notice_counter_notice_and_restoration(platform: Platform, clock: FrozenClock) -> None:
    client = uploader(platform)
    public_id, notice_id = taken_down(platform, client, 31)
    listing = client.get("/uploader")
    assert "因通知已删除" in listing.text and f"/uploader/notices/{notice_id}" in listing.text
    notices = client.get("/uploader/notices")
    assert f"/uploader/notices/{notice_id}" in notices.text and "Poster 2026" in notices.text
    page = client.get(f"/uploader/notices/{notice_id}")
    # what was claimed, by whom (CN forwards the notifier's identity), what was done
    assert "Studio Legal" in page.text and "Poster 2026" in page.text
    assert "registration certificate 2026-F-1" in page.text and "删除" in page.text
    form = client.get(f"/uploader/notices/{notice_id}/counter").text
    for name in ("name", "contact", "address", "item", "grounds", "signature"):
        assert f'name="{name}"' in form, name
    # incomplete: the missing fields are named and nothing is filed
    partial = {k: v for k, v in CN_COUNTER.items() if k not in ("grounds", "address")}
    r = post_form(client, f"/uploader/notices/{notice_id}/counter", partial)
    assert r.status_code == 422 and "理由" in r.text and "地址" in r.text
    assert 'value="Alice Zhang"' in r.text  # what was typed is kept
    assert count(platform, CounterNotice) == 0
    r = post_form(client, f"/uploader/notices/{notice_id}/counter", CN_COUNTER)
    assert r.status_code == 303 and r.headers["location"] == f"/uploader/notices/{notice_id}"
    page = client.get(f"/uploader/notices/{notice_id}")
    assert "等待期" in page.text and "/counter" not in page.text
    with platform.unit() as svc:
        (counter,) = svc.session.query(CounterNotice).all()
        assert counter.status == "valid" and counter.fields["grounds"] == CN_COUNTER["grounds"]
    clock.advance(timedelta(days=16))
    tick(platform)
    sign_in_again(client)  # the session ran out while the period ran
    page = client.get(f"/uploader/notices/{notice_id}")
    assert "内容已恢复" in page.text
    assert "已恢复" in client.get(f"/uploader/uploads/{public_id}").text


def test_a_notice_is_shown_only_to_the_uploader_concerned(platform: Platform) -> None:
    client = uploader(platform)
    _public_id, notice_id = taken_down(platform, client, 32)
    other = uploader(platform, "bob")
    assert other.get(f"/uploader/notices/{notice_id}").status_code == 403
    assert f"/uploader/notices/{notice_id}" not in other.get("/uploader/notices").text
    r = post_form(other, f"/uploader/notices/{notice_id}/counter", CN_COUNTER, page="/uploader")
    assert r.status_code == 403 and count(platform, CounterNotice) == 0


def test_us_counter_notice_asks_the_dmca_fields(platform: Platform) -> None:
    client = uploader(platform)
    _public_id, notice_id = taken_down(platform, client, 33, fields=US_NOTICE, profile="us")
    form = client.get(f"/uploader/notices/{notice_id}/counter").text
    assert 'name="phone"' in form and 'type="checkbox"' in form
    assert 'name="consent_jurisdiction"' in form and 'name="contact"' not in form


def test_eu_notice_does_not_name_the_notifier(platform: Platform) -> None:
    client = uploader(platform)
    _public_id, notice_id = taken_down(platform, client, 34, fields=EU_NOTICE, profile="eu")
    page = client.get(f"/uploader/notices/{notice_id}").text
    assert "Studio Legal" not in page and "studio" not in page.split("<main", 1)[1]
    form = client.get(f"/uploader/notices/{notice_id}/counter").text
    assert 'name="decision"' in form and 'name="grounds"' in form and 'name="name"' not in form


# -- strikes and appeals ----------------------------------------------------------------


def test_strikes_standing_and_appeal(platform: Platform) -> None:
    client = uploader(platform)
    _public_id, notice_id = taken_down(platform, client, 35)
    page = client.get("/uploader/strikes")
    assert "警告" in page.text and "/uploader/strikes/" in page.text
    with platform.unit() as svc:
        strike_id = svc.enforcement.active_strikes(svc.accounts.get("lin"))[0].id
    appeal = f"/uploader/strikes/{strike_id}/appeal"
    r = post_form(client, appeal, {"statement": "   "})
    assert r.status_code == 422 and count(platform, StrikeAppeal) == 0
    other = uploader(platform, "bob")
    assert other.get(appeal).status_code == 403
    r = post_form(other, appeal, {"statement": "not mine"}, page="/uploader/strikes")
    assert r.status_code == 403 and count(platform, StrikeAppeal) == 0
    r = post_form(client, appeal, {"statement": "I took this photo myself"})
    assert r.status_code == 303
    with platform.unit() as svc:
        (row,) = svc.session.query(StrikeAppeal).all()
        assert row.strike_id == strike_id and row.status == "open"
    assert "申诉已提交" in client.get("/uploader/strikes").text


def test_a_suspended_account_still_reaches_its_strikes_and_appeals(platform: Platform) -> None:
    client = uploader(platform)
    with platform.unit() as svc:
        root = svc.accounts.get_or_create("root", "admin")
        for n in range(4):  # level 4 of the default policy: suspension
            strike = svc.enforcement.add_manual("lin", None, f"manual {n}", root)
        strike_id = strike.id
        assert svc.accounts.get("lin").status == "suspended"
    # the uploads pages refuse; the landing page takes the account to its strikes
    assert client.get("/uploader/upload").status_code == 403
    r = client.get("/uploader", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/uploader/strikes"
    page = client.get("/uploader/strikes")
    assert page.status_code == 200 and "您的账号已被暂停" in page.text
    r = post_form(client, f"/uploader/strikes/{strike_id}/appeal", {"statement": "mistaken"})
    assert r.status_code == 303 and count(platform, StrikeAppeal) == 1
