"""EPUB books: the chapters in reading order (the package's spine), each read as XHTML.

Plain ``zipfile`` and the OPF package file, as the EPUB standard lays them out, rather
than ``ebooklib``: the few steps needed (container -> package -> spine -> chapters) are
short, and every part goes through the same size and ratio limits as any archive.
Chapters protected by DRM (listed in ``META-INF/encryption.xml``) are left out, and a book
whose chapters all are is refused with that reason.
"""

from __future__ import annotations

import posixpath
from pathlib import Path
from urllib.parse import unquote

from safeharbor.documents import xmlsafe
from safeharbor.documents.html import html_text
from safeharbor.documents.limits import Limits
from safeharbor.documents.result import ExtractedText, cut_note
from safeharbor.documents.zipparts import Parts
from safeharbor.signals.base import SignalError

WHAT = "The EPUB book"
_CONTAINER = "{urn:oasis:names:tc:opendocument:xmlns:container}"
_OPF = "{http://www.idpf.org/2007/opf}"
_ENC = "{http://www.w3.org/2001/04/xmlenc#}"
_CHAPTER_TYPES = {"application/xhtml+xml", "text/html", "application/x-dtbook+xml"}


def epub_text(source: Path | bytes, limits: Limits, max_chars: int) -> ExtractedText:
    parts = Parts.open(source, limits, WHAT)
    try:
        return _read(parts, max_chars)
    finally:
        parts.close()


def _read(parts: Parts, max_chars: int) -> ExtractedText:
    container = xmlsafe.parse(parts.read("META-INF/container.xml"), WHAT)
    rootfile = container.find(f".//{_CONTAINER}rootfile")
    opf_path = rootfile.get("full-path") if rootfile is not None else None
    if not opf_path:
        raise SignalError(f"{WHAT} is damaged: it does not say where its package file is")
    opf = xmlsafe.parse(parts.read(opf_path), WHAT)
    base = posixpath.dirname(opf_path)
    manifest = {
        item.get("id"): (item.get("href") or "", item.get("media-type") or "")
        for item in opf.iter(f"{_OPF}item")
    }
    encrypted = _encrypted(parts)
    chapters: list[str] = []
    for ref in opf.iter(f"{_OPF}itemref"):
        href, media_type = manifest.get(ref.get("idref"), ("", ""))
        if href and media_type in _CHAPTER_TYPES:
            chapters.append(posixpath.normpath(posixpath.join(base, unquote(href))))
    if not chapters:
        raise SignalError(f"{WHAT} is damaged: its reading order lists no chapters")
    notes: list[str] = []
    locked = [c for c in chapters if c in encrypted]
    if locked and len(locked) == len(chapters):
        raise SignalError(f"{WHAT} is protected by DRM, so its text cannot be read")
    if locked:
        notes.append(
            f"{len(locked)} of {len(chapters)} chapters are protected by DRM and were not read"
        )
    texts: list[str] = []
    count = 0
    missing = 0
    for chapter in chapters:
        if chapter in encrypted:
            continue
        if not parts.has(chapter):
            missing += 1
            continue
        text, chapter_notes = html_text(parts.read(chapter), max_chars - count, WHAT)
        notes.extend(n for n in chapter_notes if n not in notes and "longer than" not in n)
        if text:
            texts.append(text)
            count += len(text) + 1
        if count >= max_chars:
            notes.append(cut_note(max_chars))
            break
    if missing:
        notes.append(f"{missing} of {len(chapters)} chapters are missing from the book")
    return ExtractedText("\n".join(texts)[:max_chars], "epub", tuple(notes))


def _encrypted(parts: Parts) -> set[str]:
    """Parts listed as encrypted (DRM; font obfuscation also lists fonts, never chapters)."""
    if not parts.has("META-INF/encryption.xml"):
        return set()
    root = xmlsafe.parse(parts.read("META-INF/encryption.xml"), WHAT)
    return {
        posixpath.normpath(unquote(ref.get("URI") or ""))
        for ref in root.iter(f"{_ENC}CipherReference")
    }
