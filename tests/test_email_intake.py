"""Notices by email (SPC Prov 13: a notice may come by letter, fax or email), spoken to the
listener over real SMTP on the loopback interface; and the outbox mailed to a real SMTP
server."""

from __future__ import annotations

import re
import smtplib
from collections.abc import Iterator
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path

import pytest
from aiosmtpd.smtp import SMTP, Envelope
from aiosmtpd.smtp import Session as SMTPSession
from sqlalchemy import select, text

from safeharbor.accounts.models import User
from safeharbor.audit.service import history
from safeharbor.notices import messages
from safeharbor.notices.email_intake import (
    IntakeServer,
    ListenerController,
    html_to_text,
    parse_fields,
    smtp_reply,
    start_intake,
)
from safeharbor.notices.models import Message, Notice
from safeharbor.platform import Platform
from tests.test_notices import CN_NOTICE, messages_to, state, stored_upload

HOLDER = "legal@studio.example"
LABELS = {
    "notifier_name": "Notifier name",
    "notifier_contact": "Notifier contact",
    "notifier_address": "Notifier address",
    "work": "Work",
    "evidence": "Evidence",
    "signature": "Signature",
}


@pytest.fixture
def intake(platform: Platform) -> Iterator[IntakeServer]:
    server = start_intake(platform)
    try:
        yield server
    finally:
        server.stop()


def notice_text(fields: dict[str, str], *locations: str) -> str:
    lines = [f"{LABELS.get(k, k)}: {v}" for k, v in fields.items()]
    return "Dear platform,\n\n" + "\n".join(lines) + "\n\n" + "\n".join(locations) + "\n"


def mail(
    body: str, sender: str = HOLDER, subject: str = "Copyright notice", subtype: str = "plain"
) -> bytes:
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = "notices@safeharbor.invalid"
    msg["Subject"] = subject
    msg.set_content(body, subtype=subtype)
    return msg.as_bytes(policy=policy.SMTP)  # CRLF line ends: smtplib sends bytes as they are


def send(port: int, raw: bytes, mail_from: str = HOLDER) -> tuple[int, str]:
    """One message over SMTP; the server's answer to the end of DATA."""
    with smtplib.SMTP("127.0.0.1", port, timeout=30) as smtp:
        smtp.ehlo()
        assert smtp.mail(mail_from)[0] == 250
        assert smtp.rcpt("notices@safeharbor.invalid")[0] == 250
        code, reply = smtp.data(raw)
        return code, reply.decode("ascii")


def notice_id(reply: str) -> int:
    m = re.search(r"notice (\d+) received", reply)
    assert m, reply
    return int(m.group(1))


def notices(platform: Platform) -> list[Notice]:
    with platform.unit() as svc:
        return list(svc.session.scalars(select(Notice).order_by(Notice.id)))


def get_notice(platform: Platform, nid: int) -> Notice:
    with platform.unit() as svc:
        return svc.notices.get(nid)


def test_complete_cn_notice_by_email_is_valid_and_acted_on(
    platform: Platform, people, tmp_path: Path, intake: IntakeServer
) -> None:
    content = stored_upload(platform, people, tmp_path)
    body = notice_text(CN_NOTICE, f"https://platform.example/c/{content.public_id}")
    # The account's address matches whatever the case of the From header.
    code, reply = send(intake.port, mail(body, sender="Studio Legal <LEGAL@Studio.Example>"))
    assert code == 250 and reply.endswith("received: valid"), reply
    nid = notice_id(reply)
    notice = get_notice(platform, nid)
    assert notice.channel == "email" and notice.sender_id == people["holder"].id
    assert notice.fields["notifier_name"] == "Studio Legal"
    assert notice.fields["title"] == "Copyright notice"  # the Subject, there being no Title:
    assert state(platform, content.public_id) == "removed"
    received = messages_to(platform, people["holder"].id, "notice.received")
    assert received and f"notice {nid}" in received[0].body.lower()
    with platform.unit() as svc:
        steps = history(svc.session, "notice", nid)
    assert steps[0].action == "notice.file" and steps[0].actor_ip == "127.0.0.1"


def test_incomplete_notice_is_kept_with_what_is_missing(
    platform: Platform, people, tmp_path: Path, intake: IntakeServer
) -> None:
    content = stored_upload(platform, people, tmp_path)
    partial = {k: v for k, v in CN_NOTICE.items() if k not in ("evidence", "notifier_address")}
    body = notice_text(partial, f"Location: /c/{content.public_id}")
    code, reply = send(intake.port, mail(body + "Title: Poster 2026 (2)\n", subject="Re: Fwd: x"))
    assert code == 250
    assert reply.endswith("received: incomplete, missing: notifier_address, evidence"), reply
    notice = get_notice(platform, notice_id(reply))
    assert notice.fields["title"] == "Poster 2026 (2)"  # a Title: line wins over the Subject
    assert notice.status == "incomplete"
    assert notice.missing == ["notifier_address", "evidence"]
    assert notice.fields["location"] == f"/c/{content.public_id}"
    assert state(platform, content.public_id) == "available"
    assert messages_to(platform, people["holder"].id, "notice.incomplete")


def test_unknown_sender_gets_an_account_and_the_notice_is_kept(
    platform: Platform, people, tmp_path: Path, intake: IntakeServer
) -> None:
    content = stored_upload(platform, people, tmp_path)
    fields = {**CN_NOTICE, "notifier_contact": "jane.roe@agency.example"}
    body = notice_text(fields, f"https://platform.example/c/{content.public_id}")
    sender = "Jane Roe <Jane.Roe@agency.example>"
    code, reply = send(intake.port, mail(body, sender=sender), mail_from="bounces@agency.example")
    assert code == 250 and "valid" in reply, reply
    notice = get_notice(platform, notice_id(reply))
    with platform.unit() as svc:
        user = svc.session.get(User, notice.sender_id)
        assert user is not None
        assert user.email == "Jane.Roe@agency.example" and user.role == "holder"
        assert re.fullmatch(r"jane\.roe-[0-9a-f]{8}", user.name), user.name
    # A second message from the same person (any case) goes to the same account.
    code, reply = send(intake.port, mail(body, sender="jane.roe@AGENCY.example"))
    assert code == 250
    assert get_notice(platform, notice_id(reply)).sender_id == notice.sender_id
    with platform.unit() as svc:
        same = svc.session.scalars(select(User).where(User.email.ilike("jane.roe@agency.example")))
        assert len(list(same)) == 1


def test_only_the_intake_address_is_accepted(intake: IntakeServer) -> None:
    with smtplib.SMTP("127.0.0.1", intake.port, timeout=30) as smtp:
        smtp.ehlo()
        assert smtp.mail(HOLDER)[0] == 250
        code, reply = smtp.rcpt("someone@elsewhere.example")
        assert code == 550 and b"notices@safeharbor.invalid" in reply
        assert smtp.rcpt("Notices@SafeHarbor.invalid")[0] == 250


def test_mail_over_the_size_limit_is_refused_and_nothing_is_stored(
    platform: Platform, people
) -> None:
    platform.settings.max_intake_bytes = 200_000
    server = start_intake(platform)
    try:
        filler = "\n".join("x" * 76 for _ in range(4000))  # about 300 KB
        big = mail(notice_text(CN_NOTICE, "https://platform.example/c/abcdefghijkl") + filler)
        assert len(big) > 300_000
        # Sent without declaring its size: refused at the end of DATA.
        code, reply = send(server.port, big)
        assert code == 552, reply
        # Declared (smtplib sends SIZE= when the server offers it): refused at MAIL FROM.
        with smtplib.SMTP("127.0.0.1", server.port, timeout=30) as smtp:
            with pytest.raises(smtplib.SMTPSenderRefused) as refused:
                smtp.sendmail(HOLDER, ["notices@safeharbor.invalid"], big)
            assert refused.value.smtp_code == 552
        assert notices(platform) == []
        # The listener is still there for the next message.
        code, reply = send(server.port, mail(notice_text(CN_NOTICE)))
        assert code == 250, reply
    finally:
        server.stop()


def test_html_notice_is_stored_as_plain_text(
    platform: Platform, people, tmp_path: Path, intake: IntakeServer
) -> None:
    content = stored_upload(platform, people, tmp_path)
    html = (
        "<html><head><title>x</title><style>p {color: red}</style></head><body>"
        "<p>Notifier name: Studio Legal<script>alert('name')</script></p>"
        "<p>Notifier contact: legal@studio.example</p>"
        "<div>Notifier address: 1 Film Road, <b>Beijing</b></div>"
        "<p>Work: Poster 2026 <script>document.location='https://evil.example/'</script>"
        "<img src=x onerror=alert(1)></p>"
        "<p>Evidence: certificate &amp; registration 2026-F-1</p>"
        "<p>Signature: Studio Legal</p>"
        f"<p>Location: <a href='https://platform.example/c/{content.public_id}'>the poster</a>"
        "</p></body></html>"
    )
    code, reply = send(intake.port, mail(html, subtype="html"))
    assert code == 250 and reply.endswith("valid"), reply
    fields = get_notice(platform, notice_id(reply)).fields
    assert fields["work"] == "Poster 2026"
    assert fields["notifier_name"] == "Studio Legal"
    assert fields["notifier_address"] == "1 Film Road, Beijing"
    assert fields["evidence"] == "certificate & registration 2026-F-1"
    assert fields["location"] == f"https://platform.example/c/{content.public_id}"
    for value in fields.values():
        assert "<script" not in value and "alert" not in value and "<" not in value
    assert state(platform, content.public_id) == "removed"


def test_garbage_gets_a_clear_refusal_and_the_listener_lives_on(
    platform: Platform, people, intake: IntakeServer
) -> None:
    head = (
        b"From: legal@studio.example\r\nTo: notices@safeharbor.invalid\r\n"
        b"Subject: notice\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n"
    )
    binary = b"\r\n".join(bytes((0x80 + (i * 7 + j) % 120) for j in range(60)) for i in range(40))
    code, reply = send(intake.port, head + binary + b"\r\n")
    assert code == 554 and "no notice found" in reply and "not valid utf-8" in reply, reply
    # No headers at all, only bytes (and a NUL): still an answer, not a dropped connection.
    code, reply = send(intake.port, b"\x00\xff\xfe garbage \x81\r\n\xc3\x28\r\n")
    assert code == 554 and "no notice found" in reply, reply
    # An attachment and no text: nothing to read.
    msg = EmailMessage()
    msg["From"] = HOLDER
    msg.add_attachment(b"%PDF-1.4", maintype="application", subtype="pdf", filename="n.pdf")
    code, reply = send(intake.port, msg.as_bytes(policy=policy.SMTP))
    assert code == 554 and "no text" in reply, reply
    # An unknown charset is read as UTF-8 rather than crash.
    odd = mail(notice_text(CN_NOTICE)).replace(b'charset="utf-8"', b"charset=x-nonesuch")
    code, reply = send(intake.port, odd)
    assert code == 250, reply
    assert len(notices(platform)) == 1
    code, reply = send(intake.port, mail(notice_text(CN_NOTICE)))
    assert code == 250 and "received" in reply, reply
    assert len(notices(platform)) == 2


def test_a_failure_inside_is_a_temporary_refusal(
    platform: Platform, people, tmp_path: Path, intake: IntakeServer, caplog
) -> None:
    """The database failing half-way: 451 (the sending server keeps the mail and tries
    again), the error logged, nothing half-stored, and the listener still answering."""
    content = stored_upload(platform, people, tmp_path)
    body = notice_text(CN_NOTICE, f"https://platform.example/c/{content.public_id}")
    with platform.db.engine.begin() as conn:
        conn.execute(text("DROP TABLE messages"))  # a valid notice writes to the outbox
    code, reply = send(intake.port, mail(body))
    assert (code, reply) == (451, "try again later")
    assert "notice intake failed" in caplog.text
    assert notices(platform) == [] and state(platform, content.public_id) == "available"
    with smtplib.SMTP("127.0.0.1", intake.port, timeout=30) as smtp:
        assert smtp.noop()[0] == 250


def test_suspended_sender_is_refused(platform: Platform, people, intake: IntakeServer) -> None:
    with platform.unit() as svc:
        admin = svc.accounts.get(people["admin"].id)
        svc.accounts.set_status(svc.accounts.get(people["holder"].id), "suspended", admin)
    code, reply = send(intake.port, mail(notice_text(CN_NOTICE)))
    assert code == 550 and "suspended" in reply, reply
    assert notices(platform) == []


def test_replies_are_one_ascii_line(platform: Platform, people, intake: IntakeServer) -> None:
    """Each problem found comes back in the reply, which stays one short line."""
    fields = {f"Field {i}": "bad\x01value" for i in range(80)}
    code, reply = send(intake.port, mail(notice_text(fields)))
    assert code == 250 and "field_0 contains control characters" in reply, reply
    assert reply.isascii() and "\n" not in reply and len(reply) < 512
    assert len(get_notice(platform, notice_id(reply)).missing) > 80  # all of it is kept
    assert smtp_reply(554, "émoji 🙂\r\nline two") == "554 ?moji ? line two"


def test_parsing_fields_and_locations() -> None:
    fields, locations = parse_fields(
        "Notifier name: Studio Legal\n"
        "Work-Id: 7\n"
        "Evidence: certificate at https://registry.example/cert/1\n"
        "  and the contract\n"
        "> Work: quoted from an earlier mail\n"
        "See https://platform.example/c/abcdefghijkl, and\n"
        "Location: abcdefghijk2\n"
        "  https://platform.example/c/abcdefghijk3\n"
    )
    assert fields == {
        "notifier_name": "Studio Legal",
        "work_id": "7",
        "evidence": "certificate at https://registry.example/cert/1\nand the contract",
    }
    # The evidence's address is evidence, not content to take down.
    assert locations == [
        "https://platform.example/c/abcdefghijkl",
        "abcdefghijk2",
        "https://platform.example/c/abcdefghijk3",
    ]
    assert html_to_text("<p>a<br>b</p><script>x()</script><p>c &lt;d&gt;</p>") == "a\nb\n\nc <d>"


class Capture:
    """An SMTP server's handler that keeps what it is sent."""

    def __init__(self) -> None:
        self.mails: list[Envelope] = []

    async def handle_DATA(self, server: SMTP, session: SMTPSession, envelope: Envelope) -> str:
        self.mails.append(envelope)
        return "250 OK"


def test_outbox_is_mailed_to_the_uploader(
    platform: Platform, people, tmp_path: Path, intake: IntakeServer
) -> None:
    capture = Capture()
    relay = ListenerController(capture, hostname="127.0.0.1", port=0, server_hostname="relay.test")
    relay.start()
    try:
        platform.settings.smtp_host = "127.0.0.1"
        platform.settings.smtp_port = relay.port
        content = stored_upload(platform, people, tmp_path)
        body = notice_text(CN_NOTICE, f"https://platform.example/c/{content.public_id}")
        code, reply = send(intake.port, mail(body))
        assert code == 250 and "valid" in reply, reply
        nid = notice_id(reply)
        with platform.unit() as svc:
            sent = messages.deliver(svc.session, platform.settings, platform.clock)
        assert sent >= 3  # the uploader's forward; the holder's receipt and report
        to_alice = [e for e in capture.mails if e.rcpt_tos == ["alice@example.com"]]
        assert len(to_alice) == 1
        forward = message_from_bytes(to_alice[0].original_content or b"", policy=policy.default)
        assert content.public_id in str(forward["Subject"])
        assert f"on notice {nid}" in forward.get_content()
        assert to_alice[0].mail_from == platform.settings.mail_from
        to_holder = [e for e in capture.mails if e.rcpt_tos == [HOLDER]]
        subjects = [
            str(message_from_bytes(e.original_content or b"", policy=policy.default)["Subject"])
            for e in to_holder
        ]
        assert f"Notice {nid} received: valid" in subjects
        with platform.unit() as svc:
            rows = svc.session.scalars(
                select(Message).where(Message.to_address == "alice@example.com")
            ).all()
            assert rows and all(r.sent_at == platform.clock.now() for r in rows)
    finally:
        relay.stop()
