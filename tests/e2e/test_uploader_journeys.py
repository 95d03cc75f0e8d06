"""The uploader portal in a real browser, as a new person uses it: signing up, accepting
the upload terms, uploading through the form and reading the decision; and answering a
takedown with a counter-notice until the content comes back.

What other people do (a holder registering a work, a reviewer approving it, a holder's
notice) is prepared through the services, as their own portals would do it."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

from safeharbor.clock import FrozenClock
from safeharbor.notices.scheduler import tick
from tests.conftest import photo, save
from tests.e2e.conftest import LiveServer, sign_in, sign_up
from tests.test_notices import CN_NOTICE

#: the portal's own navigation, by where each link goes (its words are the catalogue's)
SECTIONS = {
    "uploads": "/uploader",
    "upload": "/uploader/upload",
    "notices": "/uploader/notices",
    "strikes": "/uploader/strikes",
}


def portal_link(page: Any, section: str) -> Any:
    return page.locator(f'nav.portal-nav a[href="{SECTIONS[section]}"]')


def test_an_uploaders_re_upload_is_blocked(
    context: Any, live: LiveServer, shot: Any, tmp_path: Path
) -> None:
    picture = save(photo(70), tmp_path / "poster.jpg")
    with live.platform.unit() as svc:
        # someone posted the picture; the studio registered it, and its notice took the
        # post down: the picture now stays down
        early = svc.accounts.create_user("early", "uploader")
        svc.accounts.accept_terms(early, live.platform.settings.terms_version, None)
        posted, _ = svc.screening.upload(early, picture, title="Poster")
        studio = svc.accounts.create_user("studio", "holder")
        rita = svc.accounts.create_user("rita", "reviewer")
        reg = svc.registry.register(studio, picture, title="Spring Poster 2026")
        svc.registry.review(reg.work.id, "approve", rita)
        res = svc.notices.file(studio, CN_NOTICE, urls=[f"/c/{posted.public_id}"])
        assert res.located == [posted.public_id]

    page = context.new_page()
    sign_up(page, "xiaoming", "uploader")
    page.wait_for_url("**/uploader")
    assert "首次上传前" in page.get_by_role("main").inner_text()
    portal_link(page, "upload").click()
    # the warning comes first, and no file can be chosen before it is accepted
    assert "不要上传他人的作品" in page.get_by_role("heading", level=2).first.inner_text()
    assert page.locator("input[type=file]").count() == 0
    page.check("#f-accept")
    page.get_by_role("button", name="同意条款").click()
    assert "您已同意条款" in page.get_by_role("status").inner_text()

    page.fill("#f-title", "春天的海报")
    page.set_input_files("#f-file", str(picture))
    page.get_by_role("button", name="上传并检测").click()
    page.wait_for_url("**/uploader/uploads/*")
    decision = page.locator("section.decision").inner_text()
    assert "已屏蔽" in decision
    assert "第 1 号通知已删除内容" in decision or "Spring Poster 2026" in decision
    assert "提交许可或权属证明" in decision  # what to do next
    shot(page, "uploader-decision")

    portal_link(page, "uploads").click()
    page.wait_for_url("**/uploader")
    row = page.get_by_role("row").filter(has_text="春天的海报")
    assert "已屏蔽" in row.inner_text()
    shot(page, "uploader")


def test_an_uploader_counter_notices_and_the_content_comes_back(
    context: Any, live: LiveServer, shot: Any, tmp_path: Path, e2e_clock: FrozenClock
) -> None:
    page = context.new_page()
    sign_up(page, "alice", "uploader")
    page.wait_for_url("**/uploader")
    # this uploader reads the site in English
    page.select_option("#lang-switch", "en")
    page.click("#lang-switch + button")
    page.wait_for_url("**/uploader")
    assert page.locator("html").get_attribute("lang") == "en"
    portal_link(page, "upload").click()
    page.check("#f-accept")
    page.get_by_role("button", name="Accept the terms").click()
    page.fill("#f-title", "My holiday photo")
    page.set_input_files("#f-file", str(save(photo(71), tmp_path / "holiday.jpg")))
    page.get_by_role("button", name="Upload and screen").click()
    page.wait_for_url("**/uploader/uploads/*")
    assert "Published" in page.locator("section.decision").inner_text()
    public_id = page.url.rsplit("/", 1)[1]

    with live.platform.unit() as svc:
        studio = svc.accounts.create_user("studio", "holder")
        svc.notices.file(studio, CN_NOTICE, urls=[f"/c/{public_id}"])

    portal_link(page, "uploads").click()
    row = page.get_by_role("row").filter(has_text="My holiday photo")
    assert "Removed on a notice" in row.inner_text()
    portal_link(page, "notices").click()
    page.get_by_role("link", name="Notice no. 1").click()
    facts = page.locator("dl.facts").inner_text()
    assert "Studio Legal" in facts and "Poster 2026" in facts  # who, and what is claimed
    page.get_by_role("link", name="File a counter-notice").click()
    # the fields the CN profile asks for (Reg 16, CC 1196), each with its label
    assert page.get_by_label("Why it should come back").count() == 1
    for name, value in {
        "name": "Alice Zhang",
        "contact": "alice@example.org",
        "address": "2 River Street, Hangzhou",
        "item": "My holiday photo",
        "grounds": "I took this photograph myself.",
        "signature": "Alice Zhang",
    }.items():
        page.fill(f"#f-{name}", value)
    page.get_by_role("button", name="File the counter-notice").click()
    page.wait_for_url("**/uploader/notices/1")
    assert "Your counter-notice is filed." in page.get_by_role("status").inner_text()
    assert "waiting period" in page.locator("p.progress").inner_text()
    assert "Restoration" in page.get_by_role("table").last.inner_text()
    shot(page, "uploader-counter-notice")

    # the waiting period passes with no complaint or lawsuit from the holder
    e2e_clock.advance(timedelta(days=16))
    tick(live.platform)
    sign_in(page, "alice")  # a new day, a new session
    page.wait_for_url("**/uploader")
    row = page.get_by_role("row").filter(has_text="My holiday photo")
    assert "Restored" in row.inner_text()
    portal_link(page, "notices").click()
    page.get_by_role("link", name="Notice no. 1").click()
    assert "the content is restored" in page.locator("p.progress").inner_text()
    portal_link(page, "strikes").click()
    main = page.get_by_role("main").inner_text()
    assert "You have no active strikes." in main and "a counter-notice restored" in main
    shot(page, "uploader-strikes")
