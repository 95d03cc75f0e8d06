"""Notices by email: an SMTP listener that files what rights holders mail to the platform.

The law accepts a notice by letter, fax or email (SPC Prov 13), so a platform must read
what reaches its published complaint address, not only what comes through the API. This
module is the mailbox: an aiosmtpd server that accepts mail for ``settings.intake_address``
only, reads the notice out of the message and files it with ``NoticeService.file`` (channel
``email``), answering the sending server in the same SMTP conversation::

    250 notice 12 received: valid
    250 notice 13 received: incomplete, missing: notifier_address, evidence

A notice is written as ``field: value`` lines in the message text (``Notifier name: ...``,
``Work: ...``, ``Evidence: ...``; keys are folded to ``notifier_name`` and so on), with the
addresses of the content on their own lines or in a ``Location:`` field. ``Work-Id:`` names
a registered work, ``Profile:`` a jurisdiction profile, and the Subject is the title unless
a ``Title:`` line says otherwise. An HTML-only message is reduced to its text first.

Running it
----------
``start_intake(platform, host, port)`` starts the listener in a background thread and
returns an ``IntakeServer`` (``.port``, ``.stop()``); ``safeharbor serve`` and
``safeharbor mail listen`` start it on ``settings.intake_port``.

Routing the published complaint address to it
---------------------------------------------
Do not expose this listener to the internet: it has no TLS and no spam filtering, and it
believes the ``From`` header, which anyone can forge, while a notice takes content down.
Put the platform's ordinary mail server in front of it and let that server do what mail
servers do (SPF/DKIM/DMARC, rejecting failures; spam and virus filtering; TLS), then hand
the complaint address alone to the listener on the loopback interface. With Postfix, for
the published address ``copyright@platform.example`` and ``intake_port = 2525``::

    # safeharbor.toml (or SAFEHARBOR_INTAKE_ADDRESS / SAFEHARBOR_INTAKE_PORT)
    intake_address = "copyright@platform.example"
    intake_port = 2525

    # /etc/postfix/transport  (then: postmap /etc/postfix/transport)
    copyright@platform.example   smtp:[127.0.0.1]:2525

    # /etc/postfix/main.cf
    transport_maps = hash:/etc/postfix/transport
    message_size_limit = 26214400    # no more than max_intake_bytes

A 4xx answer from the listener (database unreachable, ...) makes Postfix keep the message
and try again, so nothing is lost while the platform is down; a 5xx answer is bounced to
the sender with the reason. Behind a relay the peer address recorded with the notice is
the relay's.
"""

from __future__ import annotations

import asyncio
import logging
import re
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from email import policy
from email.message import EmailMessage, Message
from email.parser import BytesParser
from html.parser import HTMLParser
from types import TracebackType
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope
from aiosmtpd.smtp import Session as SMTPSession

from safeharbor.accounts.models import User
from safeharbor.errors import InvalidInput, SafeharborError
from safeharbor.notices import messages
from safeharbor.platform import Platform, Services

log = logging.getLogger(__name__)

#: most content addresses one email may name; more go through the batch API
MAX_LOCATIONS = 1000
#: keys whose values are content addresses (or bare content ids, or a description)
LOCATION_KEYS = frozenset({"location", "locations", "url", "urls", "link", "links"})
#: an SMTP reply line may not exceed 512 octets with its CRLF (RFC 5321 4.5.3.1.5)
_MAX_REPLY = 500

# "Notifier name: Studio Legal". The key is a short phrase; "(?!//)" keeps "https://..."
# from reading as a field called "https".
_FIELD_LINE = re.compile(r"^([A-Za-z][A-Za-z0-9 _\-]{0,39}?)[ \t]*:(?!//)[ \t]*(.*)$")
_URL = re.compile(r"https?://[^\s<>\"'`]+", re.IGNORECASE)
_URL_TRAILER = ".,;:!?)]}>'\""
_REPLY_PREFIX = re.compile(r"^\s*((re|fw|fwd|aw|wg)\s*:\s*)+", re.IGNORECASE)


class Rejected(Exception):
    """A message the listener refuses, with the SMTP reply that says why."""

    def __init__(self, code: int, text: str) -> None:
        super().__init__(text)
        self.reply = smtp_reply(code, text)


def smtp_reply(code: int, text: str) -> str:
    """One reply line: printable ASCII only (a field name or an error message may carry
    anything a sender typed), whitespace folded, short enough for any SMTP client."""
    safe = "".join(c if " " <= c <= "~" else "?" for c in " ".join(text.split()))
    line = f"{code} {safe}"
    return line if len(line) <= _MAX_REPLY else line[: _MAX_REPLY - 3] + "..."


# -- reading a message ------------------------------------------------------------------------


@dataclass
class MailedNotice:
    """What a message says: who sent it and the notice in it."""

    sender: str
    fields: dict[str, str] = field(default_factory=dict)
    locations: list[str] = field(default_factory=list)
    work_id: int | None = None
    title: str | None = None
    profile: str | None = None


def parse_message(raw: bytes, envelope_from: str | None = None) -> MailedNotice:
    """Read a notice out of an RFC 5322 message; raises ``Rejected`` when there is none."""
    try:
        msg = BytesParser(policy=policy.default).parsebytes(raw)
        sender = _sender_address(msg, envelope_from)
        subject = str(msg.get("Subject", "") or "")
        text, charset, readable = _body_text(msg)
    except Rejected:
        raise
    except Exception as exc:
        # The email package is lenient, but a hostile header can still trip it; such a
        # message will never parse, so it is refused for good rather than retried.
        log.warning("unreadable message from %s", envelope_from, exc_info=True)
        raise Rejected(554, f"5.6.0 malformed message ({type(exc).__name__})") from None
    fields, locations = parse_fields(text)
    if not fields and not locations:
        why = f" (the text is not valid {charset})" if not readable else ""
        raise Rejected(
            554,
            f"5.6.0 no notice found in the message{why}: write one 'field: value' per line"
            " (e.g. 'Work: ...', 'Evidence: ...') and the addresses of the content",
        )
    if len(locations) > MAX_LOCATIONS:
        raise Rejected(
            554, f"5.6.0 {len(locations)} addresses: at most {MAX_LOCATIONS} per message"
        )
    notice = MailedNotice(sender=sender, fields=fields, locations=locations)
    work = fields.pop("work_id", None)
    if work is not None and work.strip().lstrip("#").isdigit():
        notice.work_id = int(work.strip().lstrip("#"))
    elif work is not None:
        fields["work_id"] = work  # kept as written so a reviewer sees what was meant
    notice.profile = (fields.pop("profile", None) or "").strip().lower() or None
    if "title" not in fields:
        # A Title: line stays a field (checked like every field) and wins; else the
        # Subject, without "Re:"/"Fwd:" and anything unprintable, is the title.
        subject = "".join(c for c in _REPLY_PREFIX.sub("", subject) if c.isprintable())
        notice.title = subject.strip()[:300] or None
    return notice


def _sender_address(msg: EmailMessage | Message, envelope_from: str | None) -> str:
    """The From address (the person writing), else the envelope sender."""
    header = msg.get("From")
    for addr in getattr(header, "addresses", ()) or ():
        spec = str(getattr(addr, "addr_spec", "") or "").strip()
        if "@" in spec:
            return spec
    if envelope_from and "@" in envelope_from:
        return envelope_from.strip()
    raise Rejected(550, "5.1.7 no sender address: the notice needs a From address to answer")


def _body_text(msg: EmailMessage | Message) -> tuple[str, str, bool]:
    """The message text, its charset, and whether it decoded cleanly. Plain text is
    preferred; HTML is reduced to its text (nothing in it is run or kept as markup)."""
    part = msg.get_body(preferencelist=("plain", "html")) if isinstance(msg, EmailMessage) else msg
    if part is None:
        raise Rejected(554, "5.6.0 no text in the message: write the notice in the message text")
    payload = part.get_payload(decode=True)
    data = payload if isinstance(payload, bytes) else b""
    # Undeclared is taken as UTF-8: it is what today's mail programs mean, and ASCII is
    # a subset of it.
    charset = part.get_content_charset() or "utf-8"
    try:
        text, readable = data.decode(charset), True
    except (LookupError, UnicodeDecodeError):
        # An unknown charset (or a non-text codec such as "base64") or broken bytes: read
        # what can be read rather than lose the message, and say so if nothing is found.
        try:
            text = data.decode(charset, errors="replace")
        except LookupError:
            text = data.decode("utf-8", errors="replace")
        readable = False
    if part.get_content_subtype() == "html":
        text = html_to_text(text)
    return text, charset, readable


def parse_fields(text: str) -> tuple[dict[str, str], list[str]]:
    """``field: value`` lines (an indented line continues the value) and the content
    addresses: web addresses on lines of their own, and whatever a location field says.

    A web address inside another field (evidence: https://registry.example/cert/1) is
    part of that field, not content to take down.
    """
    fields: dict[str, str] = {}
    locations: list[str] = []
    key: str | None = None
    for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n"):
        if line.lstrip().startswith(">"):
            key = None  # quoted text of an earlier message is not this notice
            continue
        if key is not None and line[:1] in (" ", "\t") and line.strip():
            fields[key] += "\n" + line.strip()
            continue
        m = _FIELD_LINE.match(line.strip())
        if m:
            key = normalise_key(m.group(1))
            value = m.group(2).strip()
            fields[key] = f"{fields[key]}\n{value}" if key in fields else value
            continue
        key = None
        locations += _urls(line)
    for name in LOCATION_KEYS & fields.keys():
        for line in fields.pop(name).split("\n"):
            # A bare content id or a description counts too: it is located if it can be,
            # and goes to a reviewer if not.
            locations += _urls(line) or ([line.strip()] if line.strip() else [])
    return fields, list(dict.fromkeys(locations))


def normalise_key(key: str) -> str:
    """ "Notifier name" -> notifier_name, "Work-Id" -> work_id."""
    return re.sub(r"[\s\-_]+", "_", key.strip().lower()).strip("_")


def _urls(line: str) -> list[str]:
    return [u.rstrip(_URL_TRAILER) for u in _URL.findall(line)]


class _TextOfHtml(HTMLParser):
    """The text a reader sees, line breaks where blocks end, link targets kept."""

    SKIP = frozenset({"script", "style", "template", "title", "noscript", "iframe", "object"})
    BREAK = frozenset(
        {"br", "p", "div", "tr", "li", "ul", "ol", "table", "blockquote", "section", "article"}
        | {"h1", "h2", "h3", "h4", "h5", "h6", "hr", "dt", "dd", "pre", "header", "footer"}
    )

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skipping = 0
        self.pre = 0
        self.links: list[str | None] = []
        self.link_start = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self.SKIP:
            self.skipping += 1
        elif tag in self.BREAK:
            self.parts.append("\n")
            self.pre += tag == "pre"
        elif tag == "a":
            href = dict(attrs).get("href") or ""
            self.links.append(href if _URL.fullmatch(href.strip()) else None)
            self.link_start = len(self.parts)

    def handle_endtag(self, tag: str) -> None:
        if tag in self.SKIP:
            self.skipping = max(0, self.skipping - 1)
        elif tag in self.BREAK:
            self.parts.append("\n")
            self.pre = max(0, self.pre - (tag == "pre"))
        elif tag == "a" and self.links:
            href = self.links.pop()
            # "the poster" linking to our page becomes "the poster (https://...)" so the
            # address, which is what locates the content, is not lost with the tag.
            if href and href.strip() not in "".join(self.parts[self.link_start :]):
                self.parts.append(f" ({href.strip()})")

    def handle_data(self, data: str) -> None:
        if not self.skipping:
            self.parts.append(data if self.pre else re.sub(r"\s+", " ", data))


def html_to_text(html: str) -> str:
    """Plain text of an HTML body: tags dropped, scripts and styles dropped with their
    content, entities decoded. Only text is kept, so nothing a sender wrote can run."""
    parser = _TextOfHtml()
    parser.feed(html)
    parser.close()
    lines = (line.strip() for line in "".join(parser.parts).split("\n"))
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


# -- filing ---------------------------------------------------------------------------------


def sender_account(svc: Services, address: str, ip: str | None) -> User:
    """The sender's account, created (as a holder) for a first-time sender so that a
    notice is never lost for want of an account."""
    try:
        return svc.accounts.for_contact_email(address, ip=ip)
    except InvalidInput:
        raise Rejected(553, f"5.1.7 sender address {address} is not usable") from None


def file_mailed_notice(platform: Platform, notice: MailedNotice, ip: str | None) -> str:
    """File a read notice in one unit of work (the account, the notice, the
    acknowledgement: all stored, or none) and return the SMTP reply."""
    with platform.unit() as svc:
        sender = sender_account(svc, notice.sender, ip)
        if sender.status != "active":
            # The same as the API, where a suspended account's keys stop working; the
            # platform may suspend the handling of notices from abusive senders (DSA 23).
            raise Rejected(550, f"5.7.1 account {sender.name} is {sender.status}")
        result = svc.notices.file(
            sender,
            dict(notice.fields),
            urls=notice.locations,
            work_id=notice.work_id,
            title=notice.title,
            profile=notice.profile,
            channel="email",
            ip=ip,
        )
        view = result.view()
        if not view["missing"]:
            # The service already tells the sender what an incomplete notice lacks; a valid
            # one gets a receipt here, the written record that the notice arrived.
            found = ", ".join(view["located"]) or "none yet"
            messages.post(
                svc.session,
                platform.clock,
                to=sender,
                kind="notice.received",
                notice_id=view["notice_id"],
                subject=f"Notice {view['notice_id']} received: valid",
                body=(
                    f"Your notice {view['notice_id']}, received by email, is valid and is "
                    f"being acted on (status: {view['state']}). Content located: {found}."
                ),
            )
    if view["missing"]:
        missing = ", ".join(view["missing"])
        return smtp_reply(
            250, f"notice {view['notice_id']} received: incomplete, missing: {missing}"
        )
    return smtp_reply(250, f"notice {view['notice_id']} received: valid")


# -- the SMTP side -------------------------------------------------------------------------


class IntakeHandler:
    """aiosmtpd handler: mail for the intake address is filed as a notice."""

    def __init__(self, platform: Platform) -> None:
        self.platform = platform
        self.address = platform.settings.intake_address.strip().lower()
        # One filing at a time, off the event loop: the database calls block, and two
        # first messages from one new sender must not race to create two accounts.
        self.executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="safeharbor-intake")

    async def handle_RCPT(
        self,
        server: SMTP,
        session: SMTPSession,
        envelope: Envelope,
        address: str,
        rcpt_options: list[str],
    ) -> str:
        if address.strip().lower() != self.address:
            # Not an open relay, and not a catch-all: only the published address.
            return smtp_reply(550, f"5.1.1 no such mailbox: notices go to {self.address}")
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: SMTPSession, envelope: Envelope) -> str:
        raw = envelope.original_content or b""
        peer = session.peer
        ip = str(peer[0]) if isinstance(peer, tuple) and peer else None
        try:
            loop = asyncio.get_running_loop()
            return await loop.run_in_executor(
                self.executor, self.receive, raw, ip, envelope.mail_from
            )
        except Exception:
            log.exception("notice intake failed")
            return "451 try again later"

    def receive(self, raw: bytes, ip: str | None = None, envelope_from: str | None = None) -> str:
        """File one message; returns the SMTP reply. Never raises: a refusal is a 5xx that
        says why, and anything unexpected a 451 so that the sending server tries again
        later (and nothing of it is stored: the unit of work is rolled back)."""
        try:
            return file_mailed_notice(self.platform, parse_message(raw, envelope_from), ip)
        except Rejected as exc:
            log.info("notice mail from %s refused: %s", envelope_from, exc.reply)
            return exc.reply
        except SafeharborError as exc:
            log.info("notice mail from %s refused: %s", envelope_from, exc.message)
            return smtp_reply(554, f"5.6.0 notice refused: {exc.message}")
        except Exception:
            log.exception("notice intake failed on mail from %s", envelope_from)
            return "451 try again later"

    def close(self) -> None:
        self.executor.shutdown(wait=True)


class ListenerController(Controller):
    """aiosmtpd's threaded controller, with port 0 meaning "any free port"."""

    def _trigger_server(self) -> None:
        # The controller connects to its own port to check it is up; with port 0 the OS
        # chose the port when binding, so read it back first.
        if self.port == 0 and isinstance(self.server, asyncio.Server) and self.server.sockets:
            self.port = int(self.server.sockets[0].getsockname()[1])
        super()._trigger_server()


class IntakeServer:
    """A running intake listener: ``.host``, ``.port``, ``.stop()``; a context manager."""

    def __init__(self, controller: ListenerController, handler: IntakeHandler) -> None:
        self.controller = controller
        self.handler = handler
        self.host: str = controller.hostname
        self.port: int = controller.port
        self._running = True

    def stop(self) -> None:
        if self._running:
            self._running = False
            self.controller.stop()
            self.handler.close()

    def __enter__(self) -> IntakeServer:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


def start_intake(platform: Platform, host: str = "127.0.0.1", port: int = 0) -> IntakeServer:
    """Start the notice mailbox on ``host:port`` (0: any free port; the server's ``.port``
    says which) in a background thread. Pass ``settings.intake_port`` for a fixed port."""
    settings = platform.settings
    handler = IntakeHandler(platform)
    kwargs: dict[str, Any] = {
        # Refused at DATA with 552 (and at MAIL FROM when the client declares a SIZE):
        # aiosmtpd drops the data as it reads past the limit, so nothing is kept.
        "data_size_limit": settings.max_intake_bytes,
        # The greeting names the mail domain; without it aiosmtpd asks DNS for this host's
        # name, which can stall start-up for seconds where DNS is slow or absent.
        "server_hostname": settings.intake_address.rpartition("@")[2] or "localhost",
        "ident": "safeharbor notice intake",
    }
    controller = ListenerController(handler, hostname=host, port=port, **kwargs)
    try:
        controller.start()
    except BaseException:
        handler.close()
        raise
    return IntakeServer(controller, handler)
