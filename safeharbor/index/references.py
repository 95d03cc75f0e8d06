"""The in-process indexes of reference fingerprints, one per signal type, built from the
database and kept current.

Every reference ever stored is indexed; whether a match counts (the work is approved, the
stay-down entry is live) is decided from the database when a match is found, so a status
change made by another process (the CLI beside a running server) takes effect at once.
New references are picked up incrementally, by id, before each search.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from safeharbor.registry.models import Reference, ReferenceFingerprint
from safeharbor.signals import all_signals
from safeharbor.signals.base import Fingerprint, SignalIndex, SignalMatch, SignalType


def to_fingerprint(row: ReferenceFingerprint) -> Fingerprint:
    return Fingerprint(
        signal=row.signal, kind=row.kind, value=row.value, quality=row.quality, meta=row.meta
    )


@dataclass
class _Loaded:
    signal: SignalType
    index: SignalIndex


class ReferenceIndex:
    def __init__(self, signals: Sequence[SignalType] | None = None) -> None:
        self.signals = list(signals or all_signals())
        self._indexes = {s.name: _Loaded(s, s.new_index()) for s in self.signals}
        self._max_ref_id = 0
        self._lock = threading.Lock()

    def refresh(self, session: Session) -> int:
        """Load references added since the last refresh; returns how many were added."""
        with self._lock:
            refs = session.scalars(
                select(Reference.id).where(Reference.id > self._max_ref_id).order_by(Reference.id)
            ).all()
            if not refs:
                return 0
            rows = session.scalars(
                select(ReferenceFingerprint)
                .where(ReferenceFingerprint.reference_id.in_(refs))
                .order_by(ReferenceFingerprint.reference_id, ReferenceFingerprint.id)
            ).all()
            by_ref: dict[int, list[Fingerprint]] = {}
            for row in rows:
                by_ref.setdefault(row.reference_id, []).append(to_fingerprint(row))
            for ref_id, fps in by_ref.items():
                self._add_locked(ref_id, fps)
            self._max_ref_id = max(refs)
            return len(refs)

    def add(self, ref_id: int, fingerprints: Sequence[Fingerprint]) -> None:
        with self._lock:
            self._add_locked(ref_id, fingerprints)
            self._max_ref_id = max(self._max_ref_id, ref_id)

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
        return out

    def size(self) -> dict[str, int]:
        return {name: len(loaded.index) for name, loaded in self._indexes.items()}
