"""Compare two files as the screen would: the first as a registered reference, the second
as an upload, each signal with an index of its own holding only the reference.

The result keeps, per signal, the best match and its passages (character spans for text,
line spans for code, seconds for audio and video), and the readable text of both sides
(per archive member, for a project), so ``report_html`` can put them side by side.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from safeharbor.screening.fingerprinting import extract_all
from safeharbor.screening.sniff import sniff_bytes, sniff_path
from safeharbor.signals import all_signals
from safeharbor.signals.base import Media, Role, SignalError, SignalMatch, SignalType

#: text shown per file; a reviewer does not read more, and the page stays small
MAX_SHOWN_CHARS = 2_000_000
#: files of an archive shown side by side (those with passages come first)
MAX_SHOWN_FILES = 50


@dataclass(frozen=True)
class Passage:
    """One matched part: where in the upload, where in the reference (in ``unit``)."""

    signal: str
    unit: str  # char | line | s
    query: tuple[float, float]
    reference: tuple[float, float]
    query_file: str = ""
    reference_file: str = ""
    weight: float = 0.0  # the signal's own count (shared hashes, aligned pictures...)

    def view(self) -> dict[str, Any]:
        return {
            "signal": self.signal,
            "unit": self.unit,
            "query": list(self.query),
            "reference": list(self.reference),
            "query_file": self.query_file,
            "reference_file": self.reference_file,
            "weight": self.weight,
        }


@dataclass
class Side:
    name: str
    modality: str
    mime: str
    #: readable text per file name ("" for a single file), for text, documents and code
    texts: dict[str, str] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


@dataclass
class Comparison:
    reference: Side
    upload: Side
    matches: list[SignalMatch]
    passages: list[Passage]

    @property
    def score(self) -> float:
        return max((m.score for m in self.matches), default=0.0)

    def view(self) -> dict[str, Any]:
        return {
            "reference": {"name": self.reference.name, "modality": self.reference.modality},
            "upload": {"name": self.upload.name, "modality": self.upload.modality},
            "score": self.score,
            "matches": [
                {
                    "signal": m.signal,
                    "score": m.score,
                    "query_span": m.query_span.as_list() if m.query_span else None,
                    "reference_span": m.reference_span.as_list() if m.reference_span else None,
                    "evidence": m.evidence,
                }
                for m in self.matches
            ],
            "passages": [p.view() for p in self.passages],
            "notes": self.reference.notes + self.upload.notes,
        }


def compare_files(
    reference: Path,
    upload: Path,
    *,
    reference_name: str | None = None,
    upload_name: str | None = None,
    signals: Sequence[SignalType] | None = None,
) -> Comparison:
    """Match ``upload`` against ``reference`` alone. Raises ``SignalError`` for content
    that cannot be read."""
    sigs = list(signals) if signals is not None else all_signals()
    ref_media = _media(reference, reference_name or reference.name)
    up_media = _media(upload, upload_name or upload.name)
    ref_fps = extract_all(ref_media, Role.REFERENCE, sigs)
    up_fps = extract_all(up_media, Role.QUERY, sigs)
    matches: list[SignalMatch] = []
    for signal in sigs:
        index = signal.new_index()
        index.add(1, ref_fps)
        found = index.search(up_fps, 0.0)
        if found:
            matches.append(found[0])
    matches.sort(key=lambda m: -m.score)
    passages = [p for m in matches for p in passages_of(m)]
    return Comparison(_side(ref_media), _side(up_media), matches, passages)


def passages_of(m: SignalMatch) -> list[Passage]:
    """The passages a signal's evidence lists, in one shape (text gives ``query`` and
    ``reference`` characters, code ``query_lines`` and ``reference_lines`` with files);
    a signal that lists none gives its whole match as one passage."""
    unit = m.query_span.unit if m.query_span else "s"
    out: list[Passage] = []
    for p in m.evidence.get("passages") or []:
        q = p.get("query") or p.get("query_lines")
        r = p.get("reference") or p.get("reference_lines")
        if not q or not r:
            continue
        out.append(
            Passage(
                m.signal,
                unit,
                (float(q[0]), float(q[1])),
                (float(r[0]), float(r[1])),
                str(p.get("query_file") or ""),
                str(p.get("reference_file") or ""),
                float(p.get("weighted_hashes") or p.get("hashes") or 0.0),
            )
        )
    if not out and m.query_span is not None and m.reference_span is not None:
        out.append(
            Passage(
                m.signal,
                m.query_span.unit,
                (m.query_span.start, m.query_span.end),
                (m.reference_span.start, m.reference_span.end),
                weight=float(m.evidence.get("evidence") or m.evidence.get("dense") or 0.0),
            )
        )
    return out


def _media(path: Path, name: str) -> Media:
    found = sniff_path(path, name)
    return Media(found.modality, found.mime, path=path, name=name)


def _side(media: Media) -> Side:
    side = Side(media.name or "", media.modality, media.mime)
    if media.modality in ("text", "document", "code"):
        text, note = _readable(media)
        side.texts[media.name or ""] = text
        if note:
            side.notes.append(note)
    elif media.modality == "archive":
        from safeharbor.documents.archives import ArchiveReader

        reader = ArchiveReader()
        assert media.path is not None
        for m in reader.members(media.path, name=media.name):
            if len(side.texts) >= MAX_SHOWN_FILES:
                side.notes.append(f"only the first {MAX_SHOWN_FILES} files are shown")
                break
            data = m.read()
            found = sniff_bytes(data, m.name)
            if found.modality in ("text", "document", "code"):
                text, _ = _readable(Media(found.modality, found.mime, data=data, name=m.name))
                side.texts[m.name] = text
        side.notes.extend(reader.notes)
    return side


def _readable(media: Media) -> tuple[str, str | None]:
    """The text the signals read (so their offsets point into it)."""
    try:
        if media.modality == "code":
            from safeharbor.signals.code_tokens import decode_source

            text = decode_source(media.read())
        else:
            from safeharbor.signals.text import read_text

            text = read_text(media)[0]
    except SignalError as exc:
        return "", str(exc)
    if len(text) > MAX_SHOWN_CHARS:
        return text[:MAX_SHOWN_CHARS], f"only the first {MAX_SHOWN_CHARS:,} characters are shown"
    return text, None
