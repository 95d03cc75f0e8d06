"""Driving the portals without a browser (TestClient): sign in, read a page's CSRF token,
post a form. The browser journeys are in ``tests/e2e``."""

from __future__ import annotations

import re
from typing import Any

from fastapi.testclient import TestClient

from safeharbor.app import create_app
from safeharbor.platform import Platform

PASSWORD = "a long passphrase 1"
_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def browser_client(platform: Platform) -> TestClient:
    # https, so the Secure session cookie is sent back as a browser would
    return TestClient(create_app(platform), base_url="https://testserver")


def csrf(client: TestClient, path: str) -> str:
    r = client.get(path)
    assert r.status_code == 200, (path, r.status_code, r.text[:500])
    m = _CSRF.search(r.text)
    assert m, f"no CSRF token on {path}"
    return m.group(1)


def post_form(
    client: TestClient,
    path: str,
    data: dict[str, Any],
    *,
    page: str | None = None,
    files: Any = None,
    follow: bool = False,
) -> Any:
    """Post ``data`` to ``path`` with the token of the page the form is on (``page``)."""
    token = csrf(client, page or path)
    return client.post(
        path, data={"csrf_token": token, **data}, files=files, follow_redirects=follow
    )


def signed_in(platform: Platform, name: str, role: str, **kw: Any) -> TestClient:
    """A client signed in as a new account ``name`` with ``role`` (made with a password)."""
    with platform.unit() as svc:
        svc.accounts.create_user(name, role, password=PASSWORD, **kw)
    client = browser_client(platform)
    r = post_form(client, "/login", {"name": name, "password": PASSWORD}, page="/login")
    assert r.status_code == 303, r.text[:500]
    return client
