"""Plain text in any supported encoding, read in chunks so a huge file (a 1 GB line with
no newline in it) costs no more than ``max_chars`` characters of memory."""

from __future__ import annotations

import codecs
import io
from typing import IO

from safeharbor.documents.encodings import SAMPLE_BYTES, Guess, detect, odd_share_fast
from safeharbor.documents.result import cut_note
from safeharbor.signals.base import Media, SignalError

_CHUNK = 1024 * 1024
#: a chunk this odd is binary data, not text with a few bad bytes
_BINARY_SHARE = 0.3
#: below this share of odd code points a chunk is text with a few bad bytes
_MAX_ODD_CHUNK = 0.01

NOT_TEXT = (
    "The file is not readable text: it holds binary data, or text in an encoding that is "
    "not supported (UTF-8, UTF-16, GBK, Big5 and Windows-1252 are)."
)


def open_media(media: Media) -> IO[bytes]:
    try:
        if media.data is not None:
            return io.BytesIO(media.data)
        assert media.path is not None
        return media.path.open("rb")
    except OSError as exc:
        raise SignalError(f"The file could not be read from storage ({exc}).") from None


def decode_bytes(data: bytes, max_chars: int) -> tuple[str, list[str]]:
    """``read_text`` for bytes already in memory (an HTML part, a subtitle file)."""
    return read_text(io.BytesIO(data), max_chars)


def read_text(fh: IO[bytes], max_chars: int) -> tuple[str, list[str]]:
    """(text, notes) of a text stream; raises ``SignalError`` when it is not text."""
    sample = fh.read(SAMPLE_BYTES)
    more = fh.read(1)
    guess = detect(sample, complete=not more)
    if guess is None:
        if not sample:
            return "", []
        raise SignalError(NOT_TEXT)
    notes = [f"the text encoding was guessed as {guess.label}"] if guess.guessed else []
    decoder = codecs.getincrementaldecoder(guess.encoding)(errors="replace")
    parts: list[str] = []
    count = replaced = 0
    pending = sample + more
    while pending:
        chunk = decoder.decode(pending)
        binary_at = _binary_start(chunk)
        if binary_at is not None:
            chunk = chunk[:binary_at]
            pending = b""
        if binary_at is not None and count + len(chunk) <= max_chars:
            parts.append(chunk)
            notes.append(
                f"the file turns into binary data after {count + len(chunk):,} characters: "
                "only the text before it was read"
            )
            break
        replaced += chunk.count("\ufffd")
        if count + len(chunk) > max_chars:
            parts.append(chunk[: max_chars - count])
            count = max_chars
            notes.append(cut_note(max_chars))
            break
        parts.append(chunk)
        count += len(chunk)
        pending = fh.read(_CHUNK)
    else:
        tail = decoder.decode(b"", final=True)
        replaced += tail.count("\ufffd")
        parts.append(tail[: max(0, max_chars - count)])
    text = "".join(parts)
    if parts and parts[0].startswith("\ufeff"):
        text = text[1:]
    if replaced:
        notes.append(_replaced_note(guess, replaced))
    return text, notes


def _binary_start(chunk: str, window: int = 256) -> int | None:
    """Where binary data begins in ``chunk`` (the first window that is mostly odd code
    points, cut at its first odd one), or None when it is text throughout."""
    if odd_share_fast(chunk) <= _MAX_ODD_CHUNK:
        return None
    for start in range(0, len(chunk), window):
        if odd_share_fast(chunk[start : start + window]) > _BINARY_SHARE:
            piece = chunk[start : start + window]
            return start + next(i for i, c in enumerate(piece) if odd_share_fast(c))
    return None


def _replaced_note(guess: Guess, n: int) -> str:
    return (
        f"{n:,} characters are not valid {guess.label} (the file mixes encodings or is "
        "damaged) and were replaced"
    )
