"""The in-process indexes of reference fingerprints, one per signal type, built from the
database and kept current.

Every reference ever committed is indexed; whether a match counts (the work is approved, the
stay-down entry is live) is decided from the database when a match is found, so a status
change made by another process (the CLI beside a running server) takes effect at once.
New references are picked up incrementally, by id, before each search.

An index whose build is costly (the image keypoints' trained inverted file: minutes at
100,000 references) is kept in ``cache_dir`` once built, and adopted at the next start
after the references are loaded, instead of being rebuilt (``SignalIndex.save``/``load``).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select

from safeharbor.db import Database
from safeharbor.registry.models import Reference, ReferenceFingerprint
from safeharbor.signals import all_signals
from safeharbor.signals.base import Fingerprint, SignalIndex, SignalMatch, SignalType

log = logging.getLogger(__name__)


def to_fingerprint(row: ReferenceFingerprint) -> Fingerprint:
    return Fingerprint(
        signal=row.signal, kind=row.kind, value=row.value, quality=row.quality, meta=row.meta
    )


@dataclass
class _Loaded:
    signal: SignalType
    index: SignalIndex


class ReferenceIndex:
    LOOKBACK = 10_000

    def __init__(
        self,
        sources: Sequence[str] = ("work", "staydown"),
        signals: Sequence[SignalType] | None = None,
        cache_dir: Path | None = None,
    ) -> None:
        #: which kinds of reference this index holds (``Reference.source``)
        self.sources = tuple(sources)
        #: where costly indexes are kept between runs (one folder per signal); None: nowhere
        self.cache_dir = cache_dir / "-".join(self.sources) if cache_dir else None
        self.signals = list(signals or all_signals())
        self._indexes = {s.name: _Loaded(s, s.new_index()) for s in self.signals}
        self._max_ref_id = 0
        self._loaded: set[int] = set()
        self._lock = threading.Lock()

    def refresh(self, db: Database) -> int:
        """Load references committed since the last refresh; returns how many were added.

        Reads through its own session, so a reference whose registration is later rolled
        back never enters the index (its id could be reused by another work). Ids are
        handed out before commit, so a transaction may commit a lower id after a higher
        one has been loaded: the last ``LOOKBACK`` ids are checked again for such gaps."""
        with self._lock, db.sessions() as session:
            low = max(0, self._max_ref_id - self.LOOKBACK)
            ids = set(
                session.scalars(
                    select(Reference.id).where(
                        Reference.id > low, Reference.source.in_(self.sources)
                    )
                ).all()
            )
            new = ids - self._loaded
            if not new:
                return 0
            # Plain rows, not ORM objects: a cold start loads every reference there is.
            rows = session.execute(
                select(
                    ReferenceFingerprint.reference_id,
                    ReferenceFingerprint.signal,
                    ReferenceFingerprint.kind,
                    ReferenceFingerprint.value,
                    ReferenceFingerprint.quality,
                    ReferenceFingerprint.meta,
                )
                .where(
                    # a few new references (the usual case) by id; a cold start by range
                    ReferenceFingerprint.reference_id.in_(sorted(new))
                    if len(new) <= 500
                    else ReferenceFingerprint.reference_id > low
                )
                .order_by(ReferenceFingerprint.reference_id, ReferenceFingerprint.id)
            ).all()
            by_ref: dict[int, list[Fingerprint]] = {}
            for ref_id, signal, kind, value, quality, meta in rows:
                if ref_id in new:
                    by_ref.setdefault(ref_id, []).append(
                        Fingerprint(
                            signal=signal, kind=kind, value=value, quality=quality, meta=meta
                        )
                    )
            for ref_id, fps in by_ref.items():
                self._add_locked(ref_id, fps)
            for loaded in self._indexes.values():
                loaded.index.settle()
            cold = not self._loaded
            self._loaded |= new
            if cold and self.cache_dir is not None:
                for name, loaded in self._indexes.items():
                    if loaded.index.load(self.cache_dir / name):
                        log.info("%s index: adopted the copy kept in %s", name, self.cache_dir)
            self._max_ref_id = max(self._max_ref_id, *new)
            return len(new)

    def _add_locked(self, ref_id: int, fingerprints: Sequence[Fingerprint]) -> None:
        for name, loaded in self._indexes.items():
            mine = [fp for fp in fingerprints if fp.signal == name]
            if mine:
                loaded.index.add(ref_id, mine)

    def search(self, fingerprints: Sequence[Fingerprint], min_score: float) -> list[SignalMatch]:
        out: list[SignalMatch] = []
        with self._lock:
            for name, loaded in self._indexes.items():
                mine = [fp for fp in fingerprints if fp.signal == name]
                if mine:
                    out.extend(loaded.index.search(mine, min_score))
                    if self.cache_dir is not None:
                        self._save_locked(self.cache_dir, name, loaded.index)
        return out

    @staticmethod
    def _save_locked(cache_dir: Path, name: str, index: SignalIndex) -> None:
        # a search is where a costly index gets (re)built, so it is kept right after one;
        # an index that cannot be written costs a rebuild at the next start, nothing more
        try:
            if index.save(cache_dir / name):
                log.info("%s index: kept a copy in %s", name, cache_dir)
        except OSError as exc:
            log.warning("%s index: could not keep a copy in %s (%s)", name, cache_dir, exc)

    def size(self) -> dict[str, int]:
        return {name: len(loaded.index) for name, loaded in self._indexes.items()}
