"""Blacklists of infringing websites and apps, and the link checks that use them.

Links are judged by pattern only: nothing here, or anywhere in the product, fetches a
URL found in an upload, a post or a list. The matcher (``matcher.Matcher``) is built from
the active entries and kept in ``Platform.cache`` until the entries change.
"""

from __future__ import annotations

import hashlib
import html
import re
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, select

from safeharbor.accounts.models import User
from safeharbor.accounts.permissions import Perm, require
from safeharbor.audit import service as audit
from safeharbor.blacklists import files
from safeharbor.blacklists.matcher import Hit, Kind, Matcher, pattern_key
from safeharbor.blacklists.models import BlacklistEntry
from safeharbor.blacklists.urls import Found, UrlError, extract_links, normalise_url
from safeharbor.errors import Conflict, InvalidInput, NotFound

if TYPE_CHECKING:
    from safeharbor.platform import Services

PLATFORM_SOURCE = "platform"
#: what a blacklisted link in plain text becomes
MARKER = "[link removed: blacklisted site]"
#: HTML attributes that make a browser follow or load a link
_LINK_ATTR = re.compile(
    r"""(?P<name>\b(?:href|src|srcset|action|formaction|data|poster|background|cite|xlink:href))"""
    r"""\s*=\s*(?:"(?P<dq>[^"]*)"|'(?P<sq>[^']*)'|(?P<bare>[^\s>"'`=]+))""",
    re.IGNORECASE,
)
_LOOKS_HTML = re.compile(r"<\s*[a-z][^>]*>", re.IGNORECASE)


@dataclass(frozen=True)
class LinkHit:
    """A blacklisted link found in some text, with the entry that lists it."""

    found: Found
    hit: Hit
    entry: BlacklistEntry

    def view(self) -> dict[str, Any]:
        return {
            "link": self.found.raw,
            "start": self.found.start,
            "end": self.found.end,
            "matched": self.hit.matched,
            "entry": entry_view(self.entry),
        }


@dataclass(frozen=True)
class CheckResult:
    url: str
    normalised: str | None
    entry: BlacklistEntry | None

    @property
    def blocked(self) -> bool:
        return self.entry is not None

    def view(self) -> dict[str, Any]:
        return {
            "url": self.url,
            "normalised": self.normalised,
            "blocked": self.blocked,
            "entry": entry_view(self.entry) if self.entry is not None else None,
        }


@dataclass(frozen=True)
class ImportResult:
    batch: str
    added: int
    already_listed: int
    source: str

    def view(self) -> dict[str, Any]:
        return {
            "batch": self.batch,
            "source": self.source,
            "added": self.added,
            "already_listed": self.already_listed,
        }


class BlacklistService:
    def __init__(self, services: Services) -> None:
        self.s = services
        self.session = services.session
        self.platform = services.platform
        self.clock = services.platform.clock
        self.settings = services.platform.settings

    # -- the list ------------------------------------------------------------------------

    def add(
        self,
        actor: User,
        pattern: str,
        *,
        reason: str,
        kind: str | None = None,
        source: str = PLATFORM_SOURCE,
        ip: str | None = None,
    ) -> BlacklistEntry:
        require(actor, Perm.MANAGE_BLACKLIST)
        if not reason.strip():
            raise InvalidInput("a blacklist entry needs a reason")
        try:
            k = Kind(kind) if kind else files.guess_kind(pattern)
            key = pattern_key(k, pattern)
        except ValueError as exc:  # UrlError, or an unknown kind
            raise InvalidInput(f"{pattern!r}: {exc}") from exc
        if self._active(k.value, key) is not None:
            raise Conflict(f"{k.value} {key!r} is already blacklisted")
        entry = self._store(k.value, pattern, key, source, reason.strip(), actor, None, None)
        audit.append(
            self.session,
            at=entry.listed_at,
            action="blacklist.add",
            subject_type="blacklist_entry",
            subject_id=entry.id,
            actor_id=actor.id,
            actor_ip=ip,
            payload={"kind": entry.kind, "key": entry.key, "source": source, "reason": reason},
        )
        return entry

    def remove(self, actor: User, entry_id: int, *, ip: str | None = None) -> BlacklistEntry:
        require(actor, Perm.MANAGE_BLACKLIST)
        entry = self.session.get(BlacklistEntry, entry_id)
        if entry is None:
            raise NotFound(f"no blacklist entry {entry_id}")
        if not entry.active:
            raise Conflict(f"blacklist entry {entry_id} was removed already")
        now = self.clock.now()
        entry.active = False
        entry.removed_at = now
        entry.removed_by = actor.id
        self.session.flush()
        audit.append(
            self.session,
            at=now,
            action="blacklist.remove",
            subject_type="blacklist_entry",
            subject_id=entry.id,
            actor_id=actor.id,
            actor_ip=ip,
            payload={"kind": entry.kind, "key": entry.key, "source": entry.source},
        )
        return entry

    def entries(
        self, *, include_removed: bool = False, source: str | None = None
    ) -> list[BlacklistEntry]:
        q = select(BlacklistEntry).order_by(BlacklistEntry.id)
        if not include_removed:
            q = q.where(BlacklistEntry.active.is_(True))
        if source is not None:
            q = q.where(BlacklistEntry.source == source)
        return list(self.session.scalars(q))

    def import_file(
        self, path: Path, source: str, actor: User, *, ip: str | None = None
    ) -> ImportResult:
        """Import a CSV or JSON list (``blacklists.files``). A file with any bad line is
        refused whole, with every bad line named: nothing stored changes, and the
        refusal is recorded."""
        require(actor, Perm.MANAGE_BLACKLIST)
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise InvalidInput(f"cannot read {path.name}: {exc.strerror}") from exc
        return self.import_bytes(data, path.name, source, actor, ip=ip)

    def import_bytes(
        self, data: bytes, name: str, source: str, actor: User, *, ip: str | None = None
    ) -> ImportResult:
        require(actor, Perm.MANAGE_BLACKLIST)
        source = source.strip()
        if not source or len(source) > 200:
            raise InvalidInput("say where the list comes from (--source, 1-200 characters)")
        sha = hashlib.sha256(data).hexdigest()
        rows, errors = files.parse(data, files.detect_format(name, data))
        if not errors and not rows:
            errors = ["the file lists no entries"]
        if errors:
            self.record_refusal(
                "blacklist.import_refused",
                subject_type="blacklist_file",
                subject_id=sha,
                actor=actor,
                ip=ip,
                payload={"file": name, "source": source, "errors": errors},
            )
            shown = "; ".join(errors[:50]) + (
                f"; ... {len(errors) - 50} more" if len(errors) > 50 else ""
            )
            raise InvalidInput(
                f"{name}: refused, nothing stored ({len(errors)} bad line(s)): {shown}"
            )
        result = self.add_many(rows, source, actor, default_reason=f"on the list '{source}'")
        audit.append(
            self.session,
            at=self.clock.now(),
            action="blacklist.import",
            subject_type="blacklist_file",
            subject_id=sha,
            actor_id=actor.id,
            actor_ip=ip,
            payload={"file": name, **result.view()},
        )
        return result

    def add_many(
        self, rows: Iterable[files.Row], source: str, actor: User | None, *, default_reason: str
    ) -> ImportResult:
        """Store parsed rows under one batch id, skipping those listed already (the
        caller records the import)."""
        batch = secrets.token_hex(8)
        existing = {
            (k, key)
            for k, key in self.session.execute(
                select(BlacklistEntry.kind, BlacklistEntry.key).where(
                    BlacklistEntry.active.is_(True)
                )
            )
        }
        added = skipped = 0
        for row in rows:
            if (row.kind, row.key) in existing:
                skipped += 1
                continue
            existing.add((row.kind, row.key))
            self._store(
                row.kind,
                row.pattern,
                row.key,
                source,
                row.reason or default_reason,
                actor,
                batch,
                row.listed_at,
                flush=False,
            )
            added += 1
        self.session.flush()
        return ImportResult(batch, added, skipped, source)

    def record_refusal(
        self,
        action: str,
        *,
        subject_type: str,
        subject_id: str,
        actor: User | None,
        ip: str | None,
        payload: dict[str, Any],
    ) -> None:
        """Record a refusal in its own transaction: the caller's is rolled back by the
        error that follows, and the record of what was refused must survive it."""
        audit.append_apart(
            self.platform.db,
            at=self.clock.now(),
            action=action,
            subject_type=subject_type,
            subject_id=subject_id,
            actor_id=actor.id if actor else None,
            actor_ip=ip,
            payload=payload,
        )

    def _active(self, kind: str, key: str) -> BlacklistEntry | None:
        return self.session.scalar(
            select(BlacklistEntry).where(
                BlacklistEntry.kind == kind,
                BlacklistEntry.key == key,
                BlacklistEntry.active.is_(True),
            )
        )

    def _store(
        self,
        kind: str,
        pattern: str,
        key: str,
        source: str,
        reason: str,
        actor: User | None,
        batch: str | None,
        listed_at: Any,
        *,
        flush: bool = True,
    ) -> BlacklistEntry:
        entry = BlacklistEntry(
            kind=kind,
            pattern=pattern,
            key=key,
            source=source,
            reason=reason,
            listed_at=listed_at or self.clock.now(),
            listed_by=actor.id if actor else None,
            batch=batch,
            active=True,
        )
        self.session.add(entry)
        if flush:
            self.session.flush()
        return entry

    # -- checks --------------------------------------------------------------------------

    def matcher(self) -> Matcher:
        """The index of active entries, rebuilt only when the entries changed."""
        stamp = tuple(
            self.session.execute(
                select(
                    func.count(BlacklistEntry.id),
                    func.max(BlacklistEntry.id),
                    func.max(BlacklistEntry.removed_at),
                )
            ).one()
        )
        cached = self.platform.cache.get("blacklist")
        if cached is None or cached[0] != stamp:
            m = Matcher()
            rows = self.session.execute(
                select(BlacklistEntry.id, BlacklistEntry.kind, BlacklistEntry.key).where(
                    BlacklistEntry.active.is_(True)
                )
            )
            for entry_id, kind, key in rows:
                m.add(entry_id, kind, key)
            cached = (stamp, m)
            self.platform.cache["blacklist"] = cached
        matcher: Matcher = cached[1]
        return matcher

    def check(self, url: str) -> CheckResult:
        """Whether one link (or app id) is blacklisted. ``InvalidInput`` if it is
        neither a link nor an app id."""
        m = self.matcher()
        try:
            n = normalise_url(url)
        except UrlError as exc:
            app = m.match_app(url)
            if app is not None:
                return CheckResult(url, app.key, self._entry(app))
            raise InvalidInput(f"{url!r} is not a link: {exc}") from exc
        hit = m.match(n) or m.match_app(url)
        return CheckResult(url, n.url, self._entry(hit) if hit else None)

    def check_text(self, text: str) -> list[LinkHit]:
        """Every blacklisted link (and app id written as a bare name) in plain text or
        HTML."""
        return self._raw_hits(html.unescape(text) if "&" in text else text)

    def disable_links(self, text: str, *, is_html: bool | None = None) -> tuple[str, list[LinkHit]]:
        """The text with its blacklisted links neutralised, and what was found. In HTML
        a link attribute (href, src...) pointing at a listed site is renamed to
        ``data-blocked-<attr>`` with the address removed, so nothing follows or loads
        it; any other listed link, in HTML or plain text, becomes ``MARKER``."""
        if is_html is None:
            is_html = bool(_LOOKS_HTML.search(text))
        hits: list[LinkHit] = []
        if is_html:

            def attr(m: re.Match[str]) -> str:
                value = html.unescape(m.group("dq") or m.group("sq") or m.group("bare") or "")
                found = self.check_text(value) or self._attr_hit(value)
                if not found:
                    return m.group(0)
                hits.extend(found)
                return f'data-blocked-{m.group("name").lower().replace(":", "-")}=""'

            text = _LINK_ATTR.sub(attr, text)
        # in HTML, text is searched as written (entities are rare in running text and
        # unescaping would shift the offsets of what is replaced)
        pieces: list[str] = []
        last = 0
        for lh in self._raw_hits(text):
            pieces.append(text[last : lh.found.start])
            pieces.append(html.escape(MARKER) if is_html else MARKER)
            last = lh.found.end
            hits.append(lh)
        pieces.append(text[last:])
        return "".join(pieces), hits

    def _attr_hit(self, value: str) -> list[LinkHit]:
        # an attribute holds one address, possibly relative to nothing we know (//x, x/y)
        try:
            n = normalise_url(value)
        except UrlError:
            return []
        hit = self.matcher().match(n)
        return [LinkHit(Found(value, 0, len(value)), hit, self._entry(hit))] if hit else []

    def _raw_hits(self, text: str) -> list[LinkHit]:
        m = self.matcher()
        out: list[LinkHit] = []
        if not len(m):
            return out
        for found in extract_links(text):
            hit = m.match_app(found.raw)
            if hit is None:
                try:
                    hit = m.match(normalise_url(found.raw))
                except UrlError:
                    continue
            if hit is not None:
                out.append(LinkHit(found, hit, self._entry(hit)))
        return out

    def link_service(
        self, url: str, *, actor: User | None = None, ip: str | None = None
    ) -> CheckResult:
        """The outbound-link mode: asked before a user follows a link. A blocked link is
        recorded (``link.blocked``); allowed ones are not (that would record every click)."""
        result = self.check(url)
        if result.entry is not None:
            audit.append(
                self.session,
                at=self.clock.now(),
                action="link.blocked",
                subject_type="blacklist_entry",
                subject_id=result.entry.id,
                actor_id=actor.id if actor else None,
                actor_ip=ip,
                payload={"url": url, "normalised": result.normalised},
            )
        return result

    # -- hook points for uploads and profiles ---------------------------------------------

    def screen_upload_text(self, text: str) -> list[LinkHit]:
        """Blacklisted links in an upload's title, file name or text (plain or HTML)."""
        return self.check_text(text)

    def screen_upload(
        self, *, title: str | None, filename: str | None, text: str | None = None
    ) -> list[dict[str, Any]]:
        """What the upload path records: each blacklisted link with where it was."""
        out: list[dict[str, Any]] = []
        for where, value in (("title", title), ("filename", filename), ("text", text)):
            if value:
                out.extend({"field": where, **h.view()} for h in self.check_text(value))
        return out

    def check_profile(self, fields: dict[str, str]) -> dict[str, list[LinkHit]]:
        """Blacklisted links per profile field (homepage, bio...); fields without any
        are left out."""
        out: dict[str, list[LinkHit]] = {}
        for name, value in fields.items():
            hits = self.check_text(value or "")
            if hits:
                out[name] = hits
        return out

    def _entry(self, hit: Hit) -> BlacklistEntry:
        entry = self.session.get(BlacklistEntry, hit.entry_id)
        assert entry is not None  # the matcher holds ids of stored entries only
        return entry


def entry_view(e: BlacklistEntry) -> dict[str, Any]:
    return {
        "id": e.id,
        "kind": e.kind,
        "pattern": e.pattern,
        "key": e.key,
        "source": e.source,
        "reason": e.reason,
        "listed_at": e.listed_at.isoformat(),
        "active": e.active,
        "removed_at": e.removed_at.isoformat() if e.removed_at else None,
    }
