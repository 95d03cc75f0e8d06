"""Running every applicable signal type over one piece of content."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import Any

from safeharbor.signals.base import Fingerprint, Media, Role, SignalError, SignalType


def extract_all(media: Media, role: Role, signals: Sequence[SignalType]) -> list[Fingerprint]:
    """Fingerprints from every signal that applies to the content's modality.

    A signal that cannot read content of its own modality (an image that does not decode)
    raises ``SignalError``: such content is not screened as if it were harmless. An
    archive (zip, tar) is screened member by member: each member is sniffed and
    fingerprinted as if uploaded alone, and its fingerprints name it (``meta["member"]``),
    so a project's source files, or a film inside a zip, are matched like any upload.
    """
    out: list[Fingerprint] = []
    for signal in signals:
        if signal.applies_to(media):
            out.extend(signal.extract(media, role))
    if media.modality == "archive":
        out.extend(_members(media, role, signals))
    return out


def _members(media: Media, role: Role, signals: Sequence[SignalType]) -> list[Fingerprint]:
    # imported here: the document readers pull in lxml and pdfium, which most uploads
    # (pictures, videos) never need
    from safeharbor.documents.archives import ArchiveReader
    from safeharbor.screening.sniff import sniff_bytes, sniff_path

    reader = ArchiveReader()
    source = media.path if media.path is not None and media.data is None else media.read()
    out: list[Fingerprint] = []
    unread: list[str] = []
    for m in reader.members(source, name=media.name):
        data = m.data
        if data is not None:
            found = sniff_bytes(data, m.name)
        else:
            assert m.path is not None  # a member is in memory or in a temporary file
            found = sniff_path(m.path, m.name)
        if found.modality == "archive":
            continue  # nested archives are opened by the reader itself
        member = Media(found.modality, found.mime, path=m.path, data=data, name=m.name)
        for signal in signals:
            if not signal.applies_to(member):
                continue
            try:
                fps = signal.extract(member, role)
            except SignalError as exc:
                # one unreadable member does not hide the others; the note says which
                unread.append(f"{m.name}: {exc}")
                continue
            out.extend(
                Fingerprint(fp.signal, fp.kind, fp.value, fp.quality, {**fp.meta, "member": m.name})
                for fp in fps
            )
    notes = list(reader.notes)
    if unread:
        notes.append(f"{len(unread)} member(s) could not be read: " + "; ".join(unread[:5]))
    if notes and out:
        first = out[0]
        note = "; ".join(filter(None, [str(first.meta.get("note") or ""), *notes]))
        out[0] = Fingerprint(
            first.signal,
            first.kind,
            first.value,
            first.quality,
            {**first.meta, "note": note[:2000]},
        )
    return out


#: fingerprints up to this size are recorded whole with a decision; larger ones (keypoints,
#: audio landmarks, frame sequences: tens of kilobytes) by their SHA-256, since the
#: fingerprints themselves are stored with the work or upload they describe
INLINE_BYTES = 256


def fingerprint_view(fp: Fingerprint) -> dict[str, Any]:
    """A fingerprint as recorded with a decision (hex value or digest, what it covers)."""
    view: dict[str, Any] = {"signal": fp.signal, "kind": fp.kind, "meta": fp.meta}
    if len(fp.value) <= INLINE_BYTES:
        view["value"] = fp.hex()
    else:
        view["sha256"] = hashlib.sha256(fp.value).hexdigest()
        view["bytes"] = len(fp.value)
    return view


__all__ = ["SignalError", "extract_all", "fingerprint_view"]
