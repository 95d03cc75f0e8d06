"""Every portal's main pages pass axe-core's WCAG 2.1 A and AA rules (labels, contrast,
names, landmarks, language), in Chinese and in English."""

from __future__ import annotations

from typing import Any

import pytest

from tests.e2e.conftest import LiveServer, check_accessible, sign_in

PAGES = {
    "holder": [
        "/holder",
        "/holder/works/new",
        "/holder/notices/new",
        "/holder/notices/bulk",
        "/holder/cases",
        "/holder/disclosures",
    ],
    "uploader": ["/uploader", "/uploader/upload", "/uploader/notices", "/uploader/strikes"],
    "reviewer": ["/review", "/review/works", "/review/held", "/review/unlocated"],
    "admin": [
        "/admin",
        "/admin/dashboard",
        "/admin/settings",
        "/admin/priority",
        "/admin/blacklist",
        "/admin/partners",
        "/admin/users",
    ],
    "authority": ["/authority", "/authority/reports", "/authority/requests", "/authority/ledger"],
}


@pytest.mark.parametrize("lang", ["zh_CN", "en"])
def test_the_portals_main_pages_pass_wcag_aa(context: Any, live: LiveServer, lang: str) -> None:
    with live.platform.unit() as svc:
        for role in PAGES:
            svc.accounts.create_user(
                f"{role}-a11y", role, password="a long passphrase 1", email=f"{role}@example.org"
            )
    page = context.new_page()
    for path in ("/complaints", "/contact"):
        page.goto(f"/language?lang={lang}&next={path}")
        check_accessible(page)
    for role, paths in PAGES.items():
        context.clear_cookies()
        page.goto(f"/language?lang={lang}&next=/login")
        sign_in(page, f"{role}-a11y")
        page.wait_for_load_state()
        for path in paths:
            response = page.goto(path)
            assert response is not None and response.status == 200, path
            check_accessible(page)
