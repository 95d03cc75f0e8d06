"""Text from an upload, whatever document format it came in: the one entry point the text
signals use.

The format is the sniffed mime type (``screening.sniff``: the bytes decide, not the
name); a ``Media`` with a mime type this module does not know is sniffed here. Each
format has its own small reader; every reader is bounded by ``Limits`` and turns broken
input into a ``SignalError`` whose message can be shown to the uploader as is.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from safeharbor.documents import zipkind
from safeharbor.documents.epub import epub_text
from safeharbor.documents.html import html_text
from safeharbor.documents.limits import DEFAULT, MAX_CHARS, Limits
from safeharbor.documents.office import docx_text, odt_text
from safeharbor.documents.pdf import pdf_text
from safeharbor.documents.plain import open_media, read_text
from safeharbor.documents.result import ExtractedText, cut_note
from safeharbor.documents.subtitles import subtitle_format, subtitle_text
from safeharbor.signals.base import Media, SignalError

__all__ = ["MAX_CHARS", "ExtractedText", "Limits", "extract_text"]

_Packed = Callable[[Path | bytes, Limits, int], ExtractedText]
#: formats read from the whole file (binary containers)
_PACKED: dict[str, _Packed] = {
    "application/pdf": pdf_text,
    zipkind.EPUB: epub_text,
    zipkind.DOCX: docx_text,
    zipkind.ODT: odt_text,
}
_TEXT_MODALITIES = frozenset({"text", "code"})


def extract_text(
    media: Media, *, max_chars: int = MAX_CHARS, limits: Limits = DEFAULT
) -> ExtractedText:
    """The readable text of ``media``, at most ``max_chars`` characters of it.

    Raises ``SignalError`` with a plain-words message when the content is not text or a
    document, or is damaged, truncated, protected or too costly to read.
    """
    mime = media.mime.split(";", 1)[0].strip().lower()
    modality = media.modality
    if not _known(modality, mime):
        modality, mime = _sniff(media)
    if mime in _PACKED:
        source: Path | bytes = media.data if media.data is not None else _path(media)
        return _PACKED[mime](source, limits, max_chars)
    if mime == "text/html":
        return _html(media, limits, max_chars)
    fmt = subtitle_format(mime)
    if fmt is not None:
        return _subtitles(media, fmt, max_chars)
    if modality in _TEXT_MODALITIES or mime.startswith("text/"):
        with open_media(media) as fh:
            text, notes = read_text(fh, max_chars)
        return ExtractedText(text, "plain", tuple(notes))
    raise SignalError(
        f"This file is not text or a document that can be read (it is {modality}, {mime})."
    )


def _known(modality: str, mime: str) -> bool:
    return (
        mime in _PACKED
        or mime == "text/html"
        or subtitle_format(mime) is not None
        or (modality in _TEXT_MODALITIES and mime.startswith("text/"))
    )


def _sniff(media: Media) -> tuple[str, str]:
    # imported here: ``screening.sniff`` imports this package (for the encodings)
    from safeharbor.screening.sniff import sniff_bytes, sniff_path

    if media.data is not None:
        found = sniff_bytes(media.data, media.name)
    else:
        found = sniff_path(_path(media), media.name)
    return found.modality, found.mime


def _path(media: Media) -> Path:
    if media.path is None:
        raise SignalError("The file is missing: nothing was uploaded.")
    return media.path


def _head_bytes(media: Media, limit: int) -> tuple[bytes, bool]:
    """At most ``limit`` bytes of the content, and whether there was more."""
    with open_media(media) as fh:
        data = fh.read(limit + 1)
    return data[:limit], len(data) > limit


def _html(media: Media, limits: Limits, max_chars: int) -> ExtractedText:
    data, more = _head_bytes(media, limits.max_markup_bytes)
    text, notes = html_text(data, max_chars)
    if more and not any("longer than" in n for n in notes):
        notes.append(
            f"the page is larger than {limits.max_markup_bytes // 2**20:,} MiB: "
            "only its beginning was read"
        )
    return ExtractedText(text, "html", tuple(notes))


def _subtitles(media: Media, fmt: str, max_chars: int) -> ExtractedText:
    # the file also holds timings and styles: read more of it than of the text wanted
    with open_media(media) as fh:
        source, notes = read_text(fh, 4 * max_chars + 65_536)
    text = subtitle_text(source, fmt)
    if len(text) > max_chars or any("longer than" in n for n in notes):
        notes = [n for n in notes if "longer than" not in n] + [cut_note(max_chars)]
        text = text[:max_chars]
    return ExtractedText(text, "ass" if fmt == "ass" else fmt, tuple(notes))
