"""Transparency and compliance reports (LEGAL.md, "Transparency report (EU DSA 15 and
24)"; Clocks C3, the 24-hour commitment; Records, 512(i) strikes and their enforcement):
the figures of a period built end to end through the notice path, and the report as HTML,
PDF, CSV and JSON, in Chinese and English, through the service, the API and the CLI."""

from __future__ import annotations

import ast
import csv
import io
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pypdfium2 as pdfium
import pytest
from PIL import ImageOps
from sqlalchemy import select
from typer.testing import CliRunner

from safeharbor import cli_common, i18n
from safeharbor.audit import service as audit
from safeharbor.audit.models import Record
from safeharbor.clock import FrozenClock
from safeharbor.notices import locating
from safeharbor.platform import Platform
from safeharbor.registry.models import Work
from safeharbor.reports.figures import durations, nearest_rank
from safeharbor.reports.service import period_bound
from tests.conftest import auth, photo, save
from tests.test_notices import CN_COUNTER, CN_NOTICE
from tests.test_screening import approved_work, overlaid, upload

SHANGHAI = "Asia/Shanghai"
#: Jan 2-4 2026 as whole days in UTC, and in Shanghai (8 hours earlier in UTC)
UTC_PERIOD = (datetime(2026, 1, 2, tzinfo=UTC), datetime(2026, 1, 5, tzinfo=UTC))
SH_PERIOD = (
    period_bound("2026-01-02", SHANGHAI, end=False),
    period_bound("2026-01-04", SHANGHAI, end=True),
)


def at(day: int, hour: int) -> datetime:
    return datetime(2026, 1, day, hour, tzinfo=UTC)


@dataclass
class Period:
    """What the scenario did, to check the figures against."""

    upload_decisions_sh: dict[str, int]
    upload_decisions_utc: dict[str, int]


def file_notice(platform: Platform, sender_id: int, **kw) -> dict:  # noqa: ANN003
    with platform.unit() as svc:
        return svc.notices.file(svc.accounts.get(sender_id), dict(CN_NOTICE), **kw).view()


def tally(decisions: list[str]) -> dict[str, int]:
    out: dict[str, int] = {}
    for d in decisions:
        out[d] = out.get(d, 0) + 1
    return dict(sorted(out.items()))


def build_period(platform: Platform, people, tmp_path: Path) -> Period:  # noqa: ANN001
    """A few days of a platform's life, on both sides of the period's bounds.

    UTC times; the Shanghai period (Jan 2-4 there) is Jan 1 16:00 - Jan 4 16:00 UTC.
    """
    clock = platform.clock
    assert isinstance(clock, FrozenClock)
    holder, alice, bob = people["holder"].id, people["uploader"].id, people["uploader2"].id
    rita = people["reviewer"].id

    # Jan 1 10:00, before either period: a work, an upload and a notice acted on at once.
    clock.set(at(1, 10))
    work_file = save(photo(90), tmp_path / "w.png", "PNG")
    work_id = approved_work(platform, people, work_file)
    approved_work(platform, people, save(photo(97), tmp_path / "w2.png", "PNG"))  # for h1, h2
    u0, _ = upload(platform, alice, save(photo(91), tmp_path / "u0.jpg"))
    file_notice(platform, holder, urls=[u0.public_id])

    # Jan 1 17:00: in the Shanghai period only (Jan 2 01:00 there). Uploads, and notice N1.
    clock.set(at(1, 17))
    sh_decisions = []
    contents = {}
    for name, seed in (("u1", 92), ("u2", 93), ("u3", 94)):
        contents[name], res = upload(platform, alice, save(photo(seed), tmp_path / f"{name}.jpg"))
        sh_decisions.append(res.verdict.decision.value)
    # copies of the work for the fingerprint notice: one exact (the same file), two altered
    close = work_file
    weak1 = save(overlaid(photo(90).crop((30, 20, 610, 460))), tmp_path / "c1.jpg", quality=35)
    weak2 = save(
        overlaid(ImageOps.mirror(photo(90)).crop((10, 40, 600, 470))),
        tmp_path / "c2.jpg",
        quality=30,
    )
    for name, path in (("e", close), ("c1", weak1), ("c2", weak2)):
        contents[name], res = upload(platform, bob, path)
        sh_decisions.append(res.verdict.decision.value)
    # two copies of the other work, held for proof, that a reviewer decides later
    for name, size in (("h1", (500, 375)), ("h2", (420, 315))):
        path = save(photo(97).resize(size), tmp_path / f"{name}.jpg")
        contents[name], res = upload(platform, bob, path)
        sh_decisions.append(res.verdict.decision.value)
    n1 = file_notice(platform, holder, urls=[f"https://video.example/c/{contents['u1'].public_id}"])
    assert n1["located"] == [contents["u1"].public_id]

    # Jan 2 09:00: notice N2 names the work: the exact copy is located and acted on at once,
    # the altered ones go to a reviewer (the match threshold is set between their scores).
    clock.set(at(2, 9))
    with platform.unit() as svc:
        t = platform.settings.thresholds
        saved = t.review
        t.review = 0.05
        work = svc.session.get(Work, work_id)
        assert work is not None
        scores = {
            f.content.public_id: f.certainty
            for f in locating.by_fingerprint(svc, work)
            if f.content
        }
        t.review = saved
    ids = {k: contents[k].public_id for k in ("e", "c1", "c2")}
    weak_top = max(scores[ids["c1"]], scores[ids["c2"]])
    assert scores[ids["e"]] > weak_top, scores
    t.match = (weak_top + scores[ids["e"]]) / 2
    t.review = min(scores[ids["c1"]], scores[ids["c2"]]) - 0.01
    n2 = file_notice(platform, holder, work_id=work_id)
    assert n2["located"] == [ids["e"]] and sorted(n2["candidates"]) == sorted(
        [ids["c1"], ids["c2"]]
    )
    n3 = file_notice(platform, holder, urls=[contents["u2"].public_id])
    assert n3["located"] == [contents["u2"].public_id]
    partial = {k: v for k, v in CN_NOTICE.items() if k != "evidence"}
    with platform.unit() as svc:
        n4 = svc.notices.file(
            svc.accounts.get(holder), partial, urls=[contents["u3"].public_id]
        ).view()
    assert n4["status"] == "incomplete"

    # A reviewer takes down the weak copies 5 and 30 hours after the notice became valid.
    with platform.unit() as svc:
        items = {i.content_id: i.id for i in svc.notices.get(n2["notice_id"]).items}
    for name, hours in (("c1", 5), ("c2", 30)):
        clock.set(at(2, 9) + timedelta(hours=hours))
        with platform.unit() as svc:
            svc.notices.review_item(items[contents[name].id], "take_down", svc.accounts.get(rita))

    # Jan 3 15:00: alice counter-notifies on N1; a reviewer upholds it 2 hours later (a
    # reversal); N3 is found unfounded (its content comes back).
    clock.set(at(3, 15))
    with platform.unit() as svc:
        svc.notices.counter(n1["notice_id"], svc.accounts.get(alice), CN_COUNTER)
    clock.set(at(3, 17))
    with platform.unit() as svc:
        reviewer = svc.accounts.get(rita)
        svc.notices.decide_complaint(n1["notice_id"], True, reviewer, "her own photograph")
        svc.notices.mark_unfounded(n3["notice_id"], "the uploader's own photo", reviewer)
    # Jan 3 18:00: a reviewer releases one held copy and blocks the other.
    clock.set(at(3, 18))
    with platform.unit() as svc:
        svc.screening.review(contents["h1"].public_id, "allow", svc.accounts.get(rita), "licensed")
        svc.screening.review(contents["h2"].public_id, "block", svc.accounts.get(rita))
    # Steps of other domains this scenario does not drive, as they record them (the same
    # action names, subjects and payloads). Strikes and levels come from the takedowns.
    with platform.unit() as svc:
        for action, subject, payload in (
            ("disclosure.request", ("disclosure", 1), {"kind": "authority"}),
            ("disclosure.request", ("disclosure", 2), {"kind": "holder"}),
            ("blacklist.add", ("site", "pirate.example"), {}),
        ):
            audit.append(
                svc.session,
                at=clock.now(),
                action=action,
                subject_type=subject[0],
                subject_id=subject[1],
                actor_id=rita,
                payload=payload,
            )
    clock.set(at(3, 22))
    with platform.unit() as svc:
        audit.append(
            svc.session,
            at=clock.now(),
            action="disclosure.grant",
            subject_type="disclosure",
            subject_id=1,
            actor_id=rita,
        )

    # Jan 4 20:00: in the UTC period only: two more uploads and a notice on both.
    clock.set(at(4, 20))
    t.match, t.review = 0.9, 0.5
    utc_decisions, late = [], []
    for seed in (98, 99):
        c, res = upload(platform, alice, save(photo(seed), tmp_path / f"late{seed}.jpg"))
        late.append(c.public_id)
        utc_decisions.append(res.verdict.decision.value)
    n5 = file_notice(platform, people["holder2"].id, urls=late, channel="web")
    assert sorted(n5["located"]) == sorted(late)
    # Jan 5 01:00: after both periods.
    clock.set(at(5, 1))
    file_notice(platform, holder, urls=[contents["u3"].public_id])
    return Period(tally(sh_decisions), tally(utc_decisions))


@pytest.fixture
def period(platform: Platform, people, tmp_path: Path) -> Period:  # noqa: ANN001
    return build_period(platform, people, tmp_path)


def ledger_count(platform: Platform, action: str, bounds: tuple[datetime, datetime]) -> int:
    """Records of ``action`` in ``[start, end)``, counted independently of the report."""
    with platform.unit() as svc:
        return sum(
            1
            for rec in svc.session.scalars(select(Record).where(Record.action == action))
            if bounds[0] <= rec.at < bounds[1]
        )


def build(platform: Platform, bounds: tuple[datetime, datetime], **kw):  # noqa: ANN003, ANN201
    with platform.unit() as svc:
        return svc.reports.build(*bounds, **kw)


def metric(report, key: str):  # noqa: ANN001, ANN201
    return next(m for s in report.sections for m in s.metrics if m.key == key)


# -- figures -------------------------------------------------------------------------------


def test_statistics_definitions():
    """Median: middle value (mean of the two middles); p95: nearest rank."""
    d = durations([4.0, 1.0, 3.0, 2.0, 30.0])
    assert (d.median_hours, d.p95_hours, d.within_24h, d.share_within_24h) == (3.0, 30.0, 4, 0.8)
    assert durations([1.0, 2.0, 3.0, 4.0]).median_hours == 2.5
    assert nearest_rank(list(range(1, 101)), 0.95) == 95
    empty = durations([])
    assert empty.median_hours is None and empty.share_within_24h is None


def test_figures_of_a_utc_period(platform, period):
    """LEGAL.md C3 (24 h): items acted on at 0, 0, 0, 0, 5 and 30 hours."""
    f = build(platform, UTC_PERIOD, profile="cn").figures
    n = f.notices
    # N2, N3, N4 (incomplete) and N5; N0 and N1 fall before, the last one after
    assert (n.received, n.valid, n.incomplete) == (4, 3, 1)
    assert n.by_channel == {"api": 3, "web": 1}
    assert n.by_sender_kind == {"holder": 4}
    assert n.by_type == {"image": 3, "unspecified": 1}  # N4 located nothing yet
    assert n.items_acted == 6  # E, u2 and N5's two at once; C1 and C2 after review
    assert (n.acted_automatically, n.acted_after_review) == (4, 2)
    tta = n.time_to_act
    assert tta.hours == [0.0, 0.0, 0.0, 0.0, 5.0, 30.0]
    assert (tta.median_hours, tta.p95_hours, tta.within_24h) == (0.0, 30.0, 5)
    assert tta.share_within_24h == pytest.approx(5 / 6)
    assert n.items_by_location == {"fingerprint": 3, "id": 3}
    assert n.unfounded == 1
    c = f.counters
    assert (c.filed, c.decided, c.reversals) == (1, 1, 1)
    assert c.by_outcome == {"upheld": 1}
    assert c.time_to_decide.median_hours == 2.0
    assert c.restorations == 2 and c.restorations_by_reason == {
        "counter_notice": 1,
        "unfounded_notice": 1,
    }
    s = f.screening
    assert s.uploads == 2 and s.upload_decisions == period.upload_decisions_utc
    assert (s.reviewed, s.review_released, s.review_blocked, s.overturn_rate) == (2, 1, 1, 0.5)
    # strikes and level changes follow the takedowns (enforcement's rules): counted as the
    # ledger holds them for the period, and not outside it
    e = f.enforcement
    assert e.strikes_added == ledger_count(platform, "strike.add", UTC_PERIOD) > 0
    assert e.strikes_added < ledger_count(platform, "strike.add", (at(1, 0), at(6, 0)))
    removed = ledger_count(platform, "strike.remove", UTC_PERIOD)
    assert sum(e.strikes_removed.values()) == removed
    assert sum(e.level_changes.values()) == ledger_count(platform, "account.level", UTC_PERIOD)
    assert f.disclosure.requests_by_kind == {"authority": 1, "holder": 1}
    assert f.disclosure.granted == 1 and f.disclosure.time_to_answer.median_hours == 4.0
    assert f.lists.blacklist_added == 1
    # decisions: the screen and the measures taken with the notice are automated
    by = f.decisions.by_action
    assert by["notice.measure"] == (4, 2)
    assert by["screening.decision"] == (2, 0)
    assert by["content.review.allow"] == (0, 1) and by["content.review.block"] == (0, 1)
    assert f.monthly_active_recipients is None and n.trusted_flaggers is None
    # per day in UTC: Jan 2 (N2, N3, N4), Jan 3 (none), Jan 4 (N5)
    assert n.per_bucket.bucket == "day"
    assert [c for _, c in n.per_bucket.points] == [3, 0, 1]


def test_figures_of_the_same_days_in_shanghai(platform, period):
    """The same dates read in Asia/Shanghai: Jan 1 17:00 UTC is inside, Jan 4 20:00 UTC is
    not (records outside the period are not counted)."""
    f = build(platform, SH_PERIOD, profile="cn", tz=SHANGHAI).figures
    assert f.start == at(1, 16) and f.end == at(4, 16)
    n = f.notices
    assert (n.received, n.valid, n.incomplete) == (4, 3, 1)  # N1-N4
    assert n.by_channel == {"api": 4}
    assert n.time_to_act.hours == [0.0, 0.0, 0.0, 5.0, 30.0]  # u1, E, u2, C1, C2
    assert n.time_to_act.share_within_24h == 0.8
    assert f.screening.uploads == 8 and f.screening.upload_decisions == period.upload_decisions_sh
    assert [c for _, c in n.per_bucket.points] == [4, 0, 0]  # all on Jan 2 there


# -- rendering -----------------------------------------------------------------------------


def test_html_in_both_languages_with_charts(platform, period):
    zh = build(platform, UTC_PERIOD, profile="cn")
    assert zh.lang == "zh_CN"  # the CN profile's language
    with platform.unit() as svc:
        page = svc.reports.render(zh, "html").decode()
        en_page = svc.reports.render(
            build(platform, UTC_PERIOD, profile="cn", lang="en"), "html"
        ).decode()
    assert page.startswith("<!DOCTYPE html>") and '<html lang="zh-CN">' in page
    assert "<h1>透明度与合规报告</h1>" in page and "收到的通知" in page
    assert "中国：《信息网络传播权保护条例》" in page  # the profile's title, translated
    assert page.count("<svg") == 3 and 'role="img"' in page and "<figcaption>" in page
    assert "<caption>" in page and "<script" not in page
    # the charts' words stay text in the SVG (the browser's fonts render the Chinese)
    assert "每日收到的通知" in page.split("<svg", 1)[1]
    assert '<html lang="en">' in en_page and "Transparency and compliance report" in en_page
    assert "透明度" not in en_page
    row = en_page.split('id="acting.share_within_24h"', 1)[1].split("</tr>", 1)[0]
    assert "83.3%" in row
    assert "no trusted flaggers designated" in en_page  # said, not printed as 0


def test_pdf_text_is_extractable_chinese(platform, period):
    report = build(platform, UTC_PERIOD, profile="cn")
    with platform.unit() as svc:
        pdf = svc.reports.render(report, "pdf")
    assert pdf.startswith(b"%PDF")
    doc = pdfium.PdfDocument(pdf)
    text = "".join(doc[i].get_textpage().get_text_range() for i in range(len(doc)))
    assert "透明度与合规报告" in text
    assert "24小时内处理的比例" in text and "83.3%" in text
    assert "已处理的内容项 6" in text.replace("\r\n", " ").replace("\n", " ")


def test_csv_matches_the_figures(platform, period):
    report = build(platform, UTC_PERIOD, profile="cn", lang="en")
    with platform.unit() as svc:
        body = svc.reports.render(report, "csv").decode("utf-8-sig")
    rows = {r["key"]: r for r in csv.DictReader(io.StringIO(body))}
    assert rows["notices.received"]["value"] == "4"
    assert rows["acting.items_acted"]["value"] == "6"
    assert rows["acting.time_to_act.p95"]["value"] == "30.0"
    assert float(rows["acting.share_within_24h"]["value"]) == pytest.approx(5 / 6, abs=1e-6)
    assert rows["complaints.reversals"]["value"] == "1"
    # no source: an empty value and the reason, never 0
    assert rows["notices.trusted_flaggers"]["value"] == ""
    assert "trusted flaggers" in rows["notices.trusted_flaggers"]["note"]


def test_eu_report_covers_the_dsa_fields(platform, period):
    """LEGAL.md "Transparency report (EU DSA 15 and 24)": every field is answered or said
    to have no source."""
    report = build(platform, UTC_PERIOD, profile="eu")
    assert report.lang == "en" and report.sections[0].key == "dsa"
    dsa = {m.key: m for m in report.sections[0].metrics}
    cites = " ".join(m.cite or "" for m in dsa.values())
    for article in (
        "15(1)(a)",
        "15(1)(b)",
        "15(1)(c)",
        "15(1)(d)",
        "15(1)(e)",
        "24(1)(b)",
        "24(2)",
    ):
        assert article in cites
    assert dsa["dsa.authority_orders"].value is None and dsa["dsa.authority_orders"].note
    assert dsa["dsa.trusted_flaggers"].value is None
    assert dsa["dsa.recipients"].value is None and "not record" in (
        dsa["dsa.recipients"].note or ""
    )
    assert dsa["dsa.authority_requests.authority"].value == 1
    assert dsa["dsa.notices_automated"].value == 4
    assert dsa["dsa.time_to_act.median"].value == 0.0
    assert dsa["dsa.complaints"].value == 1 and dsa["dsa.reversals"].value == 1
    assert dsa["dsa.tool_accuracy"].value == 0.5 and dsa["dsa.tool_safeguards"].value
    e = report.figures.enforcement
    assert dsa["dsa.misuse_suspensions"].value == e.suspensions + e.terminations
    # the CN report has no DSA section
    assert all(s.key != "dsa" for s in build(platform, UTC_PERIOD, profile="cn").sections)


# -- translations --------------------------------------------------------------------------


def report_msgids() -> set[str]:
    """Every string the report code marks for translation (``N_("...")`` or ``_("...")``)."""
    found = set()
    for path in (Path(i18n.__file__).parent / "reports").glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Name)
                and node.func.id in ("N_", "_")
                and node.args
                and isinstance(node.args[0], ast.Constant)
                and isinstance(node.args[0].value, str)
            ):
                found.add(node.args[0].value)
    return found


def test_every_report_string_has_a_chinese_translation():
    ids = report_msgids()
    assert len(ids) > 100
    catalogue = i18n.read_catalogue("zh_CN")
    missing = [m for m in ids if not (catalogue.get(m) and catalogue.get(m).string)]
    assert missing == []
    _ = i18n.gettext_for("zh_CN")
    assert _("Transparency and compliance report") == "透明度与合规报告"
    assert i18n.gettext_for("en")("Transparency and compliance report") == (
        "Transparency and compliance report"
    )
    assert i18n.gettext_for("zh-CN")("Notices") == "通知"


def test_formatting_follows_language_and_zone():
    moment = datetime(2026, 1, 1, 20, 30, tzinfo=UTC)
    assert "2026年1月2日" in i18n.format_datetime(moment, "zh_CN", SHANGHAI)  # next day there
    assert "Jan 1, 2026" in i18n.format_datetime(moment, "en", "UTC")
    assert i18n.format_number(12345.678, "en") == "12,345.68"
    assert i18n.format_share(0.8333, "zh_CN") == "83.3%"


# -- API and CLI ---------------------------------------------------------------------------


def test_api_permissions_and_formats(platform, people, client):
    q = "/api/reports/transparency?from=2026-01-01&to=2026-01-31"
    assert client.get(q, headers=auth(platform, "alice")).status_code == 403
    assert client.get(q, headers=auth(platform, "studio")).status_code == 403
    assert client.get(q).status_code == 401
    ncac = auth(platform, "ncac")
    page = client.get(q + "&lang=zh_CN", headers=ncac)
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert "透明度与合规报告" in page.text
    pdf = client.get(q + "&format=pdf", headers=auth(platform, "rita"))
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    assert "attachment" in pdf.headers["content-disposition"]
    js = client.get(
        q + "&format=json&profile=eu&tz=Asia/Shanghai", headers=auth(platform, "root")
    ).json()
    assert js["profile"] == "eu" and js["start"] == "2025-12-31T16:00:00+00:00"
    assert js["sections"][0]["key"] == "dsa"
    bad = client.get(q.replace("2026-01-31", "2025-12-01"), headers=ncac)
    assert bad.status_code == 422
    assert client.get(q + "&lang=fr", headers=ncac).status_code == 422


def test_cli_writes_the_report(tmp_path):
    home = tmp_path / "home"
    opened = Platform.open(home, FrozenClock(at(2, 12)))
    with opened.unit() as svc:
        user = svc.accounts.create_user("studio", "holder")
        svc.accounts.accept_terms(user, opened.settings.terms_version, "203.0.113.7")
    opened.close()
    runner = CliRunner()
    from safeharbor.cli import app

    cli_common._state.clear()
    try:
        out = tmp_path / "out" / "report.pdf"
        res = runner.invoke(
            app,
            [
                "--home",
                str(home),
                "report",
                "--from",
                "2026-01-01",
                "--to",
                "2026-01-31",
                "--format",
                "pdf",
                "--out",
                str(out),
            ],
        )
        assert res.exit_code == 0, res.output
        assert out.read_bytes().startswith(b"%PDF") and "written to" in res.output
        csv_out = tmp_path / "r.csv"
        res = runner.invoke(
            app,
            [
                "--home",
                str(home),
                "report",
                "--from",
                "2026-01-01",
                "--to",
                "2026-01-31",
                "--format",
                "csv",
                "--profile",
                "eu",
                "--out",
                str(csv_out),
            ],
        )
        assert res.exit_code == 0, res.output
        keys = [r["key"] for r in csv.DictReader(io.StringIO(csv_out.read_text("utf-8-sig")))]
        assert "dsa.recipients" in keys
        res = runner.invoke(
            app,
            [
                "--home",
                str(home),
                "report",
                "--from",
                "2026-02-01",
                "--to",
                "2026-01-01",
                "--out",
                str(tmp_path / "x.html"),
            ],
        )
        assert res.exit_code == 1 and "must end after it starts" in res.output
    finally:
        platform = cli_common._state.pop("platform", None)
        if platform is not None:
            platform.close()
        cli_common._state.clear()


def test_a_period_of_whole_days_reads_with_its_last_day_included():
    from datetime import UTC, datetime

    from safeharbor.i18n import format_period

    start, end = datetime(2026, 1, 1, tzinfo=UTC), datetime(2027, 1, 1, tzinfo=UTC)
    assert format_period(start, end, "en") == "January 1, 2026 – December 31, 2026 (UTC)"
    assert format_period(start, end, "zh_CN") == "2026年1月1日 – 2026年12月31日 (UTC)"
    # not whole days in the viewer's zone: the times themselves
    assert "8:00:00" in format_period(start, end, "en", "Asia/Shanghai")
