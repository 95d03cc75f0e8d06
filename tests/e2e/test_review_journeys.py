"""The review console in a real browser: a reviewer, whose account an administrator made,
clears the queues most urgent first, in Chinese (the default); another decides a
complaint, a disclosure request and a strike appeal in English.

What other people do (holders registering works and sending notices, uploaders uploading
and appealing) is prepared through the services, as their own portals would do it; every
step of the reviewer's goes through the pages."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

from PIL import ImageOps

from safeharbor.clock import FrozenClock
from tests.conftest import photo, save
from tests.e2e.conftest import LiveServer, sign_in
from tests.test_notices import CN_NOTICE, EU_COUNTER, EU_NOTICE

PASSWORD = "a long passphrase 1"


def staff(live: LiveServer, reviewer: str) -> None:
    """An administrator, who makes the reviewer's account (staff do not sign up)."""
    with live.platform.unit() as svc:
        root = svc.accounts.create_user("root", "admin", password=PASSWORD)
        svc.accounts.create_user(reviewer, "reviewer", password=PASSWORD, actor=root)


def people(live: LiveServer) -> None:
    with live.platform.unit() as svc:
        svc.accounts.create_user("studio", "holder", email="legal@studio.example")
        for name in ("alice", "bob"):
            user = svc.accounts.create_user(name, "uploader", email=f"{name}@example.com")
            svc.accounts.accept_terms(user, live.platform.settings.terms_version, "203.0.113.7")


def register(live: LiveServer, path: Path, approve: bool = False) -> int:
    with live.platform.unit() as svc:
        work = svc.registry.register(svc.accounts.get("studio"), path).work
        if approve:
            svc.registry.review(work.id, "approve", svc.accounts.get("root"))
        return work.id


def upload(live: LiveServer, who: str, path: Path) -> Any:
    with live.platform.unit() as svc:
        content, _ = svc.screening.upload(svc.accounts.get(who), path)
        return content


def notice(live: LiveServer, fields: dict[str, str], urls: list[str], **kw: Any) -> int:
    with live.platform.unit() as svc:
        res = svc.notices.file(svc.accounts.get("studio"), fields, urls=urls, **kw)
        return res.notice.id


def test_a_reviewer_clears_the_queues_most_urgent_first(
    context: Any, live: LiveServer, e2e_clock: FrozenClock, shot: Any, tmp_path: Path
) -> None:
    staff(live, "shen")
    people(live)
    # two registrations waiting for their proof of ownership to be checked
    first_work = register(live, save(photo(31), tmp_path / "poster.jpg"))
    e2e_clock.advance(timedelta(minutes=30))
    second_work = register(live, save(photo(32), tmp_path / "still.jpg"))
    # a registered picture, and a mirrored smaller copy of it: held for a licence
    register(live, save(photo(33), tmp_path / "cover.jpg"), approve=True)
    copy = ImageOps.mirror(photo(33).resize((400, 300)))
    held = upload(live, "alice", save(copy, tmp_path / "holiday.jpg", quality=45))
    assert held.state == "held"
    # two notices naming addresses elsewhere: the older one is past its 24-hour clock
    old = notice(live, CN_NOTICE, ["https://elsewhere.example/v/1"])
    e2e_clock.advance(timedelta(hours=20))
    new = notice(live, CN_NOTICE, ["https://elsewhere.example/v/2"])
    e2e_clock.advance(timedelta(hours=5))

    page = context.new_page()
    sign_in(page, "shen")
    page.wait_for_url("**/review")
    assert page.locator("html").get_attribute("lang") == "zh-CN"
    assert page.locator("h1").inner_text() == "审核工作台"
    counts = {
        key: page.locator(f'tr[data-queue="{key}"] td.count').inner_text()
        for key in ("works", "held", "unlocated")
    }
    assert counts == {"works": "2", "held": "1", "unlocated": "2"}
    overdue = page.locator('tr[data-queue="unlocated"]')
    assert "overdue" in (overdue.get_attribute("class") or "")
    assert f"/review/notices/{old}" in overdue.locator("a").nth(1).get_attribute("href")
    shot(page, "review")

    # -- the notices: the overdue one on top, with its clock ----------------------------
    page.locator('tr[data-queue="unlocated"] th a').click()
    page.wait_for_url("**/review/unlocated")
    rows = page.locator("table.queue tbody tr")
    assert rows.count() == 2
    assert rows.nth(0).get_attribute("class") == "overdue"
    assert "1.0" in rows.nth(0).locator(".clock.overdue").inner_text()
    assert "19.0" in rows.nth(1).locator(".clock").inner_text()
    for expected in (old, new):
        page.locator("table.queue tbody tr").first.locator("a").click()
        page.wait_for_url(f"**/review/notices/{expected}")
        assert "elsewhere.example" in page.locator("main table").nth(1).inner_text()
        page.click('button[value="dismiss"]')
        page.wait_for_url("**/review/unlocated")
        assert page.get_by_role("status").first.is_visible()
    assert page.locator("table.queue").count() == 0  # the queue is empty

    # -- the works: oldest first --------------------------------------------------------
    page.locator(".queue-nav a[href='/review/works']").click()
    page.wait_for_url("**/review/works")
    links = page.locator("table.queue tbody tr a")
    assert links.nth(0).get_attribute("href") == f"/review/works/{first_work}"
    links.nth(0).click()
    page.wait_for_url(f"**/review/works/{first_work}")
    assert page.locator("img.preview").is_visible()
    page.click('button[value="approve"]')
    page.wait_for_url("**/review/works")
    page.locator("table.queue tbody tr a").first.click()
    page.wait_for_url(f"**/review/works/{second_work}")
    page.fill("#f-note", "证明材料与作品无关")
    page.click('button[value="reject"]')
    page.wait_for_url("**/review/works")
    assert page.locator("table.queue").count() == 0

    # -- the held upload: compared side by side, then the block confirmed -----------------
    page.locator(".queue-nav a[href='/review/held']").click()
    page.locator("table.queue tbody tr a").first.click()
    page.wait_for_url(f"**/review/uploads/{held.public_id}")
    page.locator(f"a[href^='/review/uploads/{held.public_id}/compare']").first.click()
    page.wait_for_url("**/compare?work=*")
    overlay = page.locator(".overlay img.over")
    overlay.wait_for()
    # the pictures loaded through the media route (the reviewer may see all content)
    assert page.evaluate(
        "Array.from(document.querySelectorAll('main img')).every(i => i.naturalWidth > 0)"
    )
    assert page.locator("svg.region rect").count() >= 1
    shot(page, "review-compare")
    page.locator(f"a[href='/review/uploads/{held.public_id}']").first.click()
    page.fill("#f-note", "未提供许可")
    page.click('button[value="block"]')
    page.wait_for_url("**/review/held")
    assert page.locator("table.queue").count() == 0

    # -- the console: nothing left --------------------------------------------------------
    page.locator(".queue-nav a[href='/review']").click()
    page.wait_for_url("**/review")
    for key in ("works", "held", "unlocated"):
        assert page.locator(f'tr[data-queue="{key}"] td.count').inner_text() == "0"
    with live.platform.unit() as svc:
        assert svc.registry.get(first_work).status == "approved"
        assert svc.registry.get(second_work).status == "rejected"
        assert svc.screening.get(held.public_id).state == "blocked"


def test_a_reviewer_decides_a_complaint_a_disclosure_and_an_appeal_in_english(
    context: Any, live: LiveServer, tmp_path: Path
) -> None:
    staff(live, "morgan")
    people(live)
    # an EU takedown the uploader complains about (a person must decide, DSA art. 20)
    photo_a = upload(live, "alice", save(photo(41), tmp_path / "a.jpg"))
    eu = notice(live, EU_NOTICE, [photo_a.public_id], profile="eu")
    with live.platform.unit() as svc:
        svc.notices.counter(eu, svc.accounts.get("alice"), EU_COUNTER)
    # a CN takedown of Bob's upload: the holder asks who he is; Bob appeals his strike
    photo_b = upload(live, "bob", save(photo(42), tmp_path / "b.jpg"))
    cn = notice(live, CN_NOTICE, [f"/c/{photo_b.public_id}"])
    with live.platform.unit() as svc:
        req = svc.disclosure.request(svc.accounts.get("studio"), basis="", notice_id=cn).id
        bob = svc.accounts.get("bob")
        strike = svc.enforcement.active_strikes(bob)[0]
        appeal = svc.enforcement.appeal(strike.id, bob, "I painted this myself").id

    page = context.new_page()
    sign_in(page, "morgan")
    page.wait_for_url("**/review")
    page.select_option("#lang-switch", "en")
    page.click("#lang-switch + button")
    page.wait_for_url("**/review")
    assert page.locator("h1").inner_text() == "Review console"
    row = page.locator('tr[data-queue="counters"]')
    assert row.locator("td.count").inner_text() == "1"
    assert "72.0 h left" in row.inner_text()

    # the complaint: a reason is required; then upheld, the photo comes back
    row.locator("th a").click()
    page.wait_for_url("**/review/counters")
    page.get_by_role("link", name=f"Counter-notice 1 on notice {eu}").click()
    page.wait_for_url(f"**/review/counters/{eu}")
    assert "quotation for review" in page.locator("main").inner_text()
    page.fill("#f-note", "A quotation for review is lawful (DSM 17(7)).")
    page.get_by_role("button", name="Uphold: restore the content").click()
    page.wait_for_url("**/review/counters")
    assert "This queue is empty." in page.locator("main").inner_text()

    # the disclosure request: granted for seven days, with the reason
    page.get_by_role("link", name="Disclosure requests").click()
    page.get_by_role("link", name=f"Disclosure request {req}").click()
    page.wait_for_url(f"**/review/disclosures/{req}")
    page.fill("#f-reason", "A valid notice; the uploader is identified for a lawsuit.")
    page.fill("#f-days", "7")
    page.get_by_role("button", name="Grant").click()
    page.wait_for_url("**/review/disclosures")
    assert f"Disclosure request {req} is granted." in page.get_by_role("status").inner_text()

    # the appeal: refused, with the reason
    page.get_by_role("link", name="Strike appeals").click()
    page.get_by_role("link", name=f"Appeal {appeal} of strike {strike.id}").click()
    assert "I painted this myself" in page.locator("main").inner_text()
    page.fill("#f-reason", "The picture is the studio's registered poster.")
    page.get_by_role("button", name="Refuse: the strike stays").click()
    page.wait_for_url("**/review/appeals")
    assert "This queue is empty." in page.locator("main").inner_text()

    with live.platform.unit() as svc:
        assert svc.screening.get(photo_a.public_id).state == "restored"
        assert svc.disclosure.get(req).status == "granted"
        assert svc.enforcement.get_appeal(appeal).status == "refused"
