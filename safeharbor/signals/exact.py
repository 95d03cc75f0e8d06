"""Exact copies: the SHA-256 of the bytes. Always on and the cheapest signal."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

from safeharbor.signals.base import (
    Fingerprint,
    Media,
    Role,
    SignalIndex,
    SignalMatch,
    SignalType,
)


class ExactIndex(SignalIndex):
    def __init__(self) -> None:
        self._by_hash: dict[bytes, set[int]] = {}
        self._by_ref: dict[int, list[bytes]] = {}

    def add(self, ref_id: int, fingerprints: Sequence[Fingerprint]) -> None:
        for fp in fingerprints:
            if fp.signal != ExactSignal.name:
                continue
            self._by_hash.setdefault(fp.value, set()).add(ref_id)
            self._by_ref.setdefault(ref_id, []).append(fp.value)

    def remove(self, ref_id: int) -> None:
        for value in self._by_ref.pop(ref_id, []):
            refs = self._by_hash.get(value)
            if refs is not None:
                refs.discard(ref_id)
                if not refs:
                    del self._by_hash[value]

    def search(self, query: Sequence[Fingerprint], min_score: float) -> list[SignalMatch]:
        out: list[SignalMatch] = []
        for fp in query:
            if fp.signal != ExactSignal.name:
                continue
            for ref_id in sorted(self._by_hash.get(fp.value, ())):
                out.append(
                    SignalMatch(ref_id=ref_id, score=1.0, signal=ExactSignal.name, distance=0.0)
                )
        return out

    def __len__(self) -> int:
        return len(self._by_ref)


class ExactSignal(SignalType):
    name = "exact"
    modalities = frozenset(
        {"image", "video", "audio", "text", "document", "code", "archive", "binary"}
    )

    def extract(self, media: Media, role: Role) -> list[Fingerprint]:
        digest = hashlib.sha256(media.read()).digest()
        return [Fingerprint(signal=self.name, kind="sha256", value=digest)]

    def new_index(self) -> SignalIndex:
        return ExactIndex()
