"""The admin console's pages through a browser session (TestClient): the settings file,
priority lists, blacklists, partners, users and the compliance dashboard, each with the
same permission checks as the API, CSRF on every form, and bad input refused with
nothing stored."""

from __future__ import annotations

import tomllib
from datetime import timedelta
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import select

from safeharbor.accounts.models import User
from safeharbor.audit.models import Record
from safeharbor.evidence import keys
from safeharbor.platform import Platform
from tests.conftest import photo, save
from tests.test_notices import CN_NOTICE
from tests.test_screening import approved_work, upload
from tests.web_helpers import PASSWORD, browser_client, csrf, post_form, signed_in

ADMIN_PAGES = [
    "/admin",
    "/admin/settings",
    "/admin/priority",
    "/admin/blacklist",
    "/admin/partners",
    "/admin/users",
]


def records(platform: Platform, action: str) -> list[Record]:
    with platform.unit() as svc:
        return list(svc.session.scalars(select(Record).where(Record.action == action)))


def settings_form(platform: Platform, **changes: str) -> dict[str, str]:
    s = platform.settings
    form = {
        "profile": s.profile,
        "match": str(s.thresholds.match),
        "priority": str(s.thresholds.priority),
        "review": str(s.thresholds.review),
    }
    for wt, p in s.policies.items():
        form[f"{wt}.on_match"] = p.on_match
        form[f"{wt}.on_exact"] = p.on_exact
    return {**form, **changes}


def test_only_admins_see_the_console(platform: Platform) -> None:
    anonymous = browser_client(platform)
    for path in ADMIN_PAGES:
        r = anonymous.get(path, follow_redirects=False)
        assert r.status_code == 303 and r.headers["location"].startswith("/login?next=")
    reviewer = signed_in(platform, "rita", "reviewer")
    holder = signed_in(platform, "studio", "holder")
    for path in ADMIN_PAGES:
        assert reviewer.get(path).status_code == 403, path
        assert holder.get(path).status_code == 403, path
    # the reports' permission, as the API: a reviewer may read the dashboard, a holder not
    assert reviewer.get("/admin/dashboard").status_code == 200
    assert holder.get("/admin/dashboard").status_code == 403
    admin = signed_in(platform, "boss", "admin")
    for path in [*ADMIN_PAGES, "/admin/dashboard"]:
        r = admin.get(path)
        assert r.status_code == 200, path
        assert r.text.count("<h1") == 1


def test_settings_are_written_applied_and_recorded(platform: Platform) -> None:
    home = platform.settings.home
    (home / "safeharbor.toml").write_text(
        'contact_name = "Copyright desk"\n\n[professional]\nmin_video_height = 1080\n'
    )
    admin = signed_in(platform, "boss", "admin")
    form = settings_form(platform, match="0.85", review="0.55", profile="us")
    form["image.on_match"] = "block"
    r = post_form(admin, "/admin/settings", form)
    assert r.status_code == 303
    written = tomllib.loads((home / "safeharbor.toml").read_text())
    # the edited keys replaced, everything else kept
    assert written["contact_name"] == "Copyright desk"
    assert written["professional"] == {"min_video_height": 1080}
    assert written["thresholds"] == {"match": 0.85, "priority": 0.65, "review": 0.55}
    assert written["policies"]["image"] == {"on_match": "block", "on_exact": "block"}
    assert written["profile"] == "us"
    # in force at once, without a restart
    s = platform.settings
    assert (s.thresholds.match, s.profile, s.policy_for("image").on_match) == (0.85, "us", "block")
    page = admin.get("/admin/settings").text
    assert "notifier_phone" in page  # the US profile's notice fields are shown
    (rec,) = records(platform, "settings.change")
    changed = rec.document
    assert '"profile"' in changed and '"to":"us"' in changed.replace(" ", "")


def test_bad_settings_are_refused_and_the_old_file_kept(platform: Platform) -> None:
    path = platform.settings.home / "safeharbor.toml"
    path.write_text('contact_name = "Copyright desk"\n')
    admin = signed_in(platform, "boss", "admin")
    admin.headers["accept-language"] = "en"
    for bad, message in [
        ({"priority": "0.9"}, "the priority threshold may not be above the match threshold"),
        ({"match": "high"}, "the match threshold must be a number between 0 and 1"),
        ({"review": "1.5"}, "the review threshold must be above 0 and at most 1"),
        ({"profile": "xx"}, "unknown profile"),
        ({"film.on_match": "delete"}, "film: unknown action"),
    ]:
        r = post_form(
            admin, "/admin/settings", settings_form(platform, **bad), page="/admin/settings"
        )
        assert r.status_code == 422 and message in r.text, (bad, r.text[:300])
        # what was typed is shown again
        assert next(iter(bad.values())) in r.text
    assert path.read_text() == 'contact_name = "Copyright desk"\n'
    assert platform.settings.thresholds.match == 0.80 and platform.settings.profile == "cn"
    assert records(platform, "settings.change") == []
    # without the token: refused, nothing written
    r = admin.post("/admin/settings", data=settings_form(platform, match="0.9"))
    assert r.status_code == 403
    assert path.read_text() == 'contact_name = "Copyright desk"\n'
    assert platform.settings.thresholds.match == 0.80


def test_priority_entries_are_added_and_removed(platform: Platform, people, tmp_path: Path) -> None:  # noqa: ANN001
    work_id = approved_work(platform, people, save(photo(40), tmp_path / "w.png", "PNG"))
    admin = signed_in(platform, "boss", "admin")
    admin.headers["accept-language"] = "en"
    page = admin.get("/admin/priority").text
    assert f'value="{work_id}"' in page  # the approved work is offered
    # a release window needs both dates: refused, nothing stored
    r = post_form(admin, "/admin/priority", {"work_id": str(work_id), "list": "release_window"})
    assert r.status_code == 422 and "a release window needs a start and an end date" in r.text
    r = post_form(
        admin,
        "/admin/priority",
        {
            "work_id": str(work_id),
            "list": "release_window",
            "starts_at": "2025-12-31T08:00",
            "ends_at": "2026-02-01T08:00",
            "source": "NCAC list 2026-1",
        },
    )
    assert r.status_code == 303
    with platform.unit() as svc:
        (entry,) = svc.registry.priority_entries()
        # typed in the viewer's zone (Asia/Shanghai): 08:00 there is midnight UTC
        assert entry.starts_at.hour == 0 and entry.source == "NCAC list 2026-1"
        assert svc.registry.priority_for(work_id, platform.clock.now()) is not None
    assert "NCAC list 2026-1" in admin.get("/admin/priority").text
    r = post_form(admin, f"/admin/priority/{entry.id}/remove", {}, page="/admin/priority")
    assert r.status_code == 303
    with platform.unit() as svc:
        assert svc.registry.priority_entries() == []
    assert [r.action for r in records(platform, "priority.remove")] == ["priority.remove"]


def test_blacklist_add_remove_and_import(platform: Platform) -> None:
    admin = signed_in(platform, "boss", "admin")
    admin.headers["accept-language"] = "en"
    r = post_form(admin, "/admin/blacklist", {"pattern": "pirate.example", "reason": "NCAC list"})
    assert r.status_code == 303
    assert "pirate.example" in admin.get("/admin/blacklist").text
    # no reason: refused with the service's message, nothing stored
    r = post_form(admin, "/admin/blacklist", {"pattern": "other.example", "reason": ""})
    assert r.status_code == 422 and "a blacklist entry needs a reason" in r.text
    assert 'value="other.example"' in r.text
    # a listed site again: the conflict is said
    r = post_form(admin, "/admin/blacklist", {"pattern": "pirate.example", "reason": "again"})
    assert r.status_code == 422 and "already blacklisted" in r.text
    good = b"pattern,kind,reason\nfilms.example,,ring\nhttps://x.example/watch/*,url,pages\n"
    r = post_form(
        admin,
        "/admin/blacklist/import",
        {"source": "ncac-2026-07"},
        page="/admin/blacklist",
        files={"file": ("list.csv", good, "text/csv")},
    )
    assert r.status_code == 303
    assert "2 added" in admin.get("/admin/blacklist").text
    bad = b"pattern,kind,reason\nok.example,,x\n,,no pattern\n"
    r = post_form(
        admin,
        "/admin/blacklist/import",
        {"source": "ncac-2026-08"},
        page="/admin/blacklist",
        files={"file": ("bad.csv", bad, "text/csv")},
    )
    assert r.status_code == 422 and "refused, nothing stored" in r.text
    with platform.unit() as svc:
        entries = svc.blacklists.entries()
        assert sorted(e.pattern for e in entries) == [
            "films.example",
            "https://x.example/watch/*",
            "pirate.example",
        ]
        pirate = next(e for e in entries if e.pattern == "pirate.example")
    filtered = admin.get("/admin/blacklist?source=ncac-2026-07").text
    table = filtered.split("<table")[1].split("</table>")[0]
    assert "films.example" in table and "pirate.example" not in table
    r = post_form(admin, f"/admin/blacklist/{pirate.id}/remove", {}, page="/admin/blacklist")
    assert r.status_code == 303
    with platform.unit() as svc:
        assert not svc.blacklists.check("https://pirate.example/x").blocked
    # a reviewer may not list sites (the API's rule): 403, even with a valid token
    reviewer = signed_in(platform, "rita", "reviewer")
    token = csrf(reviewer, "/account")
    r = reviewer.post("/admin/blacklist", data={"csrf_token": token, "pattern": "a.example"})
    assert r.status_code == 403


def test_partners_are_added_and_their_trust_changed(platform: Platform) -> None:
    admin = signed_in(platform, "boss", "admin")
    admin.headers["accept-language"] = "en"
    pem = keys.public_pem(Ed25519PrivateKey.generate())
    r = post_form(admin, "/admin/partners", {"name": "video-site", "public_key": "junk"})
    assert r.status_code == 422 and "Not added" in r.text
    r = post_form(
        admin, "/admin/partners", {"name": "video-site", "public_key": pem, "trust": "trusted"}
    )
    assert r.status_code == 303
    page = admin.get("/admin/partners").text
    assert "video-site" in page and "BEGIN PUBLIC KEY" in page  # our own key, to hand out
    r = post_form(
        admin,
        "/admin/partners/trust",
        {"name": "video-site", "trust": "ignore"},
        page="/admin/partners",
    )
    assert r.status_code == 303
    with platform.unit() as svc:
        assert svc.sharing.partner("video-site").trust == "ignore"


def test_users_are_made_listed_shown_and_suspended(platform: Platform, people) -> None:  # noqa: ANN001
    admin = signed_in(platform, "boss", "admin")
    admin.headers["accept-language"] = "en"
    listing = admin.get("/admin/users").text
    assert "alice" in listing and "alice@example.com" not in listing  # no personal data
    r = post_form(
        admin,
        "/admin/users",
        {"name": "inspector", "role": "authority", "email": "x@ncac.example", "password": "short"},
    )
    assert r.status_code == 422 and "at least 10 characters" in r.text
    with platform.unit() as svc:
        assert "inspector" not in [u.name for u in svc.session.scalars(select(User))]
    r = post_form(
        admin,
        "/admin/users",
        {"name": "inspector", "role": "authority", "email": "x@ncac.example", "password": PASSWORD},
    )
    assert r.status_code == 303
    # the new account signs in with that password
    other = browser_client(platform)
    r = post_form(other, "/login", {"name": "inspector", "password": PASSWORD}, page="/login")
    assert r.status_code == 303 and r.headers["location"] == "/authority"
    # an account's page shows its personal data, and that showing is recorded
    page = admin.get("/admin/users/alice").text
    assert "alice@example.com" in page and "203.0.113.7" in page
    (seen,) = records(platform, "personal_data.view")
    assert seen.subject_id == str(people["uploader"].id)
    r = post_form(
        admin, "/admin/users/alice/status", {"status": "suspended"}, page="/admin/users/alice"
    )
    assert r.status_code == 303
    with platform.unit() as svc:
        assert svc.accounts.get("alice").status == "suspended"
    r = post_form(
        admin, "/admin/users/alice/status", {"status": "terminated"}, page="/admin/users/alice"
    )
    assert r.status_code == 422
    with platform.unit() as svc:
        assert svc.accounts.get("alice").status == "suspended"


def test_the_dashboard_shows_the_period_s_figures_and_charts(
    platform: Platform, people, tmp_path: Path
) -> None:  # noqa: ANN001
    clock = platform.clock
    work = save(photo(41), tmp_path / "w.png", "PNG")
    approved_work(platform, people, work)
    content, _res = upload(platform, people["uploader2"].id, save(photo(42), tmp_path / "u.jpg"))
    with platform.unit() as svc:
        svc.notices.file(
            svc.accounts.get(people["holder"].id), dict(CN_NOTICE), urls=[f"/c/{content.public_id}"]
        )
    clock.advance(timedelta(days=1))  # type: ignore[attr-defined]
    admin = signed_in(platform, "boss", "admin")
    admin.headers["accept-language"] = "en"
    page = admin.get("/admin/dashboard").text
    assert page.count("data:image/svg+xml;base64,") == 3  # notices, time to act, decisions
    assert "Notices received" in page and "Acted on within 24 hours" in page
    assert "<dd>100.0%</dd>" in page  # the one item was acted on at once
    # another period: nothing in it
    r = admin.get("/admin/dashboard?from=2025-06-01&to=2025-06-30")
    assert (
        r.status_code == 200 and 'value="2025-06-01"' in r.text and "<dd>100.0%</dd>" not in r.text
    )
    r = admin.get("/admin/dashboard?from=2026-13-01&to=2026-01-02")
    assert r.status_code == 422 and "invalid date" in r.text
    csv_file = admin.get("/admin/dashboard/report.csv?from=2025-12-01&to=2026-01-02")
    assert csv_file.status_code == 200 and csv_file.headers["content-type"].startswith("text/csv")
    assert "attachment" in csv_file.headers["content-disposition"]
