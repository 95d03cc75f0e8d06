"""PDF text through PDFium (``pypdfium2``), in a child process under a time and memory
limit (see ``pdf_worker``).

PDFium (Chrome's PDF engine) was chosen over the pure-Python readers for speed (a
500-page book in about a second, on every upload) and because it copes with the broken
files real uploads are; a C library reading hostile files is exactly why it runs in its
own process. A PDF whose pages hold no text at all is a scan: ``no_text_layer``.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

from safeharbor.documents.limits import Limits
from safeharbor.documents.result import ExtractedText, cut_note
from safeharbor.signals.base import SignalError

_WORKER = Path(__file__).with_name("pdf_worker.py")


def pdf_text(source: Path | bytes, limits: Limits, max_chars: int) -> ExtractedText:
    """The text of the PDF at ``source`` (a path, or the bytes)."""
    where = "-" if isinstance(source, bytes) else str(source.resolve())
    try:
        done = subprocess.run(
            [sys.executable, "-I", str(_WORKER), str(max_chars), str(limits.pdf_max_pages),
             str(limits.pdf_memory_bytes), where],
            input=source if isinstance(source, bytes) else b"",
            capture_output=True,
            timeout=limits.pdf_timeout_s,
            check=False,
        )  # fmt: skip
    except subprocess.TimeoutExpired:
        raise SignalError(
            f"The PDF could not be read within {limits.pdf_timeout_s:g} seconds: it is "
            "malformed (for example its pages refer to each other in a loop) or too complex."
        ) from None
    try:
        report = json.loads(done.stdout) if done.returncode == 0 else None
    except ValueError:
        report = None
    if not isinstance(report, dict):
        raise SignalError("The PDF is damaged: reading it failed (it may be truncated).")
    if report.get("error") == "password":
        raise SignalError("The PDF is protected by a password, so its text cannot be read.")
    if report.get("error"):
        raise SignalError("The PDF is damaged or truncated and cannot be read.")
    return _result(report, limits, max_chars)


def _result(report: dict[str, Any], limits: Limits, max_chars: int) -> ExtractedText:
    pages = int(report.get("pages", 0))
    texts = [str(t) for t in report.get("texts", [])]
    failed = [int(n) for n in report.get("failed", [])]
    notes: list[str] = []
    if pages == 0:
        raise SignalError("The PDF has no pages.")
    if failed and len(failed) >= min(pages, limits.pdf_max_pages):
        raise SignalError(
            f"The PDF is damaged: none of its {pages:,} pages could be read "
            "(its page tree may loop or be broken)."
        )
    if failed:
        shown = ", ".join(str(n) for n in failed[:10]) + (" ..." if len(failed) > 10 else "")
        notes.append(f"{len(failed)} of {pages} pages could not be read (pages {shown})")
    if pages > limits.pdf_max_pages:
        notes.append(f"only the first {limits.pdf_max_pages:,} of {pages:,} pages were read")
    if report.get("cut"):
        notes.append(cut_note(max_chars))
    blank = sum(1 for t in texts if not t.strip())
    if texts and blank == len(texts):
        notes.append(
            "the PDF has no text layer: its pages are images (a scan), so no text was read"
        )
        return ExtractedText("", "pdf", tuple(notes), no_text_layer=True)
    if blank:
        notes.append(f"{blank} of {pages} pages have no text (scanned pages are not read)")
    return ExtractedText("\n".join(t.strip("\n") for t in texts), "pdf", tuple(notes))
