"""Sharing hash lists and blacklists with partner platforms.

Export: the fingerprints (never the content, never an uploader's personal data) of
approved works and of content taken down on notice, with the public registry data (title,
type, holder's account name) and why each is listed; and the platform's own blacklist.
Import: a partner's signed package, checked against the partner's key, stored with the
partner as its source. What a match with a shared item does follows the partner's trust,
read at screening time (so a trust change applies at once): trusted holds the upload,
review sends it to a reviewer, ignore keeps the item unused.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from safeharbor.accounts.models import User
from safeharbor.accounts.permissions import Perm, require
from safeharbor.audit import service as audit
from safeharbor.blacklists.files import Row
from safeharbor.blacklists.matcher import Kind, pattern_key
from safeharbor.blacklists.models import BlacklistEntry
from safeharbor.errors import Conflict, InvalidInput, NotFound
from safeharbor.evidence import keys
from safeharbor.index.references import to_fingerprint
from safeharbor.registry.models import Reference, Work, WorkStatus, fingerprint_rows
from safeharbor.screening.policy import MatchFacts
from safeharbor.sharing import format as fmt
from safeharbor.sharing.models import Partner, SharedImport, SharedItem, Trust

if TYPE_CHECKING:
    from safeharbor.platform import Services

#: Reference.source of shared items
SHARED_SOURCE = "shared"
WHAT = ("hashes", "blacklist", "all")


def partner_source(name: str) -> str:
    """The blacklist ``source`` of entries a partner shared."""
    return f"partner:{name}"


class SharingService:
    def __init__(self, services: Services) -> None:
        self.s = services
        self.session = services.session
        self.platform = services.platform
        self.clock = services.platform.clock
        self.settings = services.platform.settings

    # -- partners ------------------------------------------------------------------------

    def add_partner(
        self,
        actor: User,
        name: str,
        public_key_pem: str,
        trust: str = Trust.REVIEW,
        *,
        ip: str | None = None,
    ) -> Partner:
        require(actor, Perm.MANAGE_SHARING)
        name = name.strip()
        if not name or len(name) > 100:
            raise InvalidInput("a partner needs a name (1-100 characters)")
        t = _trust(trust)
        pub = keys.load_public(public_key_pem)
        if self.session.scalar(select(Partner).where(Partner.name == name)) is not None:
            raise Conflict(f"partner {name!r} exists already")
        now = self.clock.now()
        p = Partner(
            name=name,
            public_key=keys.public_pem(pub),
            key_id=keys.key_id(pub),
            trust=t.value,
            added_at=now,
            added_by=actor.id,
        )
        self.session.add(p)
        self.session.flush()
        audit.append(
            self.session,
            at=now,
            action="partner.add",
            subject_type="partner",
            subject_id=p.id,
            actor_id=actor.id,
            actor_ip=ip,
            payload={"name": name, "key_id": p.key_id, "trust": p.trust},
        )
        return p

    def set_trust(self, actor: User, name: str, trust: str, *, ip: str | None = None) -> Partner:
        require(actor, Perm.MANAGE_SHARING)
        p = self.partner(name)
        t = _trust(trust)
        before = p.trust
        now = self.clock.now()
        p.trust = t.value
        p.trust_changed_at = now
        # a partner's blacklist entries are live unless it is ignored
        for e in self.session.scalars(
            select(BlacklistEntry).where(
                BlacklistEntry.source == partner_source(p.name), BlacklistEntry.removed_at.is_(None)
            )
        ):
            e.active = t is not Trust.IGNORE
        self.session.flush()
        audit.append(
            self.session,
            at=now,
            action="partner.trust",
            subject_type="partner",
            subject_id=p.id,
            actor_id=actor.id,
            actor_ip=ip,
            payload={"name": p.name, "from": before, "to": p.trust},
        )
        return p

    def partner(self, name: str) -> Partner:
        p = self.session.scalar(select(Partner).where(Partner.name == name))
        if p is None:
            raise NotFound(f"no partner {name!r} (add it: safeharbor share partner add)")
        return p

    def partners(self) -> list[Partner]:
        return list(self.session.scalars(select(Partner).order_by(Partner.name)))

    # -- export --------------------------------------------------------------------------

    def export(
        self,
        actor: User,
        out: Path,
        *,
        what: str = "all",
        since: datetime | None = None,
        ip: str | None = None,
    ) -> dict[str, Any]:
        require(actor, Perm.MANAGE_SHARING)
        if what not in WHAT:
            raise InvalidInput(f"--what must be one of {', '.join(WHAT)}")
        hashes = self._hash_rows(since) if what in ("hashes", "all") else []
        blacklist = self._blacklist_rows(since) if what in ("blacklist", "all") else []
        key = self.platform.signing_key()
        now = self.clock.now()
        manifest = fmt.write_package(
            out,
            key=key,
            platform_id=self.platform_id(),
            created=now,
            hashes=hashes,
            blacklist=blacklist,
            since=since,
        )
        audit.append(
            self.session,
            at=now,
            action="share.export",
            subject_type="share_package",
            subject_id=fmt.sha256_hex(fmt.canonical(manifest)),
            actor_id=actor.id,
            actor_ip=ip,
            payload={
                "what": what,
                "since": since.isoformat() if since else None,
                "counts": manifest["counts"],
            },
        )
        return manifest

    def platform_id(self) -> str:
        return self.settings.base_url or str(self.settings.home)

    def _hash_rows(self, since: datetime | None) -> list[dict[str, Any]]:
        q = (
            select(Reference)
            .where(Reference.source.in_(("work", "staydown")), Reference.active.is_(True))
            .order_by(Reference.id)
        )
        if since is not None:
            q = q.where(Reference.created_at >= since)
        rows: list[dict[str, Any]] = []
        for ref in self.session.scalars(q):
            work: Work | None = ref.work
            if ref.source == "work":
                if work is None or work.status != WorkStatus.APPROVED:
                    continue
                item, reason = f"work:{work.id}", "registered work, ownership proven"
            else:
                item = f"staydown:{ref.id}"
                reason = f"taken down on notice {ref.notice_id}: stays down"
            holder = self.session.get(User, work.holder_id).name if work else None  # type: ignore[union-attr]
            tags = [f"safeharbor:{ref.source}", f"work_type:{work.work_type if work else 'other'}"]
            for fp in ref.fingerprints:
                rows.append(
                    fmt.hash_row(
                        to_fingerprint(fp),
                        item=item,
                        title=work.title if work else "content taken down on notice",
                        work_type=work.work_type if work else "other",
                        holder=holder,
                        reason=reason,
                        tags=tags,
                    )
                )
        return rows

    def _blacklist_rows(self, since: datetime | None) -> list[dict[str, Any]]:
        q = select(BlacklistEntry).where(
            BlacklistEntry.active.is_(True), ~BlacklistEntry.source.startswith("partner:")
        )
        if since is not None:
            q = q.where(BlacklistEntry.listed_at >= since)
        return [
            {
                "kind": e.kind,
                "pattern": e.pattern,
                "key": e.key,
                "reason": e.reason,
                "source": e.source,
                "listed_at": e.listed_at.isoformat(),
            }
            for e in self.session.scalars(q.order_by(BlacklistEntry.id))
        ]

    # -- import --------------------------------------------------------------------------

    def import_package(
        self, actor: User, path: Path, partner_name: str, *, ip: str | None = None
    ) -> dict[str, Any]:
        """Verify and store a partner's package. Anything wrong (not a package, wrong
        key, bad signature, a part changed, a bad row) refuses it whole: nothing stored,
        the refusal recorded (``share.refused``)."""
        require(actor, Perm.MANAGE_SHARING)
        partner = self.partner(partner_name)
        try:
            pkg = fmt.read_package(path)
            fmt.verify(pkg, keys.load_public(partner.public_key))
            hashes = pkg.rows("hashes.jsonl")
            items = self._items(hashes)
            entries = self._entries(pkg.rows("blacklist.jsonl"))
        except fmt.PackageError as exc:
            self.s.blacklists.record_refusal(
                "share.refused",
                subject_type="partner",
                subject_id=str(partner.id),
                actor=actor,
                ip=ip,
                payload={"partner": partner.name, "file": path.name, "reason": exc.message},
            )
            raise fmt.PackageError(
                f"{path.name} from {partner.name}: refused, nothing stored: {exc.message}"
            ) from exc
        if (
            self.session.scalar(
                select(SharedImport).where(
                    SharedImport.partner_id == partner.id,
                    SharedImport.manifest_sha256 == pkg.sha256,
                )
            )
            is not None
        ):
            raise Conflict(f"this package from {partner.name} was imported already")
        now = self.clock.now()
        created = _date(pkg.manifest.get("created"))
        imp = SharedImport(
            partner_id=partner.id,
            manifest_sha256=pkg.sha256,
            created_at=created,
            imported_at=now,
            imported_by=actor.id,
            counts={},
        )
        self.session.add(imp)
        self.session.flush()
        stored = unusable = 0
        for item, (info, fps) in items.items():
            if not fps:
                unusable += 1
                continue
            self._replace_item(partner, item)
            ref = Reference(source=SHARED_SOURCE, active=True, created_at=now)
            ref.fingerprints = fingerprint_rows(fps)
            self.session.add(ref)
            self.session.flush()
            self.session.add(
                SharedItem(
                    partner_id=partner.id,
                    import_id=imp.id,
                    item=item,
                    reference_id=ref.id,
                    title=str(info.get("title") or item)[:500],
                    work_type=str(info.get("work_type") or "other")[:16],
                    holder=(str(info["holder"])[:200] if info.get("holder") else None),
                    reason=str(info.get("reason") or "") or None,
                    tags=[str(t) for t in info.get("tags") or []],
                    created_at=now,
                )
            )
            stored += 1
        listed = self.s.blacklists.add_many(
            entries,
            partner_source(partner.name),
            actor,
            default_reason=f"listed by partner {partner.name}",
        )
        if partner.trust == Trust.IGNORE:
            for e in self.session.scalars(
                select(BlacklistEntry).where(BlacklistEntry.batch == listed.batch)
            ):
                e.active = False
        imp.counts = {
            "items": stored,
            "unusable_items": unusable,
            "hash_rows": len(hashes),
            "blacklist_added": listed.added,
            "blacklist_already_listed": listed.already_listed,
        }
        self.session.flush()
        audit.append(
            self.session,
            at=now,
            action="share.import",
            subject_type="share_package",
            subject_id=pkg.sha256,
            actor_id=actor.id,
            actor_ip=ip,
            payload={
                "partner": partner.name,
                "import_id": imp.id,
                "trust": partner.trust,
                **imp.counts,
            },
        )
        return {"import_id": imp.id, "partner": partner.name, "trust": partner.trust, **imp.counts}

    def _items(self, rows: list[dict[str, Any]]) -> dict[str, tuple[dict[str, Any], list[Any]]]:
        items: dict[str, tuple[dict[str, Any], list[Any]]] = {}
        for n, row in enumerate(rows, start=1):
            item = row.get("item")
            if not isinstance(item, str) or not item or len(item) > 100:
                raise fmt.PackageError(f"hashes.jsonl line {n}: no item id")
            try:
                fp = fmt.fingerprint_of(row)
            except (KeyError, ValueError, TypeError) as exc:
                raise fmt.PackageError(f"hashes.jsonl line {n}: bad fingerprint ({exc})") from exc
            info, fps = items.setdefault(item, (row, []))
            if fp is not None:
                fps.append(fp)
        return items

    def _entries(self, rows: list[dict[str, Any]]) -> list[Row]:
        out: list[Row] = []
        errors: list[str] = []
        for n, row in enumerate(rows, start=1):
            try:
                kind = Kind(str(row.get("kind")))
                pattern = str(row.get("pattern") or "")
                key = pattern_key(kind, pattern)
            except ValueError as exc:
                errors.append(f"blacklist.jsonl line {n}: {exc}")
                continue
            out.append(
                Row(
                    n,
                    kind.value,
                    pattern,
                    key,
                    str(row.get("reason") or "") or None,
                    _date(row.get("listed_at")),
                )
            )
        if errors:
            raise fmt.PackageError("; ".join(errors))
        return out

    def _replace_item(self, partner: Partner, item: str) -> None:
        # a later package from the same partner supersedes what an earlier one said
        for old in self.session.scalars(
            select(SharedItem).where(SharedItem.partner_id == partner.id, SharedItem.item == item)
        ):
            ref = self.session.get(Reference, old.reference_id)
            if ref is not None:
                ref.active = False

    def items(self, partner_name: str | None = None) -> list[SharedItem]:
        q = select(SharedItem).order_by(SharedItem.id)
        if partner_name is not None:
            q = q.where(SharedItem.partner_id == self.partner(partner_name).id)
        return list(self.session.scalars(q))

    # -- screening -----------------------------------------------------------------------

    def match_fact(self, ref: Reference, m: Any) -> MatchFacts | None:
        """What the screen makes of a match with a shared item (None: not used). Keyed
        by the negative reference id: the work is not registered here."""
        shared = self.session.scalar(select(SharedItem).where(SharedItem.reference_id == ref.id))
        if shared is None or shared.partner.trust == Trust.IGNORE:
            return None
        return MatchFacts(
            work_id=-ref.id,
            title=f"{shared.title} (reported by partner {shared.partner.name})",
            work_type=shared.work_type,
            holder_id=-1,
            score=m.score,
            signal=m.signal,
            exact=m.signal == "exact",
            priority=None,
            licence_id=None,
            evidence={
                **m.evidence,
                "shared": {
                    "partner": shared.partner.name,
                    "item": shared.item,
                    "reason": shared.reason,
                },
            },
            shared=shared.partner.trust,
        )


def _trust(value: str) -> Trust:
    try:
        return Trust(value)
    except ValueError:
        raise InvalidInput(f"trust must be one of {', '.join(t.value for t in Trust)}") from None


def _date(value: Any) -> datetime | None:
    if not value:
        return None
    try:
        return datetime.fromisoformat(str(value))
    except ValueError:
        return None


def partner_view(p: Partner) -> dict[str, Any]:
    return {
        "id": p.id,
        "name": p.name,
        "key_id": p.key_id,
        "trust": p.trust,
        "added_at": p.added_at.isoformat(),
        "trust_changed_at": p.trust_changed_at.isoformat() if p.trust_changed_at else None,
    }
