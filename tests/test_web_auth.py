"""The portals' sessions and sign-in: cookies, CSRF, argon2, rate limits, redirects, and
the pages' security headers, through the service as a browser uses it."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import func, select

from safeharbor.accounts.models import User
from safeharbor.app import create_app
from safeharbor.audit.models import Record
from safeharbor.clock import FrozenClock
from safeharbor.notices.scheduler import tick
from safeharbor.platform import Platform
from safeharbor.web.models import LoginFailure, WebSession
from tests.web_helpers import PASSWORD, browser_client, csrf, post_form, signed_in


def _make(platform: Platform, name: str, role: str = "uploader", **kw: object) -> None:
    with platform.unit() as svc:
        svc.accounts.create_user(name, role, password=PASSWORD, **kw)  # type: ignore[arg-type]


def _login(client: TestClient, name: str, password: str = PASSWORD) -> int:
    return post_form(client, "/login", {"name": name, "password": password}).status_code


def test_sign_up_stores_an_argon2_hash_and_a_new_session_replaces_the_visitors(
    platform: Platform,
) -> None:
    client = browser_client(platform)
    token = csrf(client, "/signup")
    anonymous = client.cookies["sh_session"]
    r = client.post(
        "/signup",
        data={
            "csrf_token": token,
            "role": "holder",
            "name": "studio",
            "email": "legal@studio.example",
            "password": "correct horse battery",
        },
        follow_redirects=False,
    )
    assert r.status_code == 303 and r.headers["location"] == "/holder"
    cookie = r.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie and "Secure" in cookie
    assert client.cookies["sh_session"] != anonymous  # no session fixation
    with platform.unit() as svc:
        user = svc.accounts.get("studio")
        assert user.password_hash and user.password_hash.startswith("$argon2id$")
        assert user.registration_ip  # the person's own address at sign-up (personal data)
        # the token itself is never stored, only its hash
        tokens = svc.session.scalars(select(WebSession.token_hash)).all()
        assert client.cookies["sh_session"] not in tokens
    assert client.get("/account").status_code == 200
    # the visitor's old cookie signs in nobody
    other = browser_client(platform)
    other.cookies.set("sh_session", anonymous)
    assert other.get("/account", follow_redirects=False).status_code == 303


def test_sign_up_refuses_staff_roles_and_weak_passwords_and_keeps_what_was_typed(
    platform: Platform,
) -> None:
    client = browser_client(platform)
    base = {"name": "x1", "email": "x1@example.org", "password": "long enough pass"}
    r = post_form(client, "/signup", {**base, "role": "admin"})
    assert r.status_code == 422 and "x1@example.org" in r.text
    r = post_form(client, "/signup", {**base, "role": "uploader", "password": "short"})
    assert r.status_code == 422 and "10" in r.text
    with platform.unit() as svc:
        assert svc.session.scalar(select(func.count()).select_from(User)) == 0


def test_a_form_without_this_sessions_token_or_from_another_site_is_refused(
    platform: Platform,
) -> None:
    client = signed_in(platform, "lin", "uploader")
    r = client.post("/logout", data={"csrf_token": "forged"}, follow_redirects=False)
    assert r.status_code == 403
    assert client.get("/account").status_code == 200  # still signed in: nothing happened
    token = csrf(client, "/account")
    r = client.post(
        "/logout",
        data={"csrf_token": token},
        headers={"Origin": "https://evil.example"},
        follow_redirects=False,
    )
    assert r.status_code == 403
    assert client.get("/account").status_code == 200
    # another session's token is no good either
    other = signed_in(platform, "wang", "uploader")
    r = other.post("/logout", data={"csrf_token": token}, follow_redirects=False)
    assert r.status_code == 403


def test_failed_sign_ins_are_limited_per_account_even_with_the_right_password_then(
    platform: Platform, clock: FrozenClock
) -> None:
    _make(platform, "lin")
    client = browser_client(platform)
    for _ in range(5):
        assert _login(client, "lin", "a wrong password") == 401
    # the failures were kept although each request failed (its transaction rolled back)
    with platform.unit() as svc:
        assert svc.session.scalar(select(func.count()).select_from(LoginFailure)) == 5
    r = post_form(client, "/login", {"name": "lin", "password": PASSWORD})
    assert r.status_code == 429 and "15" in r.text
    with platform.unit() as svc:
        actions = svc.session.scalars(select(Record.action)).all()
        assert "signin.throttled" in actions
    clock.advance(timedelta(minutes=16))
    assert _login(client, "lin") == 303


def test_failed_sign_ins_are_limited_per_address_across_accounts(platform: Platform) -> None:
    platform.settings.signin_failures_per_address = 3
    _make(platform, "lin")
    client = browser_client(platform)
    for name in ("a1", "a2", "a3"):
        assert _login(client, name, "guess guess guess") == 401
    assert _login(client, "lin") == 429


def test_a_suspended_account_cannot_sign_in(platform: Platform) -> None:
    _make(platform, "lin")
    with platform.unit() as svc:
        root = svc.accounts.create_user("root", "admin")
        svc.accounts.set_status(svc.accounts.get("lin"), "suspended", root)
    client = browser_client(platform)
    r = post_form(client, "/login", {"name": "lin", "password": PASSWORD})
    assert r.status_code == 401 and "suspended" in r.text


def test_redirects_after_sign_in_and_language_stay_on_this_site(platform: Platform) -> None:
    _make(platform, "lin")
    client = browser_client(platform)
    r = post_form(
        client, "/login", {"name": "lin", "password": PASSWORD, "next": "//evil.example/x"}
    )
    assert r.headers["location"] == "/uploader"
    r = client.get("/language?lang=en&next=https://evil.example", follow_redirects=False)
    assert r.headers["location"] == "/"
    r = client.get("/language?lang=en&next=/account", follow_redirects=False)
    assert r.headers["location"] == "/account"


def test_a_session_ends_after_its_idle_time_and_the_scheduler_drops_it(
    platform: Platform, clock: FrozenClock
) -> None:
    client = signed_in(platform, "lin", "uploader")
    clock.advance(timedelta(hours=11))
    assert client.get("/account").status_code == 200  # reading a page extends it
    clock.advance(timedelta(hours=11))
    assert client.get("/account").status_code == 200
    clock.advance(timedelta(hours=13))
    r = client.get("/account", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/login?next=/account"
    clock.advance(timedelta(hours=13))
    tick(platform)
    with platform.unit() as svc:
        assert svc.session.scalar(select(func.count()).select_from(WebSession)) == 0


def test_changing_the_password_ends_the_other_sessions(platform: Platform) -> None:
    laptop = signed_in(platform, "lin", "uploader")
    phone = browser_client(platform)
    assert _login(phone, "lin") == 303
    r = post_form(
        laptop,
        "/account/password",
        {"current": PASSWORD, "password": "a brand new passphrase"},
        page="/account",
    )
    assert r.status_code == 303
    assert laptop.get("/account").status_code == 200
    assert phone.get("/account", follow_redirects=False).status_code == 303
    assert _login(browser_client(platform), "lin") == 401
    assert _login(browser_client(platform), "lin", "a brand new passphrase") == 303


def test_pages_carry_security_headers_and_the_cookie_is_secure_off_loopback(
    platform: Platform,
) -> None:
    page = browser_client(platform).get("/login")
    csp = page.headers["content-security-policy"]
    assert "frame-ancestors 'none'" in csp and "script-src 'self'" in csp
    assert page.headers["x-frame-options"] == "DENY"
    assert "content-security-policy" not in browser_client(platform).get("/healthz").headers
    # plain http to a loopback address (a local trial): no Secure flag, or no browser would
    # keep the cookie; any other host gets it
    local = TestClient(create_app(platform), base_url="http://127.0.0.1:8000")
    assert "Secure" not in local.get("/login").headers["set-cookie"]
    remote = TestClient(create_app(platform), base_url="http://platform.example")
    assert "Secure" in remote.get("/login").headers["set-cookie"]


def test_pages_are_in_chinese_by_default_and_follow_the_browser_or_the_choice(
    platform: Platform,
) -> None:
    client = browser_client(platform)
    assert '<html lang="zh-CN"' in client.get("/login").text
    assert "账户名" in client.get("/login").text
    english = client.get("/login", headers={"Accept-Language": "en-GB,en;q=0.9"})
    assert '<html lang="en"' in english.text and "Account name" in english.text
    client.get("/language?lang=en")
    assert '<html lang="en"' in client.get("/login").text


def test_cli_sets_a_password_to_sign_in_with(tmp_path: Path) -> None:
    home = tmp_path / "home"
    env = {**os.environ, "SAFEHARBOR_HOME": str(home), "SAFEHARBOR_PASSWORD": PASSWORD}

    def sh(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "safeharbor.cli", *args],
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )

    assert sh("init").returncode == 0
    # a fresh install can be used from the browser: the operator's first password
    first = home / "admin-password"
    assert first.stat().st_mode & 0o077 == 0  # readable by its owner only
    operator_password = first.read_text().strip()
    assert sh("users", "add", "root", "--role", "admin", "--password").returncode == 0
    env["SAFEHARBOR_PASSWORD"] = "short"
    bad = sh("users", "passwd", "root")
    assert bad.returncode == 1 and "10 characters" in bad.stderr
    from safeharbor.config import load_settings

    p = Platform(load_settings(home))
    try:
        assert _login(browser_client(p), "root") == 303
        assert _login(browser_client(p), "admin", operator_password) == 303
    finally:
        p.close()
