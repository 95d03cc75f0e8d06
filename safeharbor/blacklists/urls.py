"""Link normalisation and extraction: pure functions, no I/O.

The product never fetches a URL it finds in an upload or a list; a link is judged by what
it says. So every spelling a browser would resolve to the same place must normalise to
the same key: case, IDNA (punycode), trailing dots, default ports, userinfo
(``http://good.com@evil.com/`` goes to evil.com), percent-encoding, backslashes (browsers
read ``\\`` as ``/`` in http(s) URLs), dot segments, and the ``hxxp`` spelling people use
to keep a link from being clickable.
"""

from __future__ import annotations

import html
import ipaddress
import re
from dataclasses import dataclass
from urllib.parse import quote, unquote, urlsplit

DEFAULT_PORTS = {"http": 80, "https": 443, "ftp": 21, "ws": 80, "wss": 443}
#: schemes a link may be written with; the obfuscated ones are read as their plain form
SCHEMES = {"hxxp": "http", "hxxps": "https", "hxxp(s)": "https", "h**p": "http"}
#: characters a path keeps encoded after decoding (they change what the path means)
_PATH_SAFE = "/:@!$&'()*+,;=-._~"
#: dots browsers accept between labels (ideographic, fullwidth, halfwidth full stops)
_DOTS = re.compile("[\u3002\uff0e\uff61]")
_LABEL = re.compile(r"^[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?$")


class UrlError(ValueError):
    """Text that is not a link (the message says why, for a list's bad-line report)."""


@dataclass(frozen=True)
class Normalised:
    """A link reduced to what decides where it goes."""

    scheme: str
    host: str  # lower-case ASCII (punycode), no trailing dot; an IP in canonical form
    port: int | None  # None for the scheme's default port
    path: str  # starts with "/"; dot segments resolved; percent-encoding canonical
    query: str

    @property
    def authority(self) -> str:
        return self.host if self.port is None else f"{self.host}:{self.port}"

    @property
    def key(self) -> str:
        """What URL patterns match against: scheme-less, so http and https are one."""
        return self.authority + self.path + (f"?{self.query}" if self.query else "")

    @property
    def url(self) -> str:
        return f"{self.scheme}://{self.key}"


def normalise_host(raw: str) -> str:
    """A host name as DNS sees it: decoded, dotted, lower-case, punycode, no trailing dot."""
    host = unquote(raw).strip()
    host = _DOTS.sub(".", host).rstrip(".").lower()
    if not host:
        raise UrlError("no host name")
    if host.startswith("[") and host.endswith("]"):
        try:
            return "[" + str(ipaddress.IPv6Address(host[1:-1])) + "]"
        except ValueError as exc:
            raise UrlError(f"bad IPv6 address {raw!r}") from exc
    ip = _ipv4(host)
    if ip is not None:
        return ip
    labels = []
    for label in host.split("."):
        if not label:
            raise UrlError(f"empty label in host name {raw!r}")
        if not label.isascii():
            try:
                label = label.encode("idna").decode("ascii")
            except UnicodeError as exc:
                raise UrlError(f"host name {raw!r} is not valid IDNA") from exc
        if not _LABEL.match(label):
            raise UrlError(f"host name {raw!r} has an invalid label {label!r}")
        labels.append(label)
    return ".".join(labels)


def _ipv4(host: str) -> str | None:
    # browsers accept 0x7f.1, 2130706433 and 0177.0.0.1 for 127.0.0.1: a list entry for
    # an IP must not be dodged by writing it another way
    parts = host.split(".")
    if not 1 <= len(parts) <= 4 or not all(re.fullmatch(r"0x[0-9a-f]*|\d+", p) for p in parts):
        return None
    try:
        nums = [
            int(p, 16) if p.startswith("0x") else int(p, 8 if p[:1] == "0" else 10) for p in parts
        ]
    except ValueError:
        return None
    *head, last = nums
    if any(n > 255 for n in head) or last >= 256 ** (5 - len(nums)):
        return None
    value = 0
    for n in head:
        value = value * 256 + n
    value = value * 256 ** (5 - len(nums)) + last
    return str(ipaddress.IPv4Address(value)) if value < 2**32 else None


def normalise_path(raw: str) -> str:
    """Decode percent-escapes, resolve ``.``/``..``, and re-encode one canonical way."""
    decoded = unquote(raw.replace("\\", "/"), errors="surrogateescape")
    segments = decoded.split("/")
    if segments[0] == "":
        segments = segments[1:]
    out: list[str] = []
    for seg in segments:
        if seg == ".":
            continue
        if seg == "..":
            if out:
                out.pop()
            continue
        out.append(seg)
    if decoded.endswith(("/.", "/..")):
        out.append("")  # "/a/b/.." is the folder "/a/", not the file "/a"
    path = "/" + "/".join(out)
    return quote(path, safe=_PATH_SAFE, errors="surrogateescape")


def normalise_url(raw: str) -> Normalised:
    """A link as typed (with or without a scheme) to its normal form; ``UrlError`` if it
    has no usable host."""
    text = _deobfuscate(html.unescape(raw.strip()).strip("<>\"' "))
    text = "".join(ch for ch in text if ch >= " " and ch != "\x7f")  # tabs, newlines: dropped
    lower = text.lower()
    scheme = "http"
    m = re.match(r"^([a-z][a-z0-9+.\-*()]*):(//|\\\\|/\\|\\/)?", lower)
    if m and (m.group(2) or m.group(1) in ("market", "itms-apps")):
        scheme = SCHEMES.get(m.group(1), m.group(1))
        text = text[m.end() :]
    elif text.startswith("//"):
        text = text[2:]
    # the authority ends at the first /, \, ? or # (WHATWG URL, special schemes)
    end = re.search(r"[/\\?#]", text)
    authority, rest = (text[: end.start()], text[end.start() :]) if end else (text, "")
    authority = authority.rsplit("@", 1)[-1]  # userinfo is never where the link goes
    host, port = _split_port(authority)
    parts = urlsplit("http://x" + (rest if rest.startswith(("/", "?", "#")) else "/" + rest))
    path = normalise_path(parts.path or "/")
    query = _normalise_query(parts.query)
    if port is not None and DEFAULT_PORTS.get(scheme) == port:
        port = None
    return Normalised(scheme, normalise_host(host), port, path, query)


def _split_port(authority: str) -> tuple[str, int | None]:
    if authority.startswith("["):
        close = authority.find("]")
        host, tail = authority[: close + 1], authority[close + 1 :]
    elif authority.count(":") == 1:
        host, _, p = authority.partition(":")
        tail = ":" + p
    else:
        host, tail = authority, ""
    if not tail or tail == ":":
        return host, None
    digits = tail[1:]
    if not digits.isdigit() or not 0 < int(digits) < 65536:
        raise UrlError(f"bad port {digits!r}")
    return host, int(digits)


def _normalise_query(query: str) -> str:
    if not query:
        return ""
    return quote(unquote(query), safe="=&+:/@!$'()*,;-._~")


# -- extraction ----------------------------------------------------------------------------

_TLD = r"(?:[a-z]{2,63}|xn--[a-z0-9-]{1,59})"
_DOT = r"(?:\.|\[\.\]|\(\.\))"
#: where a link with a scheme ends: space, quotes, angle brackets, CJK punctuation
_IRI_CHARS = r"[^\s<>\"'`\u3000-\u303f\uff00-\uffef]"
#: a bare link's path is ASCII: Chinese running text often has no space after a link
_BARE_PATH = r"(?:[/\\?#][!#-;=?-~]*)?"
#: not inside a word, an e-mail address or a longer host name (ASCII: "看evil.com" is a link)
_BEFORE = r"(?<![a-z0-9_@.\-/])"
_AFTER = r"(?![a-z0-9_\-])"
#: a link with a scheme, an IPv4 address, or a bare domain ("evil.example/foo")
LINK = re.compile(
    rf"(?:(?:https?|hxxps?|ftp|wss?)\s*(?::|\[:\])\s*(?://|\\\\)|{_BEFORE}//){_IRI_CHARS}+"
    rf"|{_BEFORE}\d{{1,3}}(?:\.\d{{1,3}}){{3}}(?::\d{{1,5}})?(?![0-9.]){_BARE_PATH}"
    rf"|{_BEFORE}[a-z0-9_](?:[a-z0-9_\-]*[a-z0-9_])?(?:{_DOT}[a-z0-9_](?:[a-z0-9_\-]*[a-z0-9_])?)*"
    rf"{_DOT}{_TLD}(?::\d{{1,5}})?{_AFTER}{_BARE_PATH}",
    re.IGNORECASE,
)
#: app store links and app schemes whose app id is in the query or the path
_APP_QUERY = re.compile(r"(?:^|[?&])id=([A-Za-z0-9_.]+)")
_APPLE_ID = re.compile(r"/id(\d{3,})")
#: trailing punctuation that closes a sentence rather than the link
_TRAILING = ".,;:!?)]}>'\"\u3002\uff0c\uff1b\uff1a\uff01\uff1f\uff09\u3001"


@dataclass(frozen=True)
class Found:
    """A link as it stands in the text: the characters ``text[start:end]``."""

    raw: str
    start: int
    end: int


def _deobfuscate(raw: str) -> str:
    text = re.sub(r"\[\.\]|\(\.\)", ".", raw)
    text = re.sub(r"\[:\]", ":", text)
    return re.sub(r"^(\w+)\s*:\s*", r"\1:", text)


def extract_links(text: str) -> list[Found]:
    """Every link in plain text or HTML (attribute values and text alike), in order."""
    found: list[Found] = []
    for m in LINK.finditer(text):
        raw = m.group(0)
        start, end = m.start(), m.end()
        while raw and raw[-1] in _TRAILING:
            # a closing bracket that opened inside the link stays (wiki-style paths)
            if raw[-1] == ")" and raw.count("(") >= raw.count(")"):
                break
            raw = raw[:-1]
            end -= 1
        if raw:
            found.append(Found(_deobfuscate(raw), start, end))
    return found


def app_ids_in(n: Normalised) -> list[str]:
    """App identifiers a link names: a store page's ``id=``, an ``itms-apps`` id, or the
    package in ``market://details?id=...``."""
    ids = [m.group(1).lower() for m in _APP_QUERY.finditer(n.query)]
    if n.host in ("apps.apple.com", "itunes.apple.com") or n.scheme == "itms-apps":
        ids += ["id" + m.group(1) for m in _APPLE_ID.finditer(n.path)]
    return ids


def normalise_app_id(raw: str) -> str:
    """Android package names and iOS bundle ids (``com.example.app``) or App Store ids
    (``id123456789``): compared case-insensitively, as the stores treat them."""
    value = raw.strip().lower()
    if re.fullmatch(r"id\d{3,}|\d{3,}", value):
        return value if value.startswith("id") else "id" + value
    if not re.fullmatch(r"[a-z0-9_]+(?:\.[a-z0-9_\-]+)+", value):
        raise UrlError(f"{raw!r} is not an app id (com.example.app, or id123456789)")
    return value
