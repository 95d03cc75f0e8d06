"""Word-processor documents: DOCX (Office Open XML) and ODT (OpenDocument Text).

Read straight from the XML with ``lxml`` rather than through ``python-docx``: the
library's paragraph list leaves out text boxes, content controls and notes, while one
walk of the XML in document order gets every paragraph, table cell and text box as the
reader sees it. Deleted revisions, field codes and the fallback copy of text boxes
(``mc:Fallback``, a duplicate for old readers) are left out; footnotes and endnotes
follow the body.
"""

from __future__ import annotations

from pathlib import Path

from lxml import etree

from safeharbor.documents import xmlsafe
from safeharbor.documents.limits import Limits
from safeharbor.documents.result import ExtractedText, cut_note
from safeharbor.documents.zipparts import Parts

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
MC = "{http://schemas.openxmlformats.org/markup-compatibility/2006}"
TEXT = "{urn:oasis:names:tc:opendocument:xmlns:text:1.0}"
OFFICE = "{urn:oasis:names:tc:opendocument:xmlns:office:1.0}"

_W_SKIP = frozenset({W + "delText", W + "instrText", MC + "Fallback", W + "del"})
_W_LINES = frozenset({W + "br", W + "cr"})
_W_PARAS = frozenset({W + "p"})
_W_CELLS = frozenset({W + "tc"})

_DOCX_NOTES = ("word/footnotes.xml", "word/endnotes.xml")


def docx_text(source: Path | bytes, limits: Limits, max_chars: int) -> ExtractedText:
    parts = Parts.open(source, limits, "The DOCX document")
    try:
        out = [_docx_part(xmlsafe.parse(parts.read("word/document.xml"), "The DOCX document"))]
        for name in _DOCX_NOTES:
            if parts.has(name):
                out.append(_docx_part(xmlsafe.parse(parts.read(name), "The DOCX document")))
    finally:
        parts.close()
    return _finish("\n".join(t for t in out if t), "docx", max_chars)


def _docx_part(root: etree._Element) -> str:
    out: list[str] = []
    walker = etree.iterwalk(root, events=("start", "end"))
    for event, el in walker:
        tag = el.tag
        if event == "start":
            if tag in _W_SKIP:
                walker.skip_subtree()
            elif tag == W + "t" and el.text:
                out.append(el.text)
            elif tag == W + "tab":
                out.append("\t")
            elif tag in _W_LINES:
                out.append("\n")
        elif tag in _W_PARAS:
            out.append("\n")
        elif tag in _W_CELLS:
            out.append("\t")
    return _tidy("".join(out))


def odt_text(source: Path | bytes, limits: Limits, max_chars: int) -> ExtractedText:
    parts = Parts.open(source, limits, "The ODT document")
    try:
        root = xmlsafe.parse(parts.read("content.xml"), "The ODT document")
    finally:
        parts.close()
    body = root.find(f"{OFFICE}body")
    return _finish(_odt_body(body if body is not None else root), "odt", max_chars)


_ODT_SKIP = frozenset({TEXT + "tracked-changes", OFFICE + "annotation", TEXT + "note-citation"})
_ODT_BLOCKS = frozenset({TEXT + "p", TEXT + "h"})


def _odt_body(root: etree._Element) -> str:
    out: list[str] = []
    walker = etree.iterwalk(root, events=("start", "end"))
    for event, el in walker:
        tag = el.tag
        if event == "start":
            if tag in _ODT_SKIP or not isinstance(tag, str):
                walker.skip_subtree()
                continue
            if tag == TEXT + "s":
                out.append(" " * int(el.get(TEXT + "c", "1") or 1))
            elif tag == TEXT + "tab":
                out.append("\t")
            elif tag == TEXT + "line-break":
                out.append("\n")
            if el.text:
                out.append(el.text)
        else:
            if tag in _ODT_BLOCKS:
                out.append("\n")
            if el.tail and el is not root:
                out.append(el.tail)
    return _tidy("".join(out))


def _tidy(text: str) -> str:
    lines = (line.strip() for line in text.split("\n"))
    return "\n".join(line for line in lines if line)


def _finish(text: str, fmt: str, max_chars: int) -> ExtractedText:
    if len(text) > max_chars:
        return ExtractedText(text[:max_chars], fmt, (cut_note(max_chars),))
    return ExtractedText(text, fmt)
