"""Running every applicable signal type over one piece of content."""

from __future__ import annotations

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


def fingerprint_view(fp: Fingerprint) -> dict[str, Any]:
    """A fingerprint as recorded with a decision (hex value, what it covers)."""
    return {"signal": fp.signal, "kind": fp.kind, "value": fp.hex(), "meta": fp.meta}


__all__ = ["SignalError", "extract_all", "fingerprint_view"]
