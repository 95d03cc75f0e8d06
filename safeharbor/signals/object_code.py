"""Object code: a compiled file compared with registered source by its names and strings.

When only a binary is uploaded (ELF, PE, a Java class, a .pyc or anything else), its
structure cannot be compared with source code, but what the compiler keeps verbatim can:
the names of functions and classes in the symbol tables (unless stripped) and the string
literals in the read-only data. So:

* at ``Role.REFERENCE`` the code signal emits a ``symbols`` fingerprint (signal
  ``object_code``, so that the reference index hands it to this signal's index): hashes
  of the program's *distinctive* items, the names it defines (functions, classes: not the
  library functions it calls, which every program using that library shares) and its
  string literals, escapes undone and split at line breaks as the compiler stores them;
* this signal (modality ``binary``) extracts the printable strings of the upload
  (``printable_strings``), the identifier-like parts of each (``main.parseRecord`` in Go,
  ``pkg/Class`` in Java) and the names inside C++ mangled symbols, and hashes them alike;
* the index counts, per reference, the distinct items the binary contains.

Common names must not count: defined names need ``MIN_NAME`` characters and must not be
in ``COMMON_NAMES`` (``main``, ``init``, ``usage``...) or reserved (``__x``); strings need
``MIN_STRING`` characters and ``MIN_LETTERS`` letters. libc symbols never count, since a
program does not define them.

**Review, not decision**: the score is capped at ``REVIEW_CAP`` (0.79, below the 0.80
that acts on its own) whatever the overlap. Shared names and messages say that a binary
was probably built from the program, not how much of it; a human has to look (the
evidence says so).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from safeharbor.signals.base import (
    Fingerprint,
    Media,
    Role,
    SignalError,
    SignalIndex,
    SignalMatch,
    SignalType,
)
from safeharbor.signals.base import (
    score_from_chance as base_score,
)

if TYPE_CHECKING:
    from safeharbor.signals.code_tokens import Program

FORMAT = "object-code-1"
#: the highest score an object-code match gets: flagged for review, never acted on alone
REVIEW_CAP = 0.79
MIN_NAME = 5
MIN_STRING = 8
MIN_LETTERS = 4
#: binaries are read up to this size
MAX_BYTES = 256 << 20
#: a binary must hold at least MIN_MATCHED of the reference's items and MIN_SHARE of them:
#: a binary built from the program keeps most of its names and messages, while unrelated
#: binaries that share many items share them with large references (a DWARF reader's
#: "DW_AT_*" names, an assembler's mnemonics), a small part of each
MIN_MATCHED = 3
MIN_SHARE = 0.5
#: log10 P(an unrelated binary holds >= m items and >= MIN_SHARE of them) = A - B * m.
#: Measured (300 ELF files of /usr/bin, binutils and GCC's
#: own tools left out, x 269 C files of binutils and GCC: 80,700 pairs): P(m >= 2) =
#: 10**-3.05, P(m >= 3) = 10**-4.21, P(m >= 8) = 10**-4.9, and every pair from m >= 4 on
#: is real shared code (gnulib's obstack.c in wc, tar and sed; bfd's elf.c in gdb). The
#: line lies above all of them (more chance than measured): m >= 8 is needed for review
#: (0.60) with 1,000 references.
CHANCE_A = -2.2
CHANCE_B = 0.45
MIN_REFS = 1000

#: defined names too common to be evidence (entry points, conventional helpers)
COMMON_NAMES = frozenset(
    {
        "main", "init", "setup", "usage", "start", "close", "reset", "parse", "print",
        "write", "update", "process", "handle", "handler", "create", "delete", "insert",
        "remove", "append", "value", "values", "index", "count", "length", "string",
        "object", "error", "result", "config", "options", "helper", "execute", "cleanup",
        "destroy", "render", "toString", "equals", "hashCode", "compareTo", "getName",
        "setName", "getValue", "setValue", "constructor", "initialize", "finalize",
        "default", "Exception", "Error", "Main", "Program", "Application", "String",
        "test", "tests", "runTests", "version", "Handler", "Config", "Options",
    }
)  # fmt: skip

_PRINTABLE = re.compile(rb"[\x20-\x7e\t]{5,}")
_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_MANGLED_PART = re.compile(r"(\d+)")


def _hash(item: str) -> int:
    return int.from_bytes(hashlib.blake2b(item.encode("utf-8"), digest_size=8).digest(), "little")


def _hashes(items: Iterable[str]) -> np.ndarray:
    return np.unique(np.asarray([_hash(i) for i in items], dtype=np.uint64))


def distinctive_name(name: str) -> bool:
    return len(name) >= MIN_NAME and not name.startswith("__") and name not in COMMON_NAMES


def distinctive_string(piece: str) -> bool:
    return len(piece) >= MIN_STRING and sum(c.isalpha() for c in piece) >= MIN_LETTERS


def string_pieces(literal: str) -> list[str]:
    """A literal as it appears among printable strings: split at line breaks and
    non-printable characters, each piece stripped."""
    return [p.strip() for p in re.split(r"[^\x20-\x7e]+", literal) if p.strip()]


def reference_items(program: Program) -> set[str]:
    items = {n for n in program.names if distinctive_name(n)}
    for s in program.strings:
        items.update(p for p in string_pieces(s) if distinctive_string(p))
    return items


def symbols_fingerprint(program: Program, file: str) -> Fingerprint | None:
    """The ``symbols`` fingerprint of a reference source file (None if it has no
    distinctive item)."""
    items = reference_items(program)
    if not items:
        return None
    meta: dict[str, Any] = {"file": file, "language": program.language, "format": FORMAT}
    meta["items"] = len(items)
    return Fingerprint(ObjectCodeSignal.name, "symbols", _hashes(items).tobytes(), meta=meta)


def _demangled_names(s: str) -> list[str]:
    """Names inside an Itanium C++ mangled symbol (``_ZN3Foo7computeEv`` -> Foo, compute):
    each is written as its length followed by its characters."""
    out: list[str] = []
    pos = 2
    while True:
        m = _MANGLED_PART.search(s, pos)
        if m is None:
            return out
        n, start = int(m.group(1)), m.end()
        if n <= 0 or start + n > len(s):
            return out
        out.append(s[start : start + n])
        pos = start + n


def printable_strings(data: bytes) -> set[str]:
    """Printable ASCII runs of a binary, stripped, and the names inside them."""
    out: set[str] = set()
    for m in _PRINTABLE.finditer(data):
        run = m.group().decode("ascii").strip()
        if not run:
            continue
        out.add(run)
        out.update(_IDENT.findall(run))
        for word in run.split():
            if word.startswith("_Z"):
                out.update(_demangled_names(word))
    return out


class ObjectCodeSignal(SignalType):
    """Compiled programs whose names and strings are those of a registered program."""

    name = "object_code"
    modalities = frozenset({"binary"})

    def extract(self, media: Media, role: Role) -> list[Fingerprint]:
        if role is Role.REFERENCE:
            # registered binaries are covered by the exact signal; what this signal
            # compares against is the registered *source* (``symbols``, from the code signal)
            return []
        try:
            data = media.read()[:MAX_BYTES]
        except OSError as exc:
            raise SignalError(f"The file could not be read from storage ({exc}).") from None
        items = printable_strings(data)
        if not items:
            return []
        meta = {"file": media.name or "", "items": len(items), "format": FORMAT}
        return [Fingerprint(self.name, "strings", _hashes(items).tobytes(), meta=meta)]

    def new_index(self) -> SignalIndex:
        return ObjectCodeIndex()


def expected_chance(matched: int, refs: int) -> float:
    return float(10.0 ** (CHANCE_A - CHANCE_B * matched) * max(refs, MIN_REFS))


def score_from_chance(chance: float) -> float:
    """As the other signals (1e-3 -> 0.65, 1e-4 -> 0.80), then capped at ``REVIEW_CAP``."""
    return min(REVIEW_CAP, base_score(chance))


class ObjectCodeIndex(SignalIndex):
    """Item hash -> reference, numpy arrays sorted by hash."""

    def __init__(self) -> None:
        self._h = np.zeros(0, np.uint64)
        self._ref = np.zeros(0, np.int64)
        self._items: dict[int, np.ndarray] = {}

    def __len__(self) -> int:
        return len(self._items)

    def add(self, ref_id: int, fingerprints: Sequence[Fingerprint]) -> None:
        new = [
            np.frombuffer(fp.value, np.uint64)
            for fp in fingerprints
            if fp.signal == ObjectCodeSignal.name
            and fp.kind == "symbols"
            and len(fp.value) % 8 == 0
        ]
        if not new:
            return
        old = self._items.get(ref_id)
        if old is not None:  # another file of the same project
            self.remove(ref_id)
            new.append(old)
        h = np.unique(np.concatenate(new))
        self._items[ref_id] = h
        allh = np.concatenate([self._h, h])
        allr = np.concatenate([self._ref, np.full(len(h), ref_id, np.int64)])
        order = np.argsort(allh, kind="stable")
        self._h, self._ref = allh[order], allr[order]

    def remove(self, ref_id: int) -> None:
        self._items.pop(ref_id, None)
        keep = self._ref != ref_id
        self._h, self._ref = self._h[keep], self._ref[keep]

    def search(self, query: Sequence[Fingerprint], min_score: float) -> list[SignalMatch]:
        qs = [
            np.frombuffer(fp.value, np.uint64)
            for fp in query
            if fp.signal == ObjectCodeSignal.name
            and fp.kind == "strings"
            and len(fp.value) % 8 == 0
        ]
        if not qs or not len(self._h):
            return []
        q = np.unique(np.concatenate(qs))
        hit = np.isin(self._h, q)
        refs, counts = np.unique(self._ref[hit], return_counts=True)
        out: list[SignalMatch] = []
        for ref_id, m in zip(refs.tolist(), counts.tolist(), strict=True):
            total = len(self._items[ref_id])
            if m < MIN_MATCHED or m < MIN_SHARE * total:
                continue
            chance = expected_chance(m, len(self._items))
            score = score_from_chance(chance)
            if score < min_score:
                continue
            out.append(
                SignalMatch(
                    ref_id=int(ref_id),
                    score=score,
                    signal=ObjectCodeSignal.name,
                    evidence={
                        "matched_items": m,
                        "reference_items": total,
                        "expected_chance": chance,
                        "review": (
                            "object code: the binary contains names and strings of the "
                            "registered source; a person must compare them (score capped "
                            f"at {REVIEW_CAP})"
                        ),
                    },
                )
            )
        out.sort(key=lambda x: (-x.score, x.ref_id))
        return out
