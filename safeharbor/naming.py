"""File names as people see them.

File names on Linux are bytes; Python hands undecodable ones over as lone surrogates,
which no database or JSON encoder accepts. They are shown with U+FFFD in their place.
"""

from __future__ import annotations

import os
from pathlib import Path

from safeharbor.errors import InvalidInput


def clean_title(title: str) -> str:
    """A title as typed by a person: trimmed, one line, no control characters, 500 at most."""
    if len(title) > 500:
        raise InvalidInput("title is longer than 500 characters")
    title = " ".join(display_name(title.replace("\n", " ").replace("\t", " ")).split())
    if not title:
        raise InvalidInput("a title cannot be empty")
    return title


def display_name(name: str | Path) -> str:
    text = os.fsencode(name).decode("utf-8", "replace") if isinstance(name, Path) else name
    text = text.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
    return "".join(ch if ch.isprintable() else "\ufffd" for ch in text)[:500]
