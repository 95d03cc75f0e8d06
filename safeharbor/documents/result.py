"""What every reader returns (kept apart so the format modules need not import each other)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ExtractedText:
    text: str  # the readable text, in reading order
    format: str  # "plain" | "html" | "pdf" | "epub" | "docx" | "odt" | "srt" | "ass" | "vtt"
    #: plain-words notes for the user: encoding guessed, text cut at the limit...
    notes: tuple[str, ...] = ()
    #: a scanned PDF (pages, no text): to be reported as such, never as "no match"
    no_text_layer: bool = False


def cut_note(max_chars: int) -> str:
    return (
        f"the text is longer than {max_chars:,} characters: only the first {max_chars:,} were read"
    )
