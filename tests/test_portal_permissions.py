"""Every portal page asks the same permission table as the API: walked over every page
route without path parameters, a visitor who is not signed in is sent to sign in, and
each role sees only the portals meant for it."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.routing import APIRoute

from safeharbor.app import create_app
from safeharbor.platform import Platform
from tests.web_helpers import browser_client, signed_in

#: which roles each portal serves, from the permission table: holders upload too, and
#: admins hold every permission, so the holder and uploader pages open for them (as the
#: API's routes do); the authority portal is for authority accounts only
SERVES = {
    "/holder": {"holder", "admin"},
    "/uploader": {"holder", "uploader", "admin"},
    "/review": {"reviewer", "admin"},
    "/admin": {"admin"},
    "/authority": {"authority"},
}
ROLES = ("holder", "uploader", "reviewer", "admin", "authority")


def _routes(router: Any) -> list[APIRoute]:
    found: list[APIRoute] = []
    for r in router.routes:
        if isinstance(r, APIRoute):
            found.append(r)
        elif hasattr(r, "original_router"):
            found += _routes(r.original_router)
    return found


def portal_pages(platform: Platform) -> list[str]:
    paths = set()
    for r in _routes(create_app(platform).router):
        if "GET" in r.methods and "{" not in r.path and r.path.startswith(tuple(SERVES)):
            paths.add(r.path)
    return sorted(paths)


#: pages that follow a permission other than their portal's: the compliance dashboard is
#: Perm.VIEW_REPORTS, as GET /api/reports/transparency
PAGE_SERVES = {"/admin/dashboard": {"admin", "reviewer", "authority"}}


def _portal(path: str) -> str:
    return next(p for p in SERVES if path == p or path.startswith(p + "/"))


def _serves(path: str) -> set[str]:
    return PAGE_SERVES.get(path, SERVES[_portal(path)])


def test_every_portal_page_sends_a_visitor_to_sign_in(platform: Platform) -> None:
    pages = portal_pages(platform)
    assert {_portal(p) for p in pages} == set(SERVES), "a portal has no page"
    client = browser_client(platform)
    for path in pages:
        r = client.get(path, follow_redirects=False)
        assert r.status_code == 303 and r.headers["location"].startswith("/login?next="), path


@pytest.mark.parametrize("role", ROLES)
def test_each_role_sees_only_its_portals(platform: Platform, role: str) -> None:
    client = signed_in(platform, f"{role}1", role, email=f"{role}1@example.org")
    for path in portal_pages(platform):
        r = client.get(path, follow_redirects=False)
        if role in _serves(path):
            assert r.status_code == 200, (role, path, r.status_code, r.text[:300])
        else:
            assert r.status_code == 403, (role, path, r.status_code)
