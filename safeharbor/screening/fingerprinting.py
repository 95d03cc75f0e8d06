"""Running every applicable signal type over one piece of content."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import Any

from safeharbor.signals.base import Fingerprint, Media, Role, SignalError, SignalType


def extract_all(media: Media, role: Role, signals: Sequence[SignalType]) -> list[Fingerprint]:
    """Fingerprints from every signal that applies to the content's modality.

    A signal that cannot read content of its own modality (an image that does not decode)
    raises ``SignalError``: such content is not screened as if it were harmless.
    """
    out: list[Fingerprint] = []
    for signal in signals:
        if signal.applies_to(media):
            out.extend(signal.extract(media, role))
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
