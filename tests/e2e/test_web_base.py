"""The portals' shared parts in a real browser: a new person signs up, is signed in, reads
the pages in Chinese or English, and dates come in their own time zone."""

from __future__ import annotations

from typing import Any

from tests.e2e.conftest import LiveServer, check_accessible, sign_in, sign_up


def test_a_new_uploader_signs_up_switches_language_and_signs_out(
    context: Any, live: LiveServer
) -> None:
    page = context.new_page()
    page.goto("/")
    assert page.locator("html").get_attribute("lang") == "zh-CN"  # Chinese by default
    assert "版权保护" in page.title()
    sign_up(page, "lin", "uploader")
    page.wait_for_url("**/uploader")
    page.goto("/account")
    assert page.locator("header .who").inner_text().startswith("lin")
    # the browser told the service its zone (Asia/Shanghai here) through the script
    cookies = {c["name"]: c for c in context.cookies()}
    assert cookies["sh_tz"]["value"] == "Asia%2FShanghai"
    session = cookies["sh_session"]
    assert session["httpOnly"] and session["sameSite"] == "Lax"
    # the language switch works with the keyboard alone: choose, then the button (a choice
    # alone does not move the page, WCAG 3.2.2)
    page.select_option("#lang-switch", "en")
    page.focus("#lang-switch + button")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.locator("html").get_attribute("lang") == "en"
    assert page.get_by_role("button", name="Sign out").is_visible()
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url(live.url + "/")
    assert page.get_by_role("status").inner_text() == "You are signed out."


def test_sign_in_with_a_wrong_password_says_so_and_the_skip_link_is_first(
    context: Any, live: LiveServer
) -> None:
    with live.platform.unit() as svc:
        svc.accounts.create_user("wang", "uploader", password="a long passphrase 1")
    page = context.new_page()
    page.goto("/login")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.className") == "skip"
    sign_in(page, "wang", "not the password")
    assert "账户名或密码错误" in page.get_by_role("alert").inner_text()
    sign_in(page, "wang")
    page.wait_for_url("**/uploader")


def test_the_shared_pages_pass_the_wcag_aa_rules(context: Any, live: LiveServer) -> None:
    page = context.new_page()
    for path in ("/", "/login", "/signup"):
        page.goto(path)
        check_accessible(page)
    sign_up(page, "zhao", "holder")
    page.goto("/account")
    check_accessible(page)
    page.goto("/language?lang=en&next=/account")
    check_accessible(page)
