"""The admin console, the authority portal and the public complaint page in a real
browser, walked as their people would: the admin reads the compliance dashboard and
changes its period, lists an infringing site; an authority reads the reports and the
signed tree heads (in English); a visitor files a complaint without an account."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

from safeharbor.clock import FrozenClock
from tests.conftest import photo, save
from tests.e2e.conftest import LiveServer, sign_in
from tests.test_notices import CN_NOTICE

PASSWORD = "a long passphrase 1"


def _notices_acted_on(live: LiveServer, tmp_path: Path, n: int = 3) -> list[str]:
    """A rights holder's approved work, uploads of copies, and notices acted on (what the
    holder and reviewer portals would have done), over the last days."""
    platform = live.platform
    clock = platform.clock
    assert isinstance(clock, FrozenClock)
    with platform.unit() as svc:
        holder = svc.accounts.create_user("studio", "holder", email="legal@studio.example")
        reviewer = svc.accounts.create_user("rita", "reviewer")
        uploader = svc.accounts.create_user("lin", "uploader", email="lin@example.org")
        svc.accounts.accept_terms(uploader, platform.settings.terms_version, "203.0.113.9")
        ids = (holder.id, reviewer.id, uploader.id)
    public_ids = []
    clock.advance(timedelta(days=-n))
    for i in range(n):
        with platform.unit() as svc:
            work = save(photo(300 + i), tmp_path / f"w{i}.png", "PNG")
            reg = svc.registry.register(svc.accounts.get(ids[0]), work, title=f"Poster {i}")
            svc.registry.review(reg.work.id, "approve", svc.accounts.get(ids[1]))
        with platform.unit() as svc:
            copy = save(photo(400 + i), tmp_path / f"u{i}.jpg")
            content, _res = svc.screening.upload(svc.accounts.get(ids[2]), copy, ip="203.0.113.9")
            public_ids.append(content.public_id)
        with platform.unit() as svc:
            svc.notices.file(
                svc.accounts.get(ids[0]), dict(CN_NOTICE), urls=[f"/c/{content.public_id}"]
            )
        clock.advance(timedelta(days=1))
    return public_ids


def _admin(live: LiveServer) -> None:
    with live.platform.unit() as svc:
        svc.accounts.create_user("boss", "admin", password=PASSWORD)


def _charts_drawn(page: Any) -> int:
    return int(
        page.evaluate(
            "Array.from(document.querySelectorAll('figure.chart img'))"
            ".filter(i => i.complete && i.naturalWidth > 0).length"
        )
    )


def test_the_admin_reads_the_compliance_dashboard(
    context: Any, live: LiveServer, shot: Any, tmp_path: Path
) -> None:
    _notices_acted_on(live, tmp_path)
    _admin(live)
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    sign_in(page, "boss")
    page.wait_for_url("**/admin")
    page.get_by_role("link", name="合规看板").first.click()
    page.wait_for_url("**/admin/dashboard")
    assert page.locator("h1").inner_text() == "合规看板"
    figures = page.locator("dl.key-figures")
    assert "收到的通知" in figures.inner_text() and "24 小时内处理" in figures.inner_text()
    assert figures.locator("dd").first.inner_text() == "3"
    assert _charts_drawn(page) == 3  # the SVG charts render as images under the CSP
    assert not [e for e in errors if "Content Security Policy" in e]
    shot(page, "admin")
    # another period: a month long ago, with nothing in it
    page.fill("#f-from", "2024-01-01")
    page.fill("#f-to", "2024-01-31")
    page.get_by_role("button", name="查看该期间").click()
    page.wait_for_url("**/admin/dashboard?from=2024-01-01&to=2024-01-31")
    assert page.locator("dl.key-figures dd").first.inner_text() == "0"
    assert _charts_drawn(page) == 3


def test_the_admin_lists_an_infringing_site(context: Any, live: LiveServer) -> None:
    _admin(live)
    page = context.new_page()
    sign_in(page, "boss")
    page.wait_for_url("**/admin")
    page.locator("main").get_by_role("link", name="黑名单").first.click()
    page.wait_for_url("**/admin/blacklist")
    page.fill("#f-pattern", "pirate-films.example")
    page.fill("#f-reason", "NCAC 2026 list")
    page.get_by_role("button", name="列入黑名单").click()
    page.wait_for_url("**/admin/blacklist")
    assert "pirate-films.example 已列入黑名单" in page.get_by_role("status").inner_text()
    assert page.locator("table").get_by_text("pirate-films.example").is_visible()
    with live.platform.unit() as svc:
        assert svc.blacklists.check("https://pirate-films.example/movie").blocked


def test_the_authority_reads_reports_and_tree_heads_in_english(
    context: Any, live: LiveServer, shot: Any, tmp_path: Path
) -> None:
    _notices_acted_on(live, tmp_path, n=2)
    with live.platform.unit() as svc:
        svc.accounts.create_user("ncac", "authority", password=PASSWORD)
    page = context.new_page()
    page.goto("/")
    page.select_option("#lang-switch", "en")
    page.get_by_role("button", name="切换").click()
    sign_in(page, "ncac")
    page.wait_for_url("**/authority")
    assert page.locator("html").get_attribute("lang") == "en"
    page.locator("main").get_by_role("link", name="Transparency and compliance reports").click()
    page.wait_for_url("**/authority/reports")
    assert page.locator("h1").inner_text() == "Transparency and compliance reports"
    assert _charts_drawn(page) == 3
    with page.expect_download() as dl:
        page.get_by_role("link", name="PDF").click()
    assert dl.value.suggested_filename.startswith("transparency-cn-")
    shot(page, "authority-reports")
    page.get_by_role("link", name="Signed tree heads").first.click()
    page.wait_for_url("**/authority/ledger")
    with live.platform.unit() as svc:
        head = svc.ledger.head()
    assert head["root_hash"] in page.locator("table").inner_text()
    assert "safeharbor evidence verify" in page.locator("main").inner_text()
    # an investigation request about the uploader, followed on its page
    page.get_by_role("link", name="Investigation requests").first.click()
    page.wait_for_url("**/authority/requests")
    page.fill("#f-users", "lin")
    page.fill("#f-basis", "Reg 13: request of the copyright administration")
    page.fill("#f-reference", "NCAC-2026-42")
    page.get_by_role("button", name="File the request").click()
    page.wait_for_url("**/authority/requests/*")
    assert "NCAC-2026-42" in page.locator("dl.facts").inner_text()
    assert "pending" in page.locator("dl.facts").inner_text()
    page.get_by_role("link", name="Overview").click()
    page.wait_for_url("**/authority")
    assert "1 waiting for a decision" in page.locator("main").inner_text()
    shot(page, "authority")


def test_a_visitor_files_a_complaint_without_an_account(
    context: Any, live: LiveServer, shot: Any, tmp_path: Path
) -> None:
    with live.platform.unit() as svc:
        uploader = svc.accounts.create_user("lin", "uploader")
        svc.accounts.accept_terms(uploader, live.platform.settings.terms_version, None)
        content, _res = svc.screening.upload(uploader, save(photo(500), tmp_path / "c.jpg"))
        public_id = content.public_id
    page = context.new_page()
    page.goto("/")
    page.locator("main").get_by_role("link", name="提交版权投诉").click()
    page.wait_for_url("**/complaints")
    assert "24 小时" in page.locator("main").inner_text()
    page.fill("#f-location", f"{live.url}/c/{public_id}")
    page.fill("#f-notifier_email", "legal@films.example")
    page.fill("#f-notifier_name", "华影法务部")
    page.fill("#f-notifier_contact", "010-1234 5678")
    page.fill("#f-notifier_address", "北京市朝阳区影视路 1 号")
    page.fill("#f-work", "海报 2026")
    page.fill("#f-evidence", "作品登记证书 2026-F-1")
    page.fill("#f-signature", "华影法务部")
    shot(page, "public")
    page.get_by_role("button", name="提交通知").click()
    assert "已收到" in page.locator("h1").inner_text()
    assert public_id in page.locator("main").inner_text()
    with live.platform.unit() as svc:
        assert svc.screening.get(public_id).state == "removed"
    # the content is gone for everyone
    assert page.request.get(f"/c/{public_id}").status == 451
