"""Subtitle files (SRT, ASS/SSA, WebVTT): the spoken lines in time order, without
timings, styling tags, comments or drawings. Parsed with ``pysubs2``, which reads all
three formats into one event model."""

from __future__ import annotations

import re

import pysubs2

from safeharbor.signals.base import SignalError

#: ``{\p1}`` switches an ASS event to vector drawing: its "text" is path commands
_DRAWING = re.compile(r"\{[^}]*\\p[1-9]")

_FORMATS = {"application/x-subrip": "srt", "text/x-ssa": "ass", "text/vtt": "vtt"}


def subtitle_format(mime: str) -> str | None:
    return _FORMATS.get(mime)


def subtitle_text(source: str, fmt: str) -> str:
    """One line of text per subtitle event, in time order (the order on screen)."""
    try:
        subs = pysubs2.SSAFile.from_string(source, format_=fmt)
    except Exception as exc:  # pysubs2 raises a mix of its own and built-in errors
        raise SignalError(f"The {fmt.upper()} subtitles are damaged and cannot be read") from exc
    lines: list[str] = []
    # sorted() is stable: events shown at the same moment keep their file order
    for event in sorted(subs.events, key=lambda e: e.start):
        if event.is_comment or _DRAWING.search(event.text):
            continue
        line = " ".join(event.plaintext.split())
        if line and (not lines or lines[-1] != line):  # karaoke/effects repeat lines
            lines.append(line)
    return "\n".join(lines)
