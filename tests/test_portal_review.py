"""The review portal without a browser: the console and its queues in deadline order, each
item page's decisions (recorded as the services record them), the comparison, the media
route, and the same permission rules as the API."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from PIL import ImageOps
from sqlalchemy import select

from safeharbor.audit.models import Record
from safeharbor.platform import Platform
from tests.conftest import photo, save
from tests.test_compare import prose
from tests.test_notices import CN_NOTICE, EU_COUNTER, EU_NOTICE, file, stored_upload
from tests.test_screening import (
    approved_work,
    match_score,
    set_thresholds_around,
    upload,
    weak_copy,
)
from tests.web_helpers import browser_client, csrf, signed_in

# -- preparing cases through the services ----------------------------------------------------


def pending_work(platform: Platform, holder_id: int, path: Path, **kw: Any) -> int:
    with platform.unit() as svc:
        return svc.registry.register(svc.accounts.get(holder_id), path, **kw).work.id


def held_upload(
    platform: Platform, people: dict, tmp_path: Path, seed: int = 10
) -> tuple[int, str]:
    """An approved picture and a mirrored, smaller copy of it: held for a licence."""
    work_id = approved_work(platform, people, save(photo(seed), tmp_path / f"ref{seed}.jpg"))
    copy = ImageOps.mirror(photo(seed).resize((400, 300)))
    content, res = upload(
        platform, people["uploader"].id, save(copy, tmp_path / f"u{seed}.jpg", quality=45)
    )
    assert res.verdict.decision == "hold" and content.state == "held"
    return work_id, content.public_id


def uncertain_upload(
    platform: Platform, people: dict, tmp_path: Path, seed: int = 15
) -> tuple[int, str]:
    """A weak copy between the review and the match thresholds: a reviewer decides."""
    work_id = approved_work(platform, people, save(photo(seed), tmp_path / f"r{seed}.jpg"))
    query = weak_copy(seed, tmp_path / f"q{seed}.jpg")
    set_thresholds_around(platform, match_score(platform, query), review_above=False)
    content, res = upload(platform, people["uploader"].id, query)
    assert res.verdict.decision == "review"
    return work_id, content.public_id


def unlocated_notice(platform: Platform, people: dict, where: str = "1") -> int:
    res = file(
        platform, people["holder"].id, CN_NOTICE, urls=[f"https://elsewhere.example/{where}"]
    )
    assert res["state"] == "review"
    return int(res["notice_id"])


def eu_complaint(platform: Platform, people: dict, tmp_path: Path) -> tuple[int, str]:
    content = stored_upload(platform, people, tmp_path, seed=64)
    res = file(platform, people["holder"].id, EU_NOTICE, profile="eu", urls=[content.public_id])
    with platform.unit() as svc:
        svc.notices.counter(res["notice_id"], svc.accounts.get(people["uploader"].id), EU_COUNTER)
    return int(res["notice_id"]), content.public_id


def noticed(platform: Platform, people: dict, tmp_path: Path, seed: int) -> tuple[int, str]:
    """Bob's upload taken down on the studio's notice (a strike for Bob)."""
    content, _ = upload(
        platform, people["uploader2"].id, save(photo(seed), tmp_path / f"n{seed}.jpg")
    )
    assert content.state == "available"
    res = file(platform, people["holder"].id, CN_NOTICE, urls=[f"/c/{content.public_id}"])
    assert res["located"] == [content.public_id]
    return int(res["notice_id"]), content.public_id


def disclosure_request(platform: Platform, people: dict, tmp_path: Path) -> int:
    notice_id, _ = noticed(platform, people, tmp_path, 66)
    with platform.unit() as svc:
        req = svc.disclosure.request(svc.accounts.get("studio"), basis="", notice_id=notice_id)
        return req.id


def strike_appeal(platform: Platform, people: dict, tmp_path: Path) -> int:
    """A takedown on a notice is a strike; the uploader appeals it."""
    noticed(platform, people, tmp_path, 67)
    with platform.unit() as svc:
        bob = svc.accounts.get("bob")
        strike = svc.enforcement.active_strikes(bob)[-1]
        return svc.enforcement.appeal(strike.id, bob, "I took this photo myself").id


def work_status(platform: Platform, work_id: int) -> str:
    with platform.unit() as svc:
        return svc.registry.get(work_id).status


def content_state(platform: Platform, public_id: str) -> str:
    with platform.unit() as svc:
        return svc.screening.get(public_id).state


def rows(html: str) -> list[str]:
    body = html.split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    return re.findall(r"<tr[^>]*>.*?</tr>", body, re.S)


def post(client: Any, path: str, data: dict[str, str]) -> Any:
    """Post a review form with the session's CSRF token (read from the console)."""
    token = csrf(client, "/review")
    return client.post(path, data={"csrf_token": token, **data}, follow_redirects=False)


@pytest.fixture
def reviewer(platform: Platform, people: dict) -> Any:
    return signed_in(platform, "reva", "reviewer")


# -- who may look -------------------------------------------------------------------------------


def test_signed_out_visitors_are_sent_to_sign_in_and_other_roles_are_refused(
    platform, people, tmp_path
):
    work_id = pending_work(platform, people["holder"].id, save(photo(1), tmp_path / "w.jpg"))
    anon = browser_client(platform)
    for path in ("/review", "/review/works", f"/review/works/{work_id}"):
        r = anon.get(path, follow_redirects=False)
        assert r.status_code == 303 and r.headers["location"] == "/login?next=" + path
    r = anon.get(f"/review/media/works/{work_id}", follow_redirects=False)
    assert r.status_code == 303
    for name, role in (("hol", "holder"), ("upl", "uploader"), ("aut", "authority")):
        client = signed_in(platform, name, role)
        for path in (
            "/review",
            "/review/works",
            "/review/disclosures",
            f"/review/works/{work_id}",
            f"/review/media/works/{work_id}",
        ):
            r = client.get(path)
            assert r.status_code == 403, (role, path)
            assert "text/html" in r.headers["content-type"]
        # a holder cannot approve even its own work from here (the form is not theirs)
        token = csrf(client, "/account")
        r = client.post(
            f"/review/works/{work_id}/decision", data={"csrf_token": token, "action": "approve"}
        )
        assert r.status_code == 403
    assert work_status(platform, work_id) == "pending"


def test_a_post_without_the_csrf_token_is_refused_and_changes_nothing(
    platform, people, tmp_path, reviewer
):
    work_id = pending_work(platform, people["holder"].id, save(photo(2), tmp_path / "w.jpg"))
    r = reviewer.post(f"/review/works/{work_id}/decision", data={"action": "approve"})
    assert r.status_code == 403
    r = reviewer.post(
        f"/review/works/{work_id}/decision", data={"action": "approve", "csrf_token": "forged"}
    )
    assert r.status_code == 403
    assert work_status(platform, work_id) == "pending"


# -- the console and the queues -------------------------------------------------------------


def test_console_counts_every_queue_and_names_its_most_urgent_item(
    platform, people, tmp_path, reviewer
):
    pending_work(platform, people["holder"].id, save(photo(3), tmp_path / "w3.jpg"))
    same = save(photo(4), tmp_path / "w4.jpg")
    pending_work(platform, people["holder"].id, same)
    pending_work(platform, people["holder2"].id, same)  # the same picture: a conflict
    held_upload(platform, people, tmp_path)
    unlocated_notice(platform, people)
    eu_complaint(platform, people, tmp_path)
    disclosure_request(platform, people, tmp_path)
    strike_appeal(platform, people, tmp_path)
    r = reviewer.get("/review", headers={"accept-language": "en"})
    assert r.status_code == 200
    counts = dict(re.findall(r'data-queue="(\w+)">.*?<td class="count">(\d+)</td>', r.text, re.S))
    assert counts == {
        "works": "1",  # the two in conflict wait in the conflicts queue
        "conflicts": "1",
        "held": "1",
        "uncertain": "0",
        "unlocated": "1",
        "counters": "1",
        "disclosures": "1",
        "appeals": "1",
    }
    assert "Nothing waiting." in r.text or "暂无" in r.text
    # the legal clocks are shown: 24 h to act on the notice, 72 h for an EU complaint
    assert "24.0 h" in r.text and "72.0 h" in r.text
    # every queue page opens, with its rows linking to their items
    for key in counts:
        page = reviewer.get(f"/review/{key}")
        assert page.status_code == 200, key
    assert reviewer.get("/review/nonsense").status_code == 404


def test_a_queue_puts_overdue_items_first_with_their_clock(platform, people, tmp_path):
    first = unlocated_notice(platform, people, "old")
    platform.clock.advance(timedelta(hours=20))
    second = unlocated_notice(platform, people, "new")
    platform.clock.advance(timedelta(hours=5))  # the first is now past its 24 hours
    reviewer = signed_in(platform, "reva", "reviewer")
    r = reviewer.get("/review/unlocated", headers={"accept-language": "en"})
    listed = rows(r.text)
    assert [f"/review/notices/{first}" in listed[0], f"/review/notices/{second}" in listed[1]] == [
        True,
        True,
    ]
    assert 'class="overdue"' in listed[0] and "overdue by 1.0 h" in listed[0]
    assert "overdue" not in listed[1] and "19.0 h left" in listed[1]
    # the console names the overdue one as the most urgent
    console = reviewer.get("/review", headers={"accept-language": "en"}).text
    row = re.search(r'<tr class="overdue" data-queue="unlocated">.*?</tr>', console, re.S)
    assert row and f"/review/notices/{first}" in row.group(0)


def test_the_console_is_in_chinese_by_default(platform, people, tmp_path, reviewer):
    pending_work(platform, people["holder"].id, save(photo(5), tmp_path / "w.jpg"))
    r = reviewer.get("/review")
    assert (
        '<html lang="zh-CN"' in r.text
        and "审核工作台" in r.text
        and "权属证明" in r.text
        and "时限" in r.text
    )


# -- works and conflicts ----------------------------------------------------------------------


def test_reviewer_approves_rejects_and_asks_for_more_information(
    platform, people, tmp_path, reviewer
):
    a = pending_work(platform, people["holder"].id, save(photo(6), tmp_path / "a.jpg"))
    b = pending_work(platform, people["holder"].id, save(photo(7), tmp_path / "b.jpg"))
    c = pending_work(
        platform,
        people["holder"].id,
        save(photo(8), tmp_path / "c.jpg"),
        certificate_number="2026-F-0001",
    )
    page = reviewer.get(f"/review/works/{c}")
    assert "2026-F-0001" in page.text and f'src="/review/media/works/{c}"' in page.text
    # asking for information without saying what is refused, with the reason, nothing stored
    r = post(reviewer, f"/review/works/{c}/decision", {"action": "request_info"})
    assert r.status_code == 422 and "请在审核意见中说明需要补充哪些材料" in r.text
    assert work_status(platform, c) == "pending"
    r = post(reviewer, f"/review/works/{c}/decision", {"action": "frobnicate"})
    assert r.status_code == 422 and work_status(platform, c) == "pending"
    r = post(
        reviewer,
        f"/review/works/{c}/decision",
        {"action": "request_info", "note": "send the certificate itself"},
    )
    assert r.status_code == 303 and r.headers["location"] == "/review/works"
    assert post(reviewer, f"/review/works/{a}/decision", {"action": "approve"}).status_code == 303
    assert post(reviewer, f"/review/works/{b}/decision", {"action": "reject"}).status_code == 303
    assert [work_status(platform, w) for w in (a, b, c)] == ["approved", "rejected", "needs_info"]
    with platform.unit() as svc:
        assert svc.registry.get(c).review_note == "send the certificate itself"
        assert svc.registry.get(a).reviewed_by == svc.accounts.get("reva").id
    assert (
        "This queue is empty."
        in reviewer.get("/review/works", headers={"accept-language": "en"}).text
    )


def test_a_conflict_is_awarded_to_one_claim(platform, people, tmp_path, reviewer):
    same = save(photo(9), tmp_path / "same.jpg")
    mine = pending_work(platform, people["holder"].id, same)
    theirs = pending_work(platform, people["holder2"].id, same)
    with platform.unit() as svc:
        [conflict] = svc.registry.conflicts("open")
        cid = conflict.id
    page = reviewer.get(f"/review/conflicts/{cid}")
    assert f"approve:{mine}" in page.text and f"approve:{theirs}" in page.text
    r = post(reviewer, f"/review/conflicts/{cid}/decision", {"decision": "approve:999"})
    assert r.status_code == 422
    r = post(
        reviewer,
        f"/review/conflicts/{cid}/decision",
        {"decision": f"approve:{mine}", "note": "earlier certificate"},
    )
    assert r.status_code == 303
    assert (work_status(platform, mine), work_status(platform, theirs)) == ("approved", "rejected")
    with platform.unit() as svc:
        assert svc.registry.conflicts("open") == []


# -- uploads, the comparison, the media -------------------------------------------------------


def test_held_upload_compared_and_released(platform, people, tmp_path, reviewer):
    work_id, pid = held_upload(platform, people, tmp_path)
    page = reviewer.get(f"/review/uploads/{pid}")
    assert page.status_code == 200
    link = f"/review/uploads/{pid}/compare?work={work_id}"
    assert link in page.text
    cmp = reviewer.get(link, headers={"accept-language": "en"})
    assert cmp.status_code == 200
    # the two pictures side by side, their matched regions outlined, and overlaid
    assert f'src="/review/media/works/{work_id}"' in cmp.text
    assert f'src="/review/media/uploads/{pid}"' in cmp.text
    # (the copy was mirrored: the overlay turns it back so the two line up)
    assert 'class="over undo-flip_h"' in cmp.text and '<svg class="region"' in cmp.text
    media = reviewer.get(f"/review/media/uploads/{pid}")
    assert media.status_code == 200 and media.headers["content-type"] == "image/jpeg"
    assert media.headers["content-disposition"].startswith("inline")
    assert media.content[:3] == b"\xff\xd8\xff"
    r = post(
        reviewer, f"/review/uploads/{pid}/decision", {"action": "allow", "note": "licence seen"}
    )
    assert r.status_code == 303 and r.headers["location"] == "/review/held"
    assert content_state(platform, pid) == "available"


def test_uncertain_upload_block_confirmed(platform, people, tmp_path, reviewer):
    _, pid = uncertain_upload(platform, people, tmp_path)
    listed = reviewer.get("/review/uncertain").text
    assert f"/review/uploads/{pid}" in listed
    r = post(reviewer, f"/review/uploads/{pid}/decision", {"action": "maybe"})
    assert r.status_code == 422 and content_state(platform, pid) == "held"
    r = post(reviewer, f"/review/uploads/{pid}/decision", {"action": "block"})
    assert r.status_code == 303 and r.headers["location"] == "/review/uncertain"
    assert content_state(platform, pid) == "blocked"
    with platform.unit() as svc:  # a confirmed block is a strike, as the service decides
        assert svc.enforcement.active_strikes(svc.accounts.get("alice"))


def test_text_comparison_marks_the_shared_passage(platform, people, tmp_path, reviewer):
    novel = prose(21, 2500)
    ref = tmp_path / "novel.txt"
    ref.write_text(novel)
    work_id = approved_work(platform, people, ref, work_type="literary")
    essay = tmp_path / "essay.txt"
    essay.write_text(prose(22, 200) + " " + " ".join(novel.split()[900:1000]))
    content, res = upload(platform, people["uploader"].id, essay)
    assert res.verdict.decision == "hold"
    cmp = reviewer.get(f"/review/uploads/{content.public_id}/compare?work={work_id}")
    assert cmp.status_code == 200
    assert '<mark id="u1">' in cmp.text and '<mark id="r1">' in cmp.text
    assert 'href="#u1"' in cmp.text
    # an upload that is text is never served as a page of this site
    media = reviewer.get(f"/review/media/uploads/{content.public_id}")
    assert media.headers["content-type"] == "application/octet-stream"
    assert media.headers["content-disposition"].startswith("attachment")
    assert "sandbox" in media.headers["content-security-policy"]


def test_audio_comparison_links_jump_to_each_span(platform, people, tmp_path, reviewer):
    from tests.test_media_screening import RATE, music, write_audio

    song = music(5, 40)
    work_id = approved_work(platform, people, write_audio(tmp_path / "song.mp3", song))
    clip = write_audio(tmp_path / "clip.mp3", song[10 * RATE : 25 * RATE])
    content, res = upload(platform, people["uploader"].id, clip)
    assert res.verdict.decision != "allow"
    cmp = reviewer.get(f"/review/uploads/{content.public_id}/compare?work={work_id}")
    assert cmp.status_code == 200
    assert '<audio controls preload="metadata"' in cmp.text and 'id="upload-player"' in cmp.text
    seeks = re.findall(r'data-seek="([\d.]+)" data-player="(\w+-player)"', cmp.text)
    assert ("reference-player" in {p for _, p in seeks}) and (
        "upload-player" in {p for _, p in seeks}
    )
    ref_start = [float(s) for s, p in seeks if p == "reference-player"][0]
    assert abs(ref_start - 10) < 2
    media = reviewer.get(f"/review/media/works/{work_id}")
    assert media.headers["content-type"] == "audio/mpeg"
    assert media.headers["content-disposition"].startswith("inline")


def test_video_comparison_has_both_players_and_span_links(platform, people, tmp_path, reviewer):
    from tests.test_media_screening import write_film

    work_id = approved_work(platform, people, write_film(tmp_path / "film.mp4", 11, 0, 20))
    content, res = upload(
        platform, people["uploader"].id, write_film(tmp_path / "clip.mp4", 11, 8, 10)
    )
    assert res.verdict.decision != "allow"
    cmp = reviewer.get(f"/review/uploads/{content.public_id}/compare?work={work_id}")
    assert cmp.status_code == 200
    assert 'id="reference-player"' in cmp.text and 'id="upload-player"' in cmp.text
    assert "<video controls" in cmp.text
    seeks = re.findall(r'data-seek="([\d.]+)" data-player="reference-player"', cmp.text)
    assert seeks and all(abs(float(s) - 8) < 3 for s in seeks)
    media = reviewer.get(f"/review/media/uploads/{content.public_id}")
    assert media.headers["content-type"] == "video/mp4"


# -- notices, complaints, disclosure, appeals -------------------------------------------------


def test_unlocated_notice_item_dismissed_and_another_recorded_unfounded(
    platform, people, tmp_path, reviewer
):
    first = unlocated_notice(platform, people, "a")
    second = unlocated_notice(platform, people, "b")
    page = reviewer.get(f"/review/notices/{first}")
    assert "https://elsewhere.example/a" in page.text
    with platform.unit() as svc:
        item_id = svc.notices.get(first).items[0].id
    # nothing was found, so there is nothing to take down: said, and nothing changes
    r = post(reviewer, f"/review/notice-items/{item_id}/decision", {"action": "take_down"})
    assert r.status_code == 422 and "请驳回" in r.text
    r = post(reviewer, f"/review/notice-items/{item_id}/decision", {"action": "dismiss"})
    assert r.status_code == 303 and r.headers["location"] == "/review/unlocated"
    r = post(reviewer, f"/review/notices/{second}/unfounded", {"reason": ""})
    assert r.status_code == 422
    r = post(reviewer, f"/review/notices/{second}/unfounded", {"reason": "not our site"})
    assert r.status_code == 303
    with platform.unit() as svc:
        assert svc.notices.get(first).status == "acted"
        assert svc.notices.get(first).items[0].state == "dismissed"
        assert svc.notices.get(second).status == "rejected"
        assert svc.notices.list_notices(svc.accounts.get("reva"), "review") == []


def test_eu_complaint_decided_by_a_person(platform, people, tmp_path, reviewer):
    notice_id, pid = eu_complaint(platform, people, tmp_path)
    assert f"/review/counters/{notice_id}" in reviewer.get("/review/counters").text
    page = reviewer.get(f"/review/counters/{notice_id}")
    assert "quotation for review" in page.text
    r = post(reviewer, f"/review/counters/{notice_id}/decision", {"decision": "uphold"})
    assert r.status_code == 422 and content_state(platform, pid) == "removed"
    r = post(
        reviewer,
        f"/review/counters/{notice_id}/decision",
        {"decision": "uphold", "note": "quotation for review is lawful"},
    )
    assert r.status_code == 303 and content_state(platform, pid) == "restored"
    with platform.unit() as svc:
        assert svc.notices.counters_for_review() == []


def test_disclosure_granted_with_a_reason(platform, people, tmp_path, reviewer):
    req_id = disclosure_request(platform, people, tmp_path)
    page = reviewer.get(f"/review/disclosures/{req_id}")
    assert "bob" in page.text
    path = f"/review/disclosures/{req_id}/decision"
    r = post(reviewer, path, {"decision": "grant", "reason": " "})
    assert r.status_code == 422 and "须说明理由" in r.text
    r = post(reviewer, path, {"decision": "grant", "reason": "valid notice", "days": "999"})
    assert r.status_code == 422 and "365" in r.text
    r = post(reviewer, path, {"decision": "grant", "reason": "valid notice", "days": "x"})
    assert r.status_code == 422
    with platform.unit() as svc:  # the refused tries left nothing behind
        req = svc.disclosure.get(req_id)
        assert req.status == "pending" and req.decided_at is None
    r = post(reviewer, path, {"decision": "grant", "reason": "valid notice", "days": "7"})
    assert r.status_code == 303
    with platform.unit() as svc:
        req = svc.disclosure.get(req_id)
        assert req.status == "granted" and req.reason == "valid notice"


def test_strike_appeal_upheld(platform, people, tmp_path, reviewer):
    appeal_id = strike_appeal(platform, people, tmp_path)
    page = reviewer.get(f"/review/appeals/{appeal_id}")
    assert "I took this photo myself" in page.text
    path = f"/review/appeals/{appeal_id}/decision"
    r = post(reviewer, path, {"decision": "uphold", "reason": ""})
    assert r.status_code == 422
    r = post(reviewer, path, {"decision": "uphold", "reason": "her own photo"})
    assert r.status_code == 303
    with platform.unit() as svc:
        assert svc.enforcement.get_appeal(appeal_id).status == "upheld"
        assert svc.enforcement.open_appeals() == []


def test_an_unlocated_item_found_by_hand_is_located_then_taken_down(
    platform, people, tmp_path, reviewer
):
    notice_id = unlocated_notice(platform, people, "by-hand")
    content = stored_upload(platform, people, tmp_path, seed=71)
    with platform.unit() as svc:
        item_id = svc.notices.get(notice_id).items[0].id
    # an id that names nothing: said on the page, and the item stays unlocated
    r = post(reviewer, f"/review/notice-items/{item_id}/locate", {"content_id": "nope"})
    assert r.status_code == 422
    with platform.unit() as svc:
        assert svc.notices.get(notice_id).items[0].state == "unlocated"
    r = post(reviewer, f"/review/notice-items/{item_id}/locate", {"content_id": content.public_id})
    assert r.status_code == 303
    with platform.unit() as svc:
        item = svc.notices.get(notice_id).items[0]
        assert (item.state, item.located_by, item.content_id) == ("located", "reviewer", content.id)
    r = post(reviewer, f"/review/notice-items/{item_id}/decision", {"action": "take_down"})
    assert r.status_code == 303
    assert content_state(platform, content.public_id) == "removed"
    with platform.unit() as svc:
        assert svc.notices.get(notice_id).status == "acted"
        steps = [r.action for r in svc.session.scalars(select(Record).order_by(Record.id))]
        assert "notice.item_located" in steps
