"""The tamper-evident ledger over the record (Certificate Transparency style, RFC 6962/9162).

The log is the ``records`` table: record ``id`` is leaf index + 1 and its ``leaf_hash`` is
SHA-256(0x00 || canonical JSON document). This service is the log's *sequencer*:

* ``integrate`` seals the records appended since the last tree head, in id order, up to the
  highest id with no gap before it. On PostgreSQL ids come from a sequence and transactions
  commit out of order, so id 8 may be visible while id 7 is still in flight: only a
  contiguous run is sealed. An id whose transaction rolled back never appears; once the
  record after it is older than ``GAP_GRACE`` the hole is filled with a ``ledger.gap``
  record of that very id (inserting it waits on, and then loses to, a transaction that
  still holds the id, so a late commit is never overwritten). On SQLite ids are assigned
  under the write lock and a gap can only be a deletion, so it is never filled: ``verify``
  reports it. Each new leaf writes the nodes of the perfect subtrees it completes
  (``LedgerNode``: amortised two rows per record); the root folds the O(log n) subtrees of
  the right edge. The new head is signed (``sth.py`` documents the signed bytes).
* It runs on demand (head, proofs, verify, publish) and on every scheduler tick, not at
  the end of every transaction that appends a record: that would cost a signature and a
  serialisation point per request. A CT log likewise promises only a maximum merge delay;
  ours is one scheduler interval (a minute under ``safeharbor serve``).
* ``verify`` recomputes everything from the rows, streaming in batches: each document's
  leaf hash, that ids run from 1 with no hole, every stored node level by level, every
  signed head's root, key and signature, and that consecutive heads are consistent. It
  names the first record (or node, or head) that does not check out.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass
from datetime import timedelta
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from sqlalchemy import and_, func, insert, or_, select, text
from sqlalchemy.exc import IntegrityError

from safeharbor.audit import service as audit
from safeharbor.audit.models import Record
from safeharbor.errors import Conflict, InvalidInput, NotFound
from safeharbor.evidence import keys, merkle, sth
from safeharbor.evidence.models import LedgerNode, TreeHead

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from safeharbor.accounts.models import User
    from safeharbor.platform import Services

log = logging.getLogger("safeharbor.ledger")

T = TypeVar("T")
#: rows read (records, nodes) per query while integrating or verifying
BATCH = 5_000
#: how long a hole in the ids may stay before it is taken for a rolled-back transaction
GAP_GRACE = timedelta(minutes=10)
#: any fixed number: the PostgreSQL advisory lock that makes integration one at a time
_LOCK_ID = 6962
Progress = Callable[[int, int], None]


class LedgerError(Conflict):
    """The stored tree cannot answer (a node is missing): run ``safeharbor ledger verify``."""


def head_view(head: TreeHead) -> dict[str, Any]:
    """A signed tree head as JSON (the shape ``sth.verify_sth`` checks)."""
    return {
        "tree_size": head.tree_size,
        "timestamp": head.timestamp,
        "root_hash": head.root_hash,
        "signature": head.signature,
        "key_id": head.key_id,
    }


@dataclass
class Failure:
    """The first thing that does not check out: a record, a stored node, or a head."""

    kind: str  # "record" | "node" | "head"
    reason: str
    record_id: int | None = None
    tree_size: int | None = None
    level: int | None = None
    index: int | None = None

    def describe(self) -> str:
        if self.kind == "head":
            return f"tree head of size {self.tree_size}: {self.reason}"
        if self.kind == "node":
            return f"ledger node (level {self.level}, index {self.index}): {self.reason}"
        return f"record {self.record_id}: {self.reason}"


@dataclass
class VerifyResult:
    ok: bool
    tree_size: int  # the largest signed head's
    records: int  # records checked
    nodes: int  # stored nodes checked
    heads: int  # signed heads checked
    failure: Failure | None = None
    #: ids after the sealed tree that wait on a transaction still in flight (PostgreSQL)
    pending_after: int | None = None

    def view(self) -> dict[str, Any]:
        out = asdict(self)
        out["failure"] = (
            {**asdict(self.failure), "message": self.failure.describe()} if self.failure else None
        )
        return out


class LedgerService:
    def __init__(self, services: Services) -> None:
        self.services = services
        self.session = services.session
        self.clock = services.platform.clock
        self.settings = services.platform.settings

    # -- the key ------------------------------------------------------------------------

    def signing_key(self) -> Ed25519PrivateKey:
        return self.services.platform.signing_key()

    def public_key_pem(self) -> str:
        return keys.public_pem(self.signing_key())

    def key_id(self) -> str:
        return keys.key_id(self.signing_key())

    # -- sequencing ---------------------------------------------------------------------

    def latest(self) -> TreeHead | None:
        """The latest signed head, without integrating."""
        return self.session.scalar(select(TreeHead).order_by(TreeHead.tree_size.desc()).limit(1))

    def integrate(self) -> TreeHead:
        """Seal the records appended since the last head; return the latest head (a new
        one only if something was sealed; the empty tree's head on a new ledger)."""
        if self.session.get_bind().dialect.name == "postgresql":
            # one sequencer at a time: the lock is held until this transaction ends
            self.session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _LOCK_ID})
        last = self.latest()
        size = last.tree_size if last else 0
        newer = self.session.scalar(select(Record.id).where(Record.id > size).limit(1))
        if last is not None and newer is None:
            return last  # the common case for a proof: nothing to seal, nothing written
        try:
            with self.session.begin_nested():
                grown, frontier = self._seal_from(size)
                if last is not None and grown == size:
                    return last
                return self._sign(grown, merkle.fold(h for _, h in frontier), last)
        except IntegrityError:
            # another process sealed the same records first (SQLite has no advisory lock)
            head = self.latest()
            if head is None:
                raise
            return head

    def _seal_from(self, size: int) -> tuple[int, list[tuple[int, bytes]]]:
        """Seal the contiguous run after ``size``: (new size, right-edge subtrees)."""
        frontier = self._frontier(size)
        pending: list[dict[str, Any]] = []
        expected = size + 1
        while True:
            rows = self.session.execute(
                select(Record.id, Record.document, Record.leaf_hash, Record.at)
                .where(Record.id >= expected)
                .order_by(Record.id)
                .limit(BATCH)
            ).all()
            if not rows:
                break
            stop = refill = False
            for rid, document, stored, _at in rows:
                if rid != expected:
                    # a hole: filled (then read again, filler first) or the end of the run
                    refill = self._fill_gap(expected, _at) is not None
                    stop = not refill
                    break
                if audit.leaf_hash(document) != stored:
                    # sealing a rewritten record would make the rewrite the evidence
                    log.warning("record %d does not hash to its leaf hash: not sealed", rid)
                    stop = True
                    break
                _add_leaf(frontier, expected - 1, bytes.fromhex(stored), pending)
                expected += 1
            if len(pending) >= 4 * BATCH:
                self._write_nodes(pending)
            if stop:
                break
        self._write_nodes(pending)
        return expected - 1, frontier

    def _fill_gap(self, record_id: int, next_at: Any) -> Record | None:
        """A ``ledger.gap`` record for an id that never committed (PostgreSQL only), once
        the record after it is older than GAP_GRACE; None while the hole may still fill."""
        if self.session.get_bind().dialect.name != "postgresql":
            return None
        now = self.clock.now()
        if now - next_at < GAP_GRACE:
            return None
        doc = {
            "at": now.isoformat(),
            "action": "ledger.gap",
            "subject": {"type": "ledger", "id": str(record_id)},
            "actor": {"id": None, "ip": None},
            "payload": {"reason": "this id was taken by a transaction that never committed"},
        }
        document = audit.canonical_json(doc)
        rec = Record(
            id=record_id,
            at=now,
            action="ledger.gap",
            subject_type="ledger",
            subject_id=str(record_id),
            document=document,
            leaf_hash=audit.leaf_hash(document),
        )
        try:
            with self.session.begin_nested():
                self.session.add(rec)
                self.session.flush()
        except IntegrityError:
            return None  # the transaction holding the id committed after all: read it next
        return rec

    def _frontier(self, size: int) -> list[tuple[int, bytes]]:
        coords = merkle.perfect_subtrees(0, size)
        found = self._fetch_nodes(coords)
        try:
            return [(level, found[(level, index)]) for level, index in coords]
        except KeyError as exc:
            raise LedgerError(f"ledger node {exc.args[0]} is missing: run ledger verify") from exc

    def _write_nodes(self, pending: list[dict[str, Any]]) -> None:
        for i in range(0, len(pending), BATCH):
            self.session.execute(insert(LedgerNode), pending[i : i + BATCH])
        pending.clear()

    def _sign(self, size: int, root: bytes, last: TreeHead | None) -> TreeHead:
        now = self.clock.now()
        ts = int(now.timestamp() * 1000)
        if last is not None:
            ts = max(ts, last.timestamp)  # a clock set back must not make history go back
        signed = sth.sign_sth(self.signing_key(), size, ts, root)
        head = TreeHead(
            tree_size=size,
            root_hash=signed["root_hash"],
            timestamp=ts,
            signature=signed["signature"],
            key_id=signed["key_id"],
            created_at=now,
        )
        self.session.add(head)
        self.session.flush()
        return head

    # -- reading ------------------------------------------------------------------------

    def head(self) -> dict[str, Any]:
        """The latest signed tree head (integrating first)."""
        return head_view(self.integrate())

    def heads(self, after: int = -1, limit: int | None = None) -> list[dict[str, Any]]:
        """Signed heads in order of size, those larger than ``after``."""
        q = select(TreeHead).where(TreeHead.tree_size > after).order_by(TreeHead.tree_size)
        if limit is not None:
            q = q.limit(limit)
        return [head_view(h) for h in self.session.scalars(q)]

    def head_at(self, tree_size: int) -> TreeHead:
        head = self.session.scalar(select(TreeHead).where(TreeHead.tree_size == tree_size))
        if head is None:
            raise NotFound(
                f"no signed tree head of size {tree_size} (the heads: safeharbor ledger head)"
            )
        return head

    def inclusion(self, record_id: int, tree_size: int | None = None) -> dict[str, Any]:
        """The audit path proving record ``record_id`` is in the tree of a signed head (the
        latest, or the one of ``tree_size``)."""
        latest = self.integrate()
        head = latest if tree_size is None else self.head_at(tree_size)
        n = head.tree_size
        if not 1 <= record_id <= n:
            raise NotFound(f"record {record_id} is not in the tree of size {n}")
        index = record_id - 1
        leaf, path = self._with_nodes(
            lambda get: (get(0, index), merkle.inclusion_path(index, n, get))
        )
        return {
            "record_id": record_id,
            "leaf_index": index,
            "tree_size": n,
            "leaf_hash": leaf.hex(),
            "audit_path": [h.hex() for h in path],
            "head": head_view(head),
        }

    def consistency(self, first: int, second: int) -> dict[str, Any]:
        """The proof that the signed tree of size ``first`` is a prefix of that of size
        ``second`` (both must be signed heads)."""
        if first > second:
            raise InvalidInput(f"the first size ({first}) is larger than the second ({second})")
        self.integrate()
        a, b = self.head_at(first), self.head_at(second)
        path = self._with_nodes(lambda get: merkle.consistency_path(first, second, get))
        return {
            "first": first,
            "second": second,
            "consistency_path": [h.hex() for h in path],
            "first_head": head_view(a),
            "second_head": head_view(b),
        }

    def _fetch_nodes(self, coords: list[tuple[int, int]]) -> dict[tuple[int, int], bytes]:
        found: dict[tuple[int, int], bytes] = {}
        by_level: dict[int, list[int]] = {}
        for level, index in set(coords):
            by_level.setdefault(level, []).append(index)
        if not by_level:
            return found
        # one (level = L AND index IN ...) per level: both backends answer it from the
        # primary key (SQLite scans the table for a row-value IN list)
        rows = self.session.execute(
            select(LedgerNode.level, LedgerNode.index, LedgerNode.hash).where(
                or_(
                    *(
                        and_(LedgerNode.level == level, LedgerNode.index.in_(indexes))
                        for level, indexes in by_level.items()
                    )
                )
            )
        )
        for level, index, h in rows:
            found[(level, index)] = bytes(h)
        return found

    def _with_nodes(self, build: Callable[[merkle.NodeGetter], T]) -> T:
        """Run a proof builder with the nodes it needs read in ONE query: a first pass
        only notes which (level, index) it asks for (they depend on sizes, not hashes)."""
        wanted: list[tuple[int, int]] = []

        def note(level: int, index: int) -> bytes:
            wanted.append((level, index))
            return merkle.EMPTY_ROOT

        build(note)
        found = self._fetch_nodes(wanted)

        def get(level: int, index: int) -> bytes:
            try:
                return found[(level, index)]
            except KeyError:
                raise LedgerError(
                    f"ledger node (level {level}, index {index}) is missing: run ledger verify"
                ) from None

        return build(get)

    # -- verification -------------------------------------------------------------------

    def verify(self, progress: Progress | None = None) -> VerifyResult:
        """Recompute the ledger from the records and check every stored node and head;
        the result names the first record, node or head that fails."""
        with contextlib.suppress(LedgerError):  # what breaks it, the walk below reports
            self.integrate()
        heads = list(self.session.scalars(select(TreeHead).order_by(TreeHead.id)))
        size = max((h.tree_size for h in heads), default=0)
        n_records = self.session.scalar(select(func.count()).select_from(Record)) or 0
        n_nodes = self.session.scalar(select(func.count()).select_from(LedgerNode)) or 0
        total = n_records + n_nodes
        done = [0]

        def tick(k: int = 1) -> None:
            done[0] += k
            if progress is not None and (done[0] % 1000 == 0 or done[0] == total):
                progress(done[0], total)

        result = VerifyResult(ok=True, tree_size=size, records=0, nodes=0, heads=0)
        # signatures first (a forged head must not pass for missing records), then the
        # records, then the nodes above them, then each head's root over the checked tree
        failure = (
            self._check_signatures(heads)
            or self._check_leaves(size, result, tick)
            or self._check_levels(size, n_nodes, result, tick)
            or self._check_heads(heads, result)
        )
        if failure is not None:
            result.ok = False
            result.failure = failure
        if progress is not None:
            progress(total, total)
        return result

    def _records(self) -> Iterator[tuple[int, str, str]]:
        last = 0
        while True:
            rows = self.session.execute(
                select(Record.id, Record.document, Record.leaf_hash)
                .where(Record.id > last)
                .order_by(Record.id)
                .limit(BATCH)
            ).all()
            if not rows:
                return
            for row in rows:
                yield row[0], row[1], row[2]
            last = rows[-1][0]

    def _level(self, level: int) -> Iterator[tuple[int, bytes]]:
        last = -1
        while True:
            rows = self.session.execute(
                select(LedgerNode.index, LedgerNode.hash)
                .where(LedgerNode.level == level, LedgerNode.index > last)
                .order_by(LedgerNode.index)
                .limit(BATCH)
            ).all()
            if not rows:
                return
            for index, h in rows:
                yield index, bytes(h)
            last = rows[-1][0]

    def _check_leaves(
        self, size: int, result: VerifyResult, tick: Callable[[], None]
    ) -> Failure | None:
        """Level 0: each document against its leaf hash, ids from 1 without a hole, and
        each leaf hash against the one sealed."""
        nodes = self._level(0)
        sealed = next(nodes, None)
        expected = 1
        for rid, document, stored in self._records():
            if rid != expected:
                if expected > size and self._holes_may_fill():
                    result.pending_after = expected - 1
                    return None
                covered = (
                    f": the signed tree head of size {size} covers it" if expected <= size else ""
                )
                return Failure(
                    "record", f"missing (the next record is {rid}){covered}", record_id=expected
                )
            if audit.leaf_hash(document) != stored:
                return Failure(
                    "record", "its document does not hash to its leaf hash (edited)", record_id=rid
                )
            if rid <= size:
                if sealed is None or sealed[0] != rid - 1:
                    return Failure(
                        "node", f"the leaf of record {rid} is missing", rid, None, 0, rid - 1
                    )
                if sealed[1].hex() != stored:
                    return Failure(
                        "record",
                        "its leaf hash is not the one sealed in the ledger (rewritten)",
                        record_id=rid,
                    )
                sealed = next(nodes, None)
                result.nodes += 1
                tick()
            elif rid == size + 1:
                return Failure("record", "not sealed in the ledger", record_id=rid)
            result.records += 1
            expected += 1
            tick()
        if expected - 1 < size:
            return Failure(
                "record",
                f"missing: the signed tree head of size {size} covers it",
                record_id=expected,
            )
        if sealed is not None:
            return Failure("node", "a leaf with no record", None, None, 0, sealed[0])
        return None

    def _holes_may_fill(self) -> bool:
        # only PostgreSQL leaves holes that a transaction in flight may still fill
        return self.session.get_bind().dialect.name == "postgresql"

    def _check_levels(
        self, size: int, n_nodes: int, result: VerifyResult, tick: Callable[[], None]
    ) -> Failure | None:
        """Levels 1 and up: each stored node against the hash of its two stored children
        (the level below is checked first, so the chain reaches the records)."""
        level = 1
        while size >> level:
            children = self._level(level - 1)
            parents = self._level(level)
            for j in range(size >> level):
                first = j * (1 << level) + 1
                span = f"records {first}-{first + (1 << level) - 1}"
                _, left = next(children)
                _, right = next(children)
                got = next(parents, None)
                if got is None or got[0] != j:
                    return Failure("node", f"missing (over {span})", first, None, level, j)
                if got[1] != merkle.node_hash(left, right):
                    return Failure(
                        "node",
                        f"does not hash its children (over {span}): altered",
                        first,
                        None,
                        level,
                        j,
                    )
                result.nodes += 1
                tick()
            extra = next(parents, None)
            if extra is not None:
                return Failure("node", "beyond the sealed tree", None, None, level, extra[0])
            level += 1
        expected = sum(size >> k for k in range(size.bit_length() + 1))
        if n_nodes != expected:
            return Failure("node", f"{n_nodes - expected} stored nodes are beyond the sealed tree")
        return None

    def _check_signatures(self, heads: list[TreeHead]) -> Failure | None:
        """Each head signed by the platform's key."""
        pub = self.signing_key().public_key()
        kid = keys.key_id(pub)
        for h in heads:
            n = h.tree_size
            if h.key_id != kid:
                return Failure("head", f"signed by another key ({h.key_id[:16]}...)", tree_size=n)
            if not sth.verify_sth(head_view(h), pub):
                return Failure("head", "its signature does not verify", tree_size=n)
        return None

    def _check_heads(self, heads: list[TreeHead], result: VerifyResult) -> Failure | None:
        """Each head's root is the root of the (checked) records; consecutive heads grow
        and are consistent."""
        prev: TreeHead | None = None
        for h in heads:
            n = h.tree_size
            try:
                root = self._with_nodes(partial(merkle.tree_root, n))
            except LedgerError as exc:
                return Failure("head", exc.message, tree_size=n)
            if root.hex() != h.root_hash:
                return Failure("head", "its root hash is not the root of the records", tree_size=n)
            if prev is not None:
                if n <= prev.tree_size or h.timestamp < prev.timestamp:
                    return Failure(
                        "head", f"does not follow the head of size {prev.tree_size}", tree_size=n
                    )
                a, b = prev.tree_size, n
                path = self._with_nodes(partial(merkle.consistency_path, a, b))
                if not merkle.verify_consistency(a, b, bytes.fromhex(prev.root_hash), root, path):
                    return Failure("head", f"not consistent with the head of size {a}", tree_size=n)
            result.heads += 1
            prev = h
        return None

    # -- publishing ---------------------------------------------------------------------

    def publish(self, path: Path, actor: User | None = None) -> dict[str, Any]:
        """Write every signed head (JSON lines, after a first line with the public key) so
        outsiders can hold the platform to its history; the act itself is recorded."""
        latest = self.integrate()
        heads = self.heads()
        audit.append(
            self.session,
            at=self.clock.now(),
            action="ledger.publish",
            subject_type="ledger",
            subject_id=str(latest.tree_size),
            actor_id=actor.id if actor else None,
            payload={"tree_size": latest.tree_size, "heads": len(heads), "file": path.name},
        )
        lines = [json.dumps(self.key_document(), sort_keys=True)]
        lines += [json.dumps({"kind": "head", **h}, sort_keys=True) for h in heads]
        tmp = path.with_name(path.name + ".tmp")
        tmp.write_text("\n".join(lines) + "\n", encoding="utf-8")
        os.replace(tmp, path)
        return {"file": str(path), "heads": len(heads), "tree_size": latest.tree_size}

    def key_document(self) -> dict[str, Any]:
        return {"kind": "key", "key_id": self.key_id(), "public_key": self.public_key_pem()}


def _add_leaf(
    frontier: list[tuple[int, bytes]], index: int, leaf: bytes, out: list[dict[str, Any]]
) -> None:
    """Append leaf ``index`` to the right edge ``frontier`` (perfect subtrees, largest
    first), recording in ``out`` the leaf and every subtree it completes."""
    out.append({"level": 0, "index": index, "hash": leaf})
    level, cur, pos = 0, leaf, index
    while frontier and frontier[-1][0] == level:
        cur = merkle.node_hash(frontier.pop()[1], cur)
        level += 1
        pos >>= 1
        out.append({"level": level, "index": pos, "hash": cur})
    frontier.append((level, cur))
