"""The one interface every signal type implements.

Modelled on python-threatexchange: a signal type is one small class that knows how to
turn content into fingerprints (``extract``) and how to build a searchable index of
reference fingerprints (``new_index``). Adding a modality means adding one module under
``safeharbor/signals/`` and listing it in ``safeharbor/signals/__init__.py``; the
screening path, the registry and the CLI pick it up from there.
"""

from __future__ import annotations

import abc
import enum
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar


class Role(enum.StrEnum):
    """Why content is being fingerprinted: references and queries may be hashed differently.

    A reference is hashed once and kept (so it may carry extra region hashes); a query is
    hashed on every upload (so it carries the variants that undo the infringer's edits,
    such as flips and rotations).
    """

    REFERENCE = "reference"
    QUERY = "query"


class SignalError(Exception):
    """Content could not be fingerprinted (corrupt, truncated, too large...).

    The message is shown to the uploader or operator as is, so it must say what is wrong
    in plain words.
    """


@dataclass(frozen=True)
class Media:
    """Content handed to a signal: the bytes (or a path to them) and the sniffed type."""

    modality: str  # image, video, audio, text, document, code, archive, binary
    mime: str
    path: Path | None = None
    data: bytes | None = None
    #: the name it was uploaded under: never trusted for the type (``sniff`` reads the
    #: bytes), only as a hint where the bytes cannot tell (which programming language a
    #: source file is in)
    name: str | None = None

    def read(self) -> bytes:
        if self.data is not None:
            return self.data
        assert self.path is not None
        return self.path.read_bytes()


@dataclass(frozen=True)
class Fingerprint:
    """One fingerprint of one piece of content.

    ``signal`` names the signal type that made it; ``kind`` distinguishes the hashes a
    signal makes (for images: ``global`` for the whole picture, ``region`` for a crop);
    ``value`` is the hash itself; ``meta`` holds what a reviewer needs to understand it
    (the region, the variant, the quality). Fingerprints are stored with the work or the
    upload and recorded with each decision.
    """

    signal: str
    kind: str
    value: bytes
    quality: int = 100
    meta: dict[str, Any] = field(default_factory=dict, hash=False, compare=False)

    def hex(self) -> str:
        return self.value.hex()


@dataclass(frozen=True)
class Span:
    """A part of the content: seconds for audio/video, characters or lines for text/code."""

    start: float
    end: float
    unit: str = "s"

    def as_list(self) -> list[float]:
        return [self.start, self.end]


@dataclass(frozen=True)
class SignalMatch:
    """A reference found in the index for a query.

    ``score`` is in [0, 1]; each signal calibrates its score so that the policy's
    thresholds (``config.Thresholds``) mean the same false-match rate for every signal:
    at ``score >= 0.80`` fewer than 1 in 10,000 unrelated items match, at ``0.65`` (the
    priority threshold) fewer than 1 in 1,000.
    """

    ref_id: int
    score: float
    signal: str
    distance: float | None = None
    query_span: Span | None = None
    reference_span: Span | None = None
    evidence: dict[str, Any] = field(default_factory=dict)


class SignalIndex(abc.ABC):
    """A searchable store of reference fingerprints for one signal type.

    Built from the database at start-up (``add`` for every stored reference fingerprint)
    and kept current as works are approved or withdrawn.
    """

    @abc.abstractmethod
    def add(self, ref_id: int, fingerprints: Sequence[Fingerprint]) -> None: ...

    @abc.abstractmethod
    def remove(self, ref_id: int) -> None: ...

    @abc.abstractmethod
    def search(self, query: Sequence[Fingerprint], min_score: float) -> list[SignalMatch]:
        """Best match per reference with ``score >= min_score``, best first."""

    @abc.abstractmethod
    def __len__(self) -> int:
        """Number of references held."""

    def settle(self) -> None:
        """Do now the work additions left pending (merging them into the arrays a search
        reads), so that the next upload's search does not pay for it. Called after the
        references are loaded; indexes that search their additions as they are need not
        do anything."""
        return None

    def save(self, folder: Path) -> bool:
        """Keep what is costly to rebuild (a trained index) in ``folder``, if it changed
        since the last save; returns whether anything was written. Most indexes rebuild
        from the fingerprints in seconds and keep nothing."""
        return False

    def load(self, folder: Path) -> bool:
        """Adopt what ``save`` kept, after the references have been ``add``-ed; returns
        False (and changes nothing) when there is nothing usable."""
        return False


class SignalType(abc.ABC):
    """One way of recognising content. Subclasses are small and stateless."""

    name: ClassVar[str]
    #: modalities (as sniffed) this signal can fingerprint
    modalities: ClassVar[frozenset[str]]

    @abc.abstractmethod
    def extract(self, media: Media, role: Role) -> list[Fingerprint]:
        """Fingerprints of ``media``; raises ``SignalError`` on content it cannot read."""

    @abc.abstractmethod
    def new_index(self) -> SignalIndex: ...

    def applies_to(self, media: Media) -> bool:
        return media.modality in self.modalities


def best_per_ref(matches: Iterable[SignalMatch]) -> list[SignalMatch]:
    """Keep the highest-scoring match for each reference, best first."""
    best: dict[int, SignalMatch] = {}
    for m in matches:
        cur = best.get(m.ref_id)
        if cur is None or m.score > cur.score:
            best[m.ref_id] = m
    return sorted(best.values(), key=lambda m: (-m.score, m.ref_id))


def score_from_chance(chance: float) -> float:
    """The score of a match expected ``chance`` times among unrelated items (a signal's
    chance model): 0.65 at 1e-3, 0.80 at 1e-4, 0.95 at 1e-5, 1.0 below about 5e-6. Every
    signal with a chance model maps it this way, so the thresholds mean one rate."""
    if chance <= 0:
        return 1.0
    return round(min(1.0, max(0.0, 0.20 - 0.15 * math.log10(chance))), 4)
