"""Notice and takedown, end to end for each profile (LEGAL.md "Notice fields",
"Counter-notice fields", "Clocks", "Forwarding")."""

from __future__ import annotations

from datetime import timedelta

import pytest
from PIL import ImageOps

from safeharbor.errors import Conflict, Forbidden
from safeharbor.notices.models import Message
from safeharbor.platform import Platform
from tests.conftest import photo, save
from tests.test_screening import approved_work, upload

CN_NOTICE = {
    "notifier_name": "Studio Legal",
    "notifier_contact": "legal@studio.example",
    "notifier_address": "1 Film Road, Beijing",
    "work": "Poster 2026",
    "evidence": "registration certificate 2026-F-1",
    "signature": "Studio Legal",
}
US_NOTICE = {
    "notifier_name": "Studio Legal",
    "notifier_address": "1 Sunset Blvd",
    "notifier_phone": "+1 555 0100",
    "notifier_email": "legal@studio.example",
    "signature": "/s/ Studio Legal",
    "work": "Poster 2026",
    "good_faith": "yes",
    "accuracy": "yes",
}
EU_NOTICE = {
    "notifier_name": "Studio Legal",
    "notifier_email": "legal@studio.example",
    "work": "Poster 2026",
    "explanation": "our photograph, used without licence",
    "good_faith": "yes",
}
CN_COUNTER = {
    "name": "Alice Zhang",
    "contact": "alice@example.com",
    "address": "2 River St",
    "item": "the holiday photo",
    "grounds": "I took this photograph myself",
    "signature": "Alice Zhang",
}
US_COUNTER = {
    "name": "Alice Zhang",
    "address": "2 River St",
    "phone": "+1 555 0101",
    "item": "the holiday photo",
    "good_faith": "yes",
    "consent_jurisdiction": "yes",
    "signature": "/s/ Alice",
}
EU_COUNTER = {"decision": "removal of my photo", "grounds": "quotation for review (DSM 17(7))"}


def stored_upload(platform: Platform, people, tmp_path, seed: int = 60):  # noqa: ANN001, ANN201
    content, _ = upload(
        platform, people["uploader"].id, save(photo(seed), tmp_path / f"u{seed}.jpg")
    )
    assert content.state == "available"
    return content


def file(platform: Platform, sender_id: int, fields: dict, **kw):  # noqa: ANN003, ANN201
    with platform.unit() as svc:
        return svc.notices.file(svc.accounts.get(sender_id), fields, **kw).view()


def state(platform: Platform, public_id: str) -> str:
    with platform.unit() as svc:
        return svc.screening.get(public_id).state


def messages_to(platform: Platform, user_id: int, kind: str) -> list[Message]:
    with platform.unit() as svc:
        return list(svc.session.query(Message).filter_by(to_user_id=user_id, kind=kind))


def test_cn_notice_missing_fields_is_kept_incomplete_then_completed(platform, people, tmp_path):
    """LEGAL.md Notice fields, CN rows: identity, work, location, evidence, signature."""
    content = stored_upload(platform, people, tmp_path)
    partial = {k: v for k, v in CN_NOTICE.items() if k not in ("evidence", "notifier_address")}
    res = file(
        platform, people["holder"].id, partial, urls=[f"https://x.example/c/{content.public_id}"]
    )
    assert res["status"] == "incomplete"
    assert res["missing"] == ["notifier_address", "evidence"]
    assert state(platform, content.public_id) == "available"  # nothing taken down
    assert messages_to(platform, people["holder"].id, "notice.incomplete")
    with platform.unit() as svc:
        done = svc.notices.complete(
            res["notice_id"],
            svc.accounts.get(people["holder"].id),
            {"evidence": "certificate", "notifier_address": "1 Film Road"},
        ).view()
    assert done["status"] == "valid" and done["located"] == [content.public_id]
    assert state(platform, content.public_id) == "removed"


def test_cn_life_of_a_notice_civil_code_restoration(platform, people, tmp_path):
    """LEGAL.md Clocks C3 (24 h), C5/C6 (reasonable period, 15 days, cap 20 working days);
    Forwarding: CN notice to the uploader, CN counter-notice to the holder."""
    content = stored_upload(platform, people, tmp_path)
    res = file(platform, people["holder"].id, CN_NOTICE, urls=[f"/c/{content.public_id}"])
    assert res["status"] == "valid" and res["located"] == [content.public_id]
    assert state(platform, content.public_id) == "removed"
    forwarded = messages_to(platform, people["uploader"].id, "notice.forward")
    assert forwarded and "Studio Legal" in forwarded[0].body and "counter" in forwarded[0].body
    assert messages_to(platform, people["holder"].id, "notice.done")
    # A re-upload of the same picture, even mirrored, stays down.
    again = save(ImageOps.mirror(photo(60)), tmp_path / "again.jpg", quality=70)
    _, res2 = upload(platform, people["uploader2"].id, again)
    assert res2.verdict.decision == "block" and "stays down" in res2.verdict.reason
    with platform.unit() as svc:
        with pytest.raises(Forbidden):
            svc.notices.counter(
                res["notice_id"], svc.accounts.get(people["uploader2"].id), CN_COUNTER
            )
        bad = svc.notices.counter(
            res["notice_id"], svc.accounts.get(people["uploader"].id), {"name": "Alice"}
        )
        assert bad.status == "incomplete" and "grounds" in bad.missing
        good = svc.notices.counter(
            res["notice_id"], svc.accounts.get(people["uploader"].id), CN_COUNTER
        )
        assert good.status == "valid"
    assert state(platform, content.public_id) == "removed"  # the measure stays (CC 1196)
    assert messages_to(platform, people["holder"].id, "counter.forward")
    clock = platform.clock
    with platform.unit() as svc:
        assert svc.notices.run_clocks(clock.now() + timedelta(days=14))["restorations"] == 0
    with platform.unit() as svc:
        assert (
            svc.notices.run_clocks(clock.now() + timedelta(days=15, minutes=1))["restorations"] == 1
        )
    assert state(platform, content.public_id) == "restored"
    # Restored content is no longer on the stay-down list.
    _, res3 = upload(platform, people["uploader2"].id, again)
    assert res3.verdict.decision == "allow"
    with platform.unit() as svc:
        from safeharbor.notices.service import notice_view

        view = notice_view(svc, svc.notices.get(res["notice_id"]))
    steps = [s["step"] for s in view["steps"]]
    assert steps[:3] == ["notice.file", "notice.valid", "notice.measure"]
    assert "counter.forward" in steps and steps[-1] == "notice.restore"
    assert view["items"][0]["state"] == "restored"


def test_cn_holder_lawsuit_keeps_the_measure_and_tolling_is_capped(platform, people, tmp_path):
    content = stored_upload(platform, people, tmp_path)
    nid = file(platform, people["holder"].id, CN_NOTICE, urls=[content.public_id])["notice_id"]
    with platform.unit() as svc:
        svc.notices.counter(nid, svc.accounts.get(people["uploader"].id), CN_COUNTER)
        d = svc.notices.toll(
            nid, 30, "notarisation abroad", svc.accounts.get(people["reviewer"].id)
        )
        cap = d.due_at
    # 30 days of tolling is capped at 20 working days (4 weeks) after delivery.
    assert timedelta(days=27) < cap - platform.clock.now() <= timedelta(days=28)
    with platform.unit() as svc:
        svc.notices.holder_action(
            nid, svc.accounts.get(people["holder"].id), "lawsuit filed, case 123"
        )
    with platform.unit() as svc:
        assert (
            svc.notices.run_clocks(platform.clock.now() + timedelta(days=60))["restorations"] == 0
        )
    assert state(platform, content.public_id) == "removed"


def test_cn_regulation_mode_restores_at_once(platform, people, tmp_path):
    """LEGAL.md Clocks C4: restore immediately on a valid counter-notice (Reg 17)."""
    platform.settings.cn_restoration = "regulation"
    content = stored_upload(platform, people, tmp_path)
    nid = file(platform, people["holder"].id, CN_NOTICE, urls=[content.public_id])["notice_id"]
    with platform.unit() as svc:
        svc.notices.counter(nid, svc.accounts.get(people["uploader"].id), CN_COUNTER)
    assert state(platform, content.public_id) == "restored"


def test_us_restores_after_ten_business_days(platform, people, tmp_path):
    """LEGAL.md Notice fields US (i)-(vi); Clocks C10: restore 10-14 business days after
    the counter-notice unless told of an action; Counter-notice fields US (A)-(D)."""
    content = stored_upload(platform, people, tmp_path)
    res = file(
        platform,
        people["holder"].id,
        {**US_NOTICE, "accuracy": "no"},
        profile="us",
        urls=[content.public_id],
    )
    assert res["status"] == "incomplete" and res["missing"] == ["accuracy"]
    res = file(platform, people["holder"].id, US_NOTICE, profile="us", urls=[content.public_id])
    assert res["status"] == "valid"
    with platform.unit() as svc:
        c = svc.notices.counter(
            res["notice_id"],
            svc.accounts.get(people["uploader"].id),
            {k: v for k, v in US_COUNTER.items() if k != "consent_jurisdiction"},
        )
        assert c.missing == ["consent_jurisdiction"]
        svc.notices.counter(res["notice_id"], svc.accounts.get(people["uploader"].id), US_COUNTER)
    told = messages_to(platform, people["holder"].id, "counter.forward")[0]
    assert "10 business days" in told.body
    start = platform.clock.now()  # 2026-01-01 is a Thursday
    with platform.unit() as svc:
        assert svc.notices.run_clocks(start + timedelta(days=13))["restorations"] == 0
    with platform.unit() as svc:
        assert svc.notices.run_clocks(start + timedelta(days=14, minutes=1))["restorations"] == 1
    assert state(platform, content.public_id) == "restored"


def test_eu_complaint_goes_to_human_review(platform, people, tmp_path):
    """LEGAL.md Counter-notice EU (DSA 20), Forwarding EU: notifier identity only where
    strictly necessary; Clocks C14."""
    content = stored_upload(platform, people, tmp_path)
    res = file(platform, people["holder"].id, EU_NOTICE, profile="eu", urls=[content.public_id])
    assert res["status"] == "valid"
    forwarded = messages_to(platform, people["uploader"].id, "notice.forward")[0]
    assert "Studio Legal" not in forwarded.body and "a rights holder" in forwarded.body
    with platform.unit() as svc:
        svc.notices.counter(res["notice_id"], svc.accounts.get(people["uploader"].id), EU_COUNTER)
    with platform.unit() as svc:
        out = svc.notices.run_clocks(platform.clock.now() + timedelta(hours=73))
    assert out["escalations"] == 1 and state(platform, content.public_id) == "removed"
    assert messages_to(platform, people["reviewer"].id, "clock.review")
    with platform.unit() as svc:
        svc.notices.decide_complaint(
            res["notice_id"],
            True,
            svc.accounts.get(people["reviewer"].id),
            "quotation for review is lawful",
        )
    assert state(platform, content.public_id) == "restored"


def test_notice_without_url_located_by_fingerprint_and_title(platform, people, tmp_path):
    """LEGAL.md Notice fields, location: court guideline 9.21."""
    work_id = approved_work(platform, people, save(photo(61), tmp_path / "ref.png", "PNG"))
    copy, _ = upload(
        platform, people["uploader2"].id, save(photo(61).resize((320, 240)), tmp_path / "small.jpg")
    )
    # (the screen held it; the notice still acts on it)
    other = stored_upload(platform, people, tmp_path, seed=62)
    fields = {k: v for k, v in CN_NOTICE.items()}
    res = file(platform, people["holder"].id, fields, work_id=work_id)
    assert res["status"] == "valid" and res["located"] == [copy.public_id]
    assert (
        state(platform, copy.public_id) == "removed"
        and state(platform, other.public_id) == "available"
    )
    # By title: one upload with that title is located; an unknown title is reported.
    with platform.unit() as svc:
        svc.screening.get(other.public_id).title = "My Holiday [1080p]"
    res2 = file(platform, people["holder"].id, fields, title="my holiday")
    assert res2["located"] == [other.public_id]
    res3 = file(platform, people["holder"].id, fields, title="A film nobody uploaded")
    assert res3["status"] == "incomplete" and res3["missing"] == ["location"]


def test_bad_notices(platform, people, tmp_path):
    content = stored_upload(platform, people, tmp_path)
    # Unknown URL: valid notice, nothing taken down, reported unlocated, goes to review.
    res = file(platform, people["holder"].id, CN_NOTICE, urls=["https://elsewhere.example/v/123"])
    assert res["unlocated"] == ["https://elsewhere.example/v/123"] and res["state"] == "review"
    # Markup and script are kept as text (escaped wherever shown), never executed.
    res = file(
        platform,
        people["holder"].id,
        {**CN_NOTICE, "work": "<script>alert(1)</script>"},
        urls=[content.public_id],
    )
    assert res["status"] == "valid"
    # A duplicate notice for content already taken down is not acted on twice.
    dup = file(platform, people["holder"].id, CN_NOTICE, urls=[content.public_id])
    assert dup["duplicates"] == [content.public_id]
    # Malformed email: kept incomplete, with the reason.
    res = file(
        platform,
        people["holder"].id,
        {**US_NOTICE, "notifier_email": "not-an-address"},
        profile="us",
        urls=[content.public_id],
    )
    assert "notifier_email is not an email address" in res["missing"]
    # An agent whose authorisation has expired.
    work_id = approved_work(platform, people, save(photo(63), tmp_path / "w.jpg"))
    res = file(
        platform,
        people["holder2"].id,
        {**CN_NOTICE, "authorisation": "letter 7", "authorisation_expires": "2025-06-30"},
        work_id=work_id,
        urls=[content.public_id],
    )
    assert res["status"] == "incomplete" and "authorisation (expired 2025-06-30)" in res["missing"]
    # A counter-notice for content never taken down.
    incomplete = file(platform, people["holder"].id, {"work": "x"}, urls=[content.public_id])
    with platform.unit() as svc, pytest.raises(Conflict):
        svc.notices.counter(
            incomplete["notice_id"], svc.accounts.get(people["uploader"].id), CN_COUNTER
        )


def test_overdue_act_clock_escalates_and_unfounded_senders_are_flagged(platform, people, tmp_path):
    res = file(
        platform,
        people["holder"].id,
        CN_NOTICE,
        title="A title nobody used",
        urls=["https://elsewhere.example/1"],
    )
    with platform.unit() as svc:
        out = svc.notices.run_clocks(platform.clock.now() + timedelta(hours=21))
        assert out["reminders"] == 1
        out = svc.notices.run_clocks(platform.clock.now() + timedelta(hours=25))
        assert out["escalations"] == 1
        assert svc.notices.get(res["notice_id"]).status == "review"
    flagged = []
    for seed in (70, 71, 72):
        c = stored_upload(platform, people, tmp_path, seed=seed)
        nid = file(platform, people["holder2"].id, CN_NOTICE, urls=[c.public_id])["notice_id"]
        with platform.unit() as svc:
            flagged.append(
                svc.notices.mark_unfounded(
                    nid, "the uploader's own photo", svc.accounts.get(people["reviewer"].id)
                )
            )
        assert state(platform, c.public_id) == "restored"
    assert flagged == [False, False, True]


def test_holder_relays_a_message_without_learning_the_address(platform, people, tmp_path):
    content = stored_upload(platform, people, tmp_path)
    nid = file(platform, people["holder"].id, CN_NOTICE, urls=[content.public_id])["notice_id"]
    with platform.unit() as svc:
        assert (
            svc.notices.relay(nid, svc.accounts.get(people["holder"].id), "Please license it") == 1
        )
        with pytest.raises(Forbidden):
            svc.notices.relay(nid, svc.accounts.get(people["holder2"].id), "hi")
    got = messages_to(platform, people["uploader"].id, "relay")
    assert got[0].body == "Please license it" and got[0].from_user_id == people["holder"].id


def test_a_failing_bulk_row_rolls_back_alone(platform, people, tmp_path):
    from safeharbor.notices import bulk

    a = stored_upload(platform, people, tmp_path, seed=90)
    b = stored_upload(platform, people, tmp_path, seed=91)
    rows = [
        {"url": a.public_id},
        {"url": b.public_id, "notifier_email": "x" * 30_000},
        {"work_id": "seven"},
    ]
    with platform.unit() as svc:
        sender = svc.accounts.get(people["holder"].id)
    out = list(bulk.file_rows(platform, sender, rows, common=CN_NOTICE))
    assert out[0]["located"] == [a.public_id]
    assert out[1]["status"] == "incomplete" and state(platform, b.public_id) == "available"
    assert out[2]["error"] == "work_id 'seven' is not a number"
    with platform.unit() as svc:
        from safeharbor.notices.models import Notice

        assert svc.session.query(Notice).count() == 2


def test_the_scheduler_thread_runs_due_clocks(platform, people, tmp_path):
    import time

    from safeharbor.notices.scheduler import Scheduler

    platform.settings.cn_restoration = "civil_code"
    content = stored_upload(platform, people, tmp_path, seed=95)
    nid = file(platform, people["holder"].id, CN_NOTICE, urls=[content.public_id])["notice_id"]
    with platform.unit() as svc:
        svc.notices.counter(nid, svc.accounts.get(people["uploader"].id), CN_COUNTER)
    platform.clock.advance(timedelta(days=16))  # type: ignore[attr-defined]
    scheduler = Scheduler(platform, interval_s=0.05)
    scheduler.start()
    try:
        for _ in range(100):
            if state(platform, content.public_id) == "restored":
                break
            time.sleep(0.05)
    finally:
        scheduler.stop()
    assert state(platform, content.public_id) == "restored"
