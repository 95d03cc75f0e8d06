"""The rights holder's portal in a real browser, as a new rights holder walks it: signing
up, registering a film with its proof, filing a notice against an upload and following the
case (in Chinese, the default); licences and a CSV of notices (in English)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.conftest import photo, save
from tests.e2e.conftest import LiveServer, sign_up
from tests.test_notices import CN_COUNTER
from tests.test_signal_video import render, scene, write


def _uploader(live: LiveServer, name: str = "pirate") -> None:
    with live.platform.unit() as svc:
        u = svc.accounts.create_user(name, "uploader", email=f"{name}@example.com")
        svc.accounts.accept_terms(u, live.platform.settings.terms_version, "203.0.113.9")


def _upload(live: LiveServer, path: Path, name: str = "pirate") -> str:
    with live.platform.unit() as svc:
        content, _ = svc.screening.upload(
            svc.accounts.get(name), path, title="Spring Film 2026 full", ip="198.51.100.8"
        )
        assert content.state == "available"
        return content.public_id


def _approve(live: LiveServer, title: str) -> None:
    """The copyright team approves the work (their portal's step, done here directly)."""
    with live.platform.unit() as svc:
        reviewer = svc.accounts.get_or_create("reviewer-li", "reviewer")
        work = next(w for w in svc.registry.list_works(reviewer) if w.title == title)
        svc.registry.review(work.id, "approve", reviewer, "certificate checked")


def test_a_rights_holder_registers_a_film_and_files_a_notice(
    context: Any, live: LiveServer, shot: Any, tmp_path: Path
) -> None:
    # a short film (a camera panning over a picture), and a copy uploaded by someone else
    # before the film was registered (so the upload screen let it through)
    film = write(tmp_path / "spring-film.mp4", render(scene(5), 6.0))
    _uploader(live)
    public_id = _upload(live, film)
    proof = tmp_path / "copyright-certificate.pdf"
    proof.write_bytes(b"%PDF-1.4 certificate of copyright registration")

    page = context.new_page()
    sign_up(page, "huaxia-films", "holder")
    page.wait_for_url("**/holder")
    assert page.locator("html").get_attribute("lang") == "zh-CN"

    # register the film with its proof
    page.click("main nav a[href='/holder/works/new']")
    page.set_input_files("#f-file", str(film))
    page.fill("#f-title", "春天的电影")
    page.select_option("#f-work_type", "film")
    page.set_input_files("#f-proofs", str(proof))
    page.fill("#f-certificate_number", "国作登字-2026-I-00012345")
    page.fill("#f-statement", "本公司为该影片的著作权人。")
    page.click("main form button[type=submit]")
    page.wait_for_url("**/holder/works/*")
    assert page.locator(".status-pending").count() == 1
    assert "copyright-certificate.pdf" in page.inner_text("main")

    _approve(live, "春天的电影")
    page.reload()
    assert page.locator(".status-approved").count() == 1

    # file a notice against the upload, from the work's page
    page.click("main a[href^='/holder/notices/new?work_id=']")
    page.fill("#f-urls", f"{live.url}/c/{public_id}")
    page.fill("#f-notifier_address", "北京市朝阳区电影路 1 号")
    page.fill("#f-evidence", "著作权登记证书 国作登字-2026-I-00012345")
    page.click("main form[action='/holder/notices'] button[type=submit]")
    page.wait_for_url("**/holder/cases/*")
    main = page.inner_text("main")
    assert public_id in main
    assert page.locator("td .status-removed").count() == 1  # the content is taken down
    assert page.locator("table time").count() >= 1  # the 24-hour clock, with its deadline
    assert "(Asia/Shanghai)" in main

    # the uploader answers with a counter-notice: the restoration clock runs
    case_url = page.url
    notice_id = int(case_url.rsplit("/", 1)[1])
    with live.platform.unit() as svc:
        svc.notices.counter(notice_id, svc.accounts.get("pirate"), CN_COUNTER)
    page.reload()
    assert "剩余" in page.inner_text("main table")  # time left on the restoration clock
    shot(page, "holder-case")

    # the dashboard: the work, and the open case with its clock counting down
    page.click("main nav a[href='/holder']")
    page.wait_for_url("**/holder")
    assert "春天的电影" in page.inner_text("main")
    assert "剩余" in page.locator(f"main tr:has(a[href='/holder/cases/{notice_id}'])").inner_text()
    shot(page, "holder")

    # the holder has sued (Civil Code 1196): they say so, and the content stays down
    page.click(f"main a[href='/holder/cases/{notice_id}']")
    page.wait_for_url(case_url)
    page.fill("#f-text", "已向北京互联网法院起诉,案号 (2026) 京0491民初 1234 号")
    page.click("main form[action$='/holder-action'] button[type=submit]")
    page.wait_for_url(case_url)
    assert page.locator("dd .status-closed").count() == 1
    with live.platform.unit() as svc:
        assert svc.screening.get(public_id).state == "removed"


def test_a_rights_holder_licenses_a_work_and_files_a_csv_of_notices_in_english(
    context: Any, live: LiveServer, shot: Any, tmp_path: Path
) -> None:
    _uploader(live, "fan")
    _uploader(live)
    picture = save(photo(11), tmp_path / "poster.jpg")
    copy_id = _upload(live, save(photo(12), tmp_path / "copy.jpg"))

    page = context.new_page()
    sign_up(page, "poster-studio", "holder")
    page.wait_for_url("**/holder")
    page.select_option("#lang-switch", "en")
    page.click("#lang-switch + button")
    page.wait_for_load_state()
    assert page.locator("html").get_attribute("lang") == "en"

    page.get_by_role("link", name="Register a work").first.click()
    page.set_input_files("#f-file", str(picture))
    page.fill("#f-title", "Poster 2026")
    page.fill("#f-statement", "We commissioned and own this poster.")
    page.get_by_role("button", name="Register the work").click()
    page.wait_for_url("**/holder/works/*")
    _approve(live, "Poster 2026")

    # grant a licence to a named uploader for a period, then revoke it
    page.reload()
    page.fill("#f-licensee", "fan")
    page.fill("#f-ends_at", "2030-12-31")
    page.fill("#f-terms", "Non-commercial fan art")
    page.get_by_role("button", name="Grant the licence").click()
    page.wait_for_url("**/holder/works/*")
    row = page.locator("#licences + p + table tbody tr").first
    assert "fan" in row.inner_text() and "in force" in row.inner_text()
    row.get_by_role("button", name="Revoke").click()
    page.wait_for_url("**/holder/works/*")
    assert "revoked" in page.locator("#licences + p + table tbody tr").first.inner_text()

    # a CSV of notices: one row names an upload, one a work that is not a number
    csv = tmp_path / "notices.csv"
    csv.write_text(
        f"url,title,work_id,evidence\n{live.url}/c/{copy_id},,,certificate 7\n,Other,abc,\n",
        encoding="utf-8",
    )
    page.get_by_role("link", name="File notices from a CSV file").first.click()
    page.set_input_files("#f-csv_file", str(csv))
    page.fill("#f-notifier_address", "1 Poster Street")
    page.fill("#f-work", "Poster 2026")
    page.fill("#f-evidence", "commission contract")
    page.get_by_role("button", name="File the notices").click()
    page.wait_for_url("**/holder/cases?batch=*")
    main = page.inner_text("main")
    assert "2 rows read: 1 notices filed, 1 rows refused." in main
    assert "Line 3" in main
    assert page.locator("td .status-acted").count() == 1
    shot(page, "holder-bulk")
    with live.platform.unit() as svc:
        assert svc.screening.get(copy_id).state == "removed"
