"""Blacklists of infringing sites and apps, and link checks (LEGAL.md: CN search/link,
Reg 23 — a link provider that knows a site infringes and keeps linking to it is jointly
liable, so listed sites' links are disabled and outbound links checked)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from safeharbor import cli_common
from safeharbor.audit.models import Record
from safeharbor.blacklists.matcher import Matcher, pattern_key
from safeharbor.blacklists.models import BlacklistEntry
from safeharbor.blacklists.service import MARKER
from safeharbor.blacklists.urls import extract_links, normalise_url
from safeharbor.cli import app as cli_app
from safeharbor.errors import Forbidden, InvalidInput
from safeharbor.platform import Platform
from tests.conftest import auth


def admin(platform: Platform, people):  # noqa: ANN001, ANN201
    with platform.unit() as svc:
        return svc.accounts.get(people["admin"].id)


def listed(platform: Platform, people, pattern: str, kind: str | None = None) -> int:  # noqa: ANN001
    with platform.unit() as svc:
        user = svc.accounts.get(people["admin"].id)
        return svc.blacklists.add(user, pattern, reason="pirate film site", kind=kind).id


def actions(platform: Platform, action: str) -> list[dict]:
    with platform.unit() as svc:
        rows = svc.session.scalars(select(Record).where(Record.action == action))
        return [json.loads(r.document) for r in rows]


# -- normalisation: each trick a case (pure) -----------------------------------------------


@pytest.mark.parametrize(
    ("raw", "host"),
    [
        ("HTTP://EVIL.Example/", "evil.example"),  # case
        ("http://evil.example./x", "evil.example"),  # trailing dot
        ("http://evil.example:80/", "evil.example"),  # default port
        ("https://evil.example:443/", "evil.example"),
        ("http://good.example@evil.example/", "evil.example"),  # userinfo trick
        ("http://good.example:pw@evil.example/", "evil.example"),
        ("http://evil.example\\@good.example/", "evil.example"),  # backslash = slash
        ("http://%65vil.example/", "evil.example"),  # percent-encoded host
        ("http://bücher.example/", "xn--bcher-kva.example"),  # IDNA
        ("http://xn--bcher-kva.example/", "xn--bcher-kva.example"),
        ("http://evil\u3002example/", "evil.example"),  # ideographic full stop
        ("hxxp://evil[.]example/", "evil.example"),  # obfuscation
        ("evil.example/films", "evil.example"),  # no scheme
        ("//evil.example/x", "evil.example"),  # protocol-relative
        ("http://0x7f.1/", "127.0.0.1"),  # IP written in hex
        ("http://2130706433/", "127.0.0.1"),  # IP as one number
    ],
)
def test_normalisation_tricks_all_reach_the_same_host(raw, host):
    assert normalise_url(raw).host == host


def test_paths_normalise_encoding_dots_and_backslashes():
    a = normalise_url("http://evil.example/films/%7Enew/../latest")
    b = normalise_url("https://EVIL.example/films\\latest")
    assert a.key == b.key == "evil.example/films/latest"
    assert (
        normalise_url("http://x.example/%E7%94%B5%E5%BD%B1").key
        == normalise_url("http://x.example/电影").key
    )


def test_extraction_from_text_and_html():
    text = (
        'see evil.example/foo, or <a href="https://bad.example/x?a=1&amp;b=2">here</a>. '
        "请看pirate.example的电影 hxxp://obf[.]example/z (www.paren.example) me@mail.example"
    )
    raws = [f.raw for f in extract_links(text)]
    assert "evil.example/foo" in raws  # trailing comma dropped
    assert "https://bad.example/x?a=1&amp;b=2" in raws
    assert "pirate.example" in raws  # no space around it in Chinese text
    assert "hxxp://obf.example/z" in raws
    assert "www.paren.example" in raws
    assert not any("mail.example" in r for r in raws)  # an e-mail address is not a link


# -- matching --------------------------------------------------------------------------------


def test_domain_matches_subdomains_not_look_alikes():
    m = Matcher()
    m.add(1, "domain", pattern_key("domain", "example.com"))
    assert m.match(normalise_url("http://example.com/")) is not None
    assert m.match(normalise_url("http://www.example.com/a")) is not None
    assert m.match(normalise_url("http://a.b.example.com.:8080/")) is not None
    assert m.match(normalise_url("http://badexample.com/")) is None
    assert m.match(normalise_url("http://example.com.evil.net/")) is None
    assert m.match(normalise_url("http://example.co/")) is None


def test_url_prefixes_globs_and_app_ids():
    m = Matcher()
    m.add(1, "url", pattern_key("url", "share.example/films"))
    m.add(2, "url", pattern_key("url", "cdn.example/*/leak-*.mp4"))
    m.add(3, "app", pattern_key("app", "com.Pirate.Player"))
    assert m.match(normalise_url("https://share.example/films/123")) is not None
    assert m.match(normalise_url("https://share.example/films?page=2")) is not None
    assert m.match(normalise_url("https://share.example/filmsandmore")) is None
    assert m.match(normalise_url("https://share.example/music")) is None
    assert m.match(normalise_url("http://cdn.example/a/b/leak-01.mp4")) is not None
    assert m.match(normalise_url("http://cdn.example/a/trailer.mp4")) is None
    hit = m.match(normalise_url("https://play.google.com/store/apps/details?id=com.pirate.player"))
    assert hit is not None and hit.entry_id == 3
    assert m.match_app("COM.PIRATE.PLAYER") is not None


def test_a_100k_list_answers_by_suffix_lookup():
    """100,000 domains and 2,000 URL patterns: every listed site's subdomains are found,
    look-alikes are not (speed is measured in bench/blacklist_bench.py)."""
    m = Matcher()
    for i in range(100_000):
        m.add(i, "domain", f"site{i}.example")
    for i in range(2_000):
        m.add(200_000 + i, "url", f"host{i % 50}.example/path{i}")
    urls = [normalise_url(f"http://www.sub{i}.site{i * 7}.example/x") for i in range(1000)]
    hits = [m.match(u) for u in urls]
    assert [h.entry_id if h else None for h in hits] == [
        i * 7 if i * 7 < 100_000 else None for i in range(1000)
    ]
    assert m.match(normalise_url("http://xsite7.example/")) is None
    assert m.match(normalise_url("http://host3.example/path53/film")) is not None


# -- service ------------------------------------------------------------------------------


def test_add_check_remove_and_records(platform, people):
    entry_id = listed(platform, people, "pirate.example")
    with platform.unit() as svc:
        res = svc.blacklists.check("https://WWW.pirate.example./film?id=1")
        assert res.blocked and res.entry is not None and res.entry.id == entry_id
        assert not svc.blacklists.check("https://notpirate.example/").blocked
        with pytest.raises(Forbidden):
            svc.blacklists.add(svc.accounts.get(people["uploader"].id), "x.example", reason="r")
        svc.blacklists.remove(svc.accounts.get(people["admin"].id), entry_id)
    with platform.unit() as svc:
        assert not svc.blacklists.check("https://pirate.example/").blocked
    assert [a["subject"]["id"] for a in actions(platform, "blacklist.add")] == [str(entry_id)]
    assert len(actions(platform, "blacklist.remove")) == 1


def test_disable_links_in_plain_text_and_html(platform, people):
    listed(platform, people, "pirate.example")
    with platform.unit() as svc:
        text, hits = svc.blacklists.disable_links(
            "Watch it at https://pirate.example/film, or good.example/x."
        )
        assert text == f"Watch it at {MARKER}, or good.example/x."
        assert len(hits) == 1 and hits[0].entry.reason == "pirate film site"
        page, hits = svc.blacklists.disable_links(
            '<p><a href="http://good.example@pirate.example/f">film</a> '
            "<iframe src='//cdn.pirate.example/embed'></iframe> "
            '<a href="https://good.example/">ok</a> pirate.example/x</p>'
        )
    assert "pirate.example" not in page
    assert 'data-blocked-href=""' in page and 'data-blocked-src=""' in page
    assert 'href="https://good.example/"' in page  # other links untouched
    assert len(hits) == 3


def test_upload_text_and_profile_hooks(platform, people):
    listed(platform, people, "pirate.example")
    listed(platform, people, "com.pirate.player", kind="app")
    with platform.unit() as svc:
        found = svc.blacklists.screen_upload(
            title="Film (full) pirate.example", filename="film.mp4", text="get com.pirate.player"
        )
        assert [f["field"] for f in found] == ["title", "text"]
        profile = svc.blacklists.check_profile(
            {"homepage": "https://www.pirate.example/me", "bio": "I make films"}
        )
        assert set(profile) == {"homepage"}


def test_import_with_malformed_lines_is_refused_whole_and_recorded(platform, people, tmp_path):
    listed(platform, people, "already.example")
    bad = tmp_path / "ncac.csv"
    bad.write_text(
        "pattern,kind,reason,listed_at\n"
        "good-one.example,domain,pirate site,2026-07-01\n"
        "bad..example,domain,x,\n"
        "com.ok.app,app,pirate app,\n"
        "http://:99999/,url,x,\n"
        "fine.example,website,x,\n"
        "fine2.example,domain,x,not-a-date\n"
        "too,many,fields,here,now\n",
        encoding="utf-8",
    )
    with platform.unit() as svc, pytest.raises(InvalidInput) as exc:
        svc.blacklists.import_file(bad, "ncac-2026-07", svc.accounts.get(people["admin"].id))
    msg = exc.value.message
    for line in (3, 5, 6, 7, 8):
        assert f"line {line}:" in msg
    assert "line 2:" not in msg and "line 4:" not in msg and "nothing stored" in msg
    with platform.unit() as svc:
        assert svc.session.scalar(select(func.count(BlacklistEntry.id))) == 1
    (refusal,) = actions(platform, "blacklist.import_refused")
    assert len(refusal["payload"]["errors"]) == 5 and refusal["payload"]["source"] == "ncac-2026-07"


def test_import_csv_and_json(platform, people, tmp_path):
    listed(platform, people, "already.example")
    csv_file = tmp_path / "list.csv"
    csv_file.write_text(
        "\ufeffpattern,kind,reason,listed_at\n"
        "already.example,,dup,\n"
        "films.example/leaks,,pirate page,2026-07-01\n"
        "com.pirate.app,app,pirate app,\n",
        encoding="utf-8",
    )
    json_file = tmp_path / "list.json"
    json_file.write_text(json.dumps({"entries": ["other.example", {"pattern": "x.example"}]}))
    with platform.unit() as svc:
        a = svc.blacklists.import_file(
            csv_file, "ncac-2026-07", svc.accounts.get(people["admin"].id)
        )
        b = svc.blacklists.import_file(
            json_file, "ncac-2026-08", svc.accounts.get(people["admin"].id)
        )
        assert (a.added, a.already_listed, b.added) == (2, 1, 2)
        page = svc.blacklists.check("https://films.example/leaks/1")
        assert page.entry is not None and page.entry.source == "ncac-2026-07"
        assert page.entry.listed_at.year == 2026 and page.entry.listed_at.month == 7
        assert svc.blacklists.check("com.pirate.app").blocked
    assert len(actions(platform, "blacklist.import")) == 2


# -- API ------------------------------------------------------------------------------------


def test_link_service_api_any_caller_and_records_only_blocks(platform, people, client):
    headers = auth(platform, "root")
    r = client.post(
        "/api/blacklist",
        json={"pattern": "pirate.example", "reason": "pirate film site"},
        headers=headers,
    )
    assert r.status_code == 201
    assert (
        client.post(
            "/api/blacklist",
            json={"pattern": "x.example", "reason": "r"},
            headers=auth(platform, "alice"),
        ).status_code
        == 403
    )
    blocked = client.get("/api/links/check", params={"url": "http://a@m.pirate.example/x"})
    assert blocked.status_code == 200
    assert blocked.json()["action"] == "block" and blocked.json()["reason"] == "pirate film site"
    allowed = client.get("/api/links/check", params={"url": "https://ok.example/"})
    assert allowed.json()["action"] == "allow" and allowed.json()["entry"] is None
    assert client.get("/api/links/check", params={"url": "http://"}).status_code == 422
    assert len(actions(platform, "link.blocked")) == 1  # allowed checks are not recorded
    listing = client.get("/api/blacklist", headers=headers).json()
    assert [e["key"] for e in listing] == ["pirate.example"]
    bad = client.post(
        "/api/blacklist/import",
        files={"file": ("l.csv", b"pattern\nok.example\nbad..example\n")},
        data={"source": "ncac"},
        headers=headers,
    )
    assert bad.status_code == 422 and "line 3" in bad.json()["detail"]
    assert len(actions(platform, "blacklist.import_refused")) == 1


# -- CLI ------------------------------------------------------------------------------------


@pytest.fixture
def cli(platform: Platform, monkeypatch: pytest.MonkeyPatch):  # noqa: ANN201
    monkeypatch.setitem(cli_common._state, "platform", platform)
    with platform.unit() as svc:
        cli_common.ensure_operator(svc)
    runner = CliRunner()

    def run(*args: str, ok: bool = True):  # noqa: ANN202
        res = runner.invoke(cli_app, list(args))
        if ok:
            assert res.exit_code == 0, res.output
        return res

    return run


def test_cli_add_check_list_import_remove(cli, tmp_path: Path):
    added = json.loads(
        cli("blacklist", "add", "pirate.example", "--reason", "pirate site", "--json").stdout
    )
    assert added["kind"] == "domain"
    res = json.loads(cli("blacklist", "check", "http://www.pirate.example/x", "--json").stdout)
    assert res["blocked"] is True and res["entry"]["id"] == added["id"]
    ok = json.loads(cli("blacklist", "check", "http://fine.example/", "--json").stdout)
    assert ok == {"url": "http://fine.example/", "blocked": False, "entry": None}
    good = tmp_path / "g.json"
    good.write_text(json.dumps([{"pattern": "com.pirate.app", "kind": "app", "reason": "app"}]))
    cli("blacklist", "import", str(good), "--source", "ncac")
    bad = tmp_path / "b.csv"
    bad.write_text("pattern,kind\nbad..example,domain\n")
    refused = cli("blacklist", "import", str(bad), "--source", "ncac", ok=False)
    assert refused.exit_code == 1 and "line 2" in refused.output
    keys = [json.loads(x)["key"] for x in cli("blacklist", "list", "--json").stdout.splitlines()]
    assert keys == ["pirate.example", "com.pirate.app"]
    cli("blacklist", "remove", str(added["id"]))
    res = json.loads(cli("blacklist", "check", "http://pirate.example/", "--json").stdout)
    assert res["blocked"] is False


def test_an_upload_linking_to_a_blacklisted_site_waits_for_review(platform, people, tmp_path):
    """The upload path: links in a text or HTML upload (even inside an attribute) and in
    its title are matched against the blacklist by pattern (nothing fetched); an upload
    that would have been published goes to a reviewer, the links named."""
    from tests.test_screening import upload

    listed(platform, people, "pirate.example")
    page = tmp_path / "links.html"
    page.write_text(
        "<html><body><p>Watch the new film free</p>"
        '<a href="https://WWW.Pirate.Example:443/watch?v=1">here</a></body></html>',
        encoding="utf-8",
    )
    content, res = upload(platform, people["uploader"].id, page)
    assert res.verdict.decision == "review", res.verdict.reason
    assert "blacklist" in res.verdict.reason and "pirate.example" in res.verdict.reason
    assert content.media_info["blacklisted_links"][0]["field"] == "text"
    clean = tmp_path / "clean.html"
    clean.write_text('<p>see <a href="https://example.org/">this</a></p>', encoding="utf-8")
    _, res = upload(platform, people["uploader"].id, clean)
    assert res.verdict.decision == "allow"


def test_a_refused_upload_is_recorded(platform, people, tmp_path):
    from tests.conftest import photo, save

    with platform.unit() as svc:
        svc.accounts.set_status(
            svc.accounts.get(people["uploader"].id), "suspended", svc.accounts.get("root")
        )
    with platform.unit() as svc, pytest.raises(Forbidden):
        svc.screening.upload(
            svc.accounts.get(people["uploader"].id),
            save(photo(3), tmp_path / "p.jpg"),
            ip="198.51.100.9",
        )
    [refused] = actions(platform, "upload.refused")
    assert refused["actor"] == {"id": people["uploader"].id, "ip": "198.51.100.9"}


def test_profile_links_to_blacklisted_sites_are_disabled(platform, people, client):
    """Profile fields are public: a link in them to a blacklisted site is disabled when
    the profile is saved, and the change is recorded."""
    listed(platform, people, "pirate.example")
    r = client.put(
        "/api/users/me/profile",
        json={"homepage": "https://films.pirate.example/alice", "bio": "see example.org"},
        headers=auth(platform, "alice"),
    )
    assert r.status_code == 200, r.text
    body = r.json()
    assert "pirate.example" not in body["profile"]["homepage"]
    assert MARKER in body["profile"]["homepage"]
    assert body["profile"]["bio"] == "see example.org"
    assert set(body["blocked_links"]) == {"homepage"}
    seen = client.get("/api/users/alice", headers=auth(platform, "bob")).json()
    assert seen["profile"] == body["profile"]
    [rec] = actions(platform, "profile.update")
    assert "homepage" in rec["payload"]["blacklisted_links"]
