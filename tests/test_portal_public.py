"""The public pages (no account): the complaint channel, its form from the profile's
fields with a CSRF token, and the designated contact."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import func, select

from safeharbor.accounts.models import User
from safeharbor.notices.models import Notice
from safeharbor.platform import Platform
from tests.conftest import photo, save
from tests.test_notices import CN_NOTICE
from tests.test_screening import upload
from tests.web_helpers import browser_client, post_form


def visitor(platform: Platform, lang: str = "en"):  # noqa: ANN201
    web = browser_client(platform)
    web.headers["accept-language"] = lang
    return web


def counts(platform: Platform) -> tuple[int, int]:
    with platform.unit() as svc:
        users = svc.session.scalar(select(func.count()).select_from(User)) or 0
        notices = svc.session.scalar(select(func.count()).select_from(Notice)) or 0
        return users, notices


def test_the_complaint_page_says_how_and_what_happens_next(platform: Platform) -> None:
    web = visitor(platform)
    page = web.get("/complaints").text
    assert page.count("<h1") == 1 and 'name="csrf_token"' in page
    assert "within 24 hours" in page and "within 15 days" in page  # the cn profile's clocks
    assert platform.settings.intake_address in page
    for name in ("location", "notifier_email", "notifier_name", "evidence", "signature"):
        assert f'for="f-{name}"' in page and f'name="{name}"' in page
    # another profile: its fields and clocks (the US one asks for declarations)
    us = web.get("/complaints?profile=us").text
    assert 'type="checkbox"' in us and 'name="good_faith"' in us and 'value="us"' in us
    assert "10 to 14 business days" in us
    # Chinese by default
    zh = visitor(platform, "zh-CN").get("/complaints").text
    assert "投诉表单" in zh and "24 小时" in zh


def test_a_visitor_files_a_complaint_without_an_account(
    platform: Platform, people, tmp_path: Path
) -> None:  # noqa: ANN001
    content, _res = upload(platform, people["uploader"].id, save(photo(70), tmp_path / "a.jpg"))
    web = visitor(platform)
    form = {
        **CN_NOTICE,
        "notifier_email": "legal@films.example",
        "location": f"/c/{content.public_id}",
    }
    r = post_form(web, "/complaints", form)
    assert r.status_code == 201 and content.public_id in r.text and "received" in r.text
    with platform.unit() as svc:
        assert svc.screening.get(content.public_id).state == "removed"
        (notice,) = svc.session.scalars(select(Notice))
        assert notice.channel == "web"
        sender = svc.session.get(User, notice.sender_id)
        assert sender is not None and sender.email == "legal@films.example"


def test_incomplete_and_refused_complaints(platform: Platform, people) -> None:  # noqa: ANN001
    web = visitor(platform)
    partial = {k: v for k, v in CN_NOTICE.items() if k != "evidence"}
    partial |= {"notifier_email": "x@films.example", "location": "/c/nothing"}
    r = post_form(web, "/complaints", partial)
    # kept, and the sender told what is missing, by its label
    assert r.status_code == 422 and "is incomplete" in r.text and "Preliminary proof" in r.text
    before = counts(platform)
    # a bad address: refused, the form again with what was typed, nothing stored
    r = post_form(web, "/complaints", {**partial, "notifier_email": "not an address"})
    assert r.status_code == 422 and "invalid email address" in r.text
    assert 'value="Studio Legal"' in r.text
    assert counts(platform) == before
    # an authority's address: authorities send orders, not notices; nothing is stored
    with platform.unit() as svc:
        svc.accounts.create_user("inspector", "authority", email="inspector@ncac.example")
    before = counts(platform)
    r = post_form(web, "/complaints", {**partial, "notifier_email": "inspector@ncac.example"})
    assert r.status_code == 403 and "authorities send orders" in r.text
    assert counts(platform) == before


def test_a_complaint_needs_the_form_token(platform: Platform) -> None:
    web = visitor(platform)
    web.get("/complaints")
    before = counts(platform)
    form = {**CN_NOTICE, "notifier_email": "legal@films.example", "location": "/c/x"}
    assert web.post("/complaints", data=form).status_code == 403
    r = web.post("/complaints", data={**form, "csrf_token": "forged"})
    assert r.status_code == 403
    assert counts(platform) == before


def test_the_designated_contact(platform: Platform) -> None:
    platform.settings.contact_email = "copyright@platform.example"
    platform.settings.contact_phone = "+86 10 1234 5678"
    platform.settings.contact_address = "1 Harbour Road, Shanghai"
    web = visitor(platform)
    page = web.get("/contact").text
    assert page.count("<h1") == 1
    for text in (
        "Copyright team",
        "copyright@platform.example",
        "+86 10 1234 5678",
        "1 Harbour Road, Shanghai",
        platform.settings.intake_address,
    ):
        assert text in page
    # every page's footer leads here
    assert 'href="/contact"' in web.get("/").text
