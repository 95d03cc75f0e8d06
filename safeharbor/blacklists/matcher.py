"""The in-memory blacklist index: pure, built from the stored entries, checked per link.

Lookups cost a few dict probes per link whatever the list size (100,000 entries and
more): a domain entry is found by trying each suffix of the link's host (``a.b.evil.com``,
``b.evil.com``, ``evil.com``, ``com``) in a dict, so ``evil.com`` matches its subdomains
and never ``badevil.com``; URL entries are filed under their host and only that host's
few are compared; app ids are one dict probe.
"""

from __future__ import annotations

import enum
import fnmatch
import re
from dataclasses import dataclass, field

from safeharbor.blacklists.urls import (
    Normalised,
    UrlError,
    app_ids_in,
    normalise_app_id,
    normalise_host,
    normalise_url,
)


class Kind(enum.StrEnum):
    DOMAIN = "domain"  # a site and its subdomains
    URL = "url"  # a page or a part of a site: a prefix, or a pattern with * globs
    APP = "app"  # an Android package name, iOS bundle id or App Store id


def pattern_key(kind: Kind | str, pattern: str) -> str:
    """The normal form an entry is stored and looked up by; ``UrlError`` says why a
    pattern is unusable."""
    kind = Kind(kind)
    text = pattern.strip()
    if not text:
        raise UrlError("empty pattern")
    if kind is Kind.APP:
        return normalise_app_id(text)
    if kind is Kind.DOMAIN:
        text = re.sub(r"^[a-z][a-z0-9+.\-]*://", "", text, flags=re.IGNORECASE)
        text = text.removeprefix("*.").removeprefix(".")
        host = re.split(r"[/\\?#]", text, maxsplit=1)[0].rsplit("@", 1)[-1]
        if ":" in host and not host.startswith("["):
            host = host.split(":", 1)[0]
        if "*" in host:
            raise UrlError("a domain entry is a name (it covers its subdomains): no * inside")
        key = normalise_host(host)
        if "." not in key and not key.startswith("["):
            raise UrlError(f"{key!r} is a top-level domain, not a site")
        return key
    if "*" not in text:
        return normalise_url(text).key
    # a glob: normalise around the stars so "*" survives percent-encoding
    placeholder = "starstarstar0"
    n = normalise_url(text.replace("*", placeholder))
    return n.key.replace(placeholder, "*")


@dataclass(frozen=True)
class Hit:
    """Why a link is blacklisted: the entry and the link (or app id) it matched."""

    entry_id: int
    kind: str
    key: str
    matched: str


@dataclass
class _HostRules:
    prefixes: list[tuple[str, int]] = field(default_factory=list)
    globs: list[tuple[re.Pattern[str], int]] = field(default_factory=list)


class Matcher:
    def __init__(self) -> None:
        self.domains: dict[str, int] = {}
        self.apps: dict[str, int] = {}
        self._by_host: dict[str, _HostRules] = {}
        #: URL globs whose host itself has a star (``*.cdn.example/*.mp4``): few, compared
        #: to every link
        self._any_host: list[tuple[re.Pattern[str], int]] = []
        self._keys: dict[int, tuple[Kind, str]] = {}

    def __len__(self) -> int:
        return len(self._keys)

    def add(self, entry_id: int, kind: Kind | str, key: str) -> None:
        kind = Kind(kind)
        self._keys[entry_id] = (kind, key)
        if kind is Kind.DOMAIN:
            self.domains.setdefault(key, entry_id)
        elif kind is Kind.APP:
            self.apps.setdefault(key, entry_id)
        elif "*" in key:
            glob = re.compile(fnmatch.translate(key))
            host = re.split(r"[/?]", key, maxsplit=1)[0]
            if "*" in host:
                self._any_host.append((glob, entry_id))
            else:
                self._by_host.setdefault(host, _HostRules()).globs.append((glob, entry_id))
        else:
            host = re.split(r"[/?]", key, maxsplit=1)[0]
            self._by_host.setdefault(host, _HostRules()).prefixes.append((key, entry_id))

    def match(self, n: Normalised) -> Hit | None:
        """The entry a normalised link falls under, if any (domain entries first: the
        widest listing is the one to show)."""
        labels = n.host.split(".")
        for i in range(len(labels) - 1):
            suffix = ".".join(labels[i:])
            entry = self.domains.get(suffix)
            if entry is not None:
                return Hit(entry, Kind.DOMAIN, suffix, n.url)
        key = n.key
        rules = self._by_host.get(n.authority)
        if rules is not None:
            for prefix, entry in rules.prefixes:
                if _under(key, prefix):
                    return Hit(entry, Kind.URL, prefix, n.url)
            for glob, entry in rules.globs:
                if glob.match(key):
                    return Hit(entry, Kind.URL, self._keys[entry][1], n.url)
        for glob, entry in self._any_host:
            if glob.match(key):
                return Hit(entry, Kind.URL, self._keys[entry][1], n.url)
        for app in app_ids_in(n):
            entry = self.apps.get(app)
            if entry is not None:
                return Hit(entry, Kind.APP, app, n.url)
        return None

    def match_app(self, raw: str) -> Hit | None:
        try:
            key = normalise_app_id(raw)
        except UrlError:
            return None
        entry = self.apps.get(key)
        return Hit(entry, Kind.APP, key, key) if entry is not None else None


def _under(key: str, prefix: str) -> bool:
    """``example.com/films`` covers ``/films``, ``/films/x`` and ``/films?page=2``, not
    ``/filmsandmore``; a prefix ending in / or ? covers whatever follows."""
    if not key.startswith(prefix):
        return False
    if len(key) == len(prefix) or prefix.endswith(("/", "?", "=", "&")):
        return True
    return key[len(prefix)] in "/?#"
