"""Text of an HTML (or XHTML) page in reading order: the words a reader sees, with one
line per block (paragraph, heading, list item, table cell row), without scripts, styles
or the page head."""

from __future__ import annotations

import re

from lxml import etree
from lxml import html as lxml_html

from safeharbor.documents.encodings import detect
from safeharbor.documents.result import cut_note
from safeharbor.signals.base import SignalError

#: elements whose content is not read text
_SKIP = frozenset(
    {"script", "style", "noscript", "template", "head", "svg", "math", "object", "iframe"}
)
#: elements that start and end a line
_BLOCKS = frozenset(
    {
        "p", "div", "br", "hr", "h1", "h2", "h3", "h4", "h5", "h6", "li", "ul", "ol", "dl",
        "dt", "dd", "tr", "table", "section", "article", "aside", "header", "footer", "nav",
        "blockquote", "pre", "figure", "figcaption", "caption", "address", "main", "body",
        "title", "td", "th",
    }
)  # fmt: skip
_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?([\w-]+)""", re.I)
_XML_DECL = re.compile(r"\A\s*<\?xml[^>]*\?>")
_SPACES = re.compile(r"\s+")


def html_text(data: bytes, max_chars: int, what: str = "The HTML page") -> tuple[str, list[str]]:
    """(text, notes) of an HTML document held in ``data``."""
    source, notes = _decode(data, what)
    source = _XML_DECL.sub("", source)
    if not source.strip():
        return "", notes
    try:
        root = lxml_html.document_fromstring(source)
    except (etree.ParserError, ValueError) as exc:
        raise SignalError(f"{what} is damaged and cannot be read") from exc
    text = _walk(root)
    if len(text) > max_chars:
        text = text[:max_chars]
        notes.append(cut_note(max_chars))
    return text, notes


def _decode(data: bytes, what: str) -> tuple[str, list[str]]:
    declared = _CHARSET.search(data[:4096])
    if declared:
        try:
            return data.decode(declared.group(1).decode("ascii")), []
        except (LookupError, UnicodeDecodeError):
            pass  # a wrong declaration is common: fall back to the bytes
    guess = detect(data[:65536], complete=len(data) <= 65536)
    if guess is None:
        raise SignalError(f"{what} is not readable text")
    notes = [f"the text encoding was guessed as {guess.label}"] if guess.guessed else []
    return data.decode(guess.encoding, errors="replace"), notes


def _walk(root: etree._Element) -> str:
    """Text and tails in document order; iterative (``iterwalk``), as deeply nested
    markup must not exhaust the stack."""
    out: list[str] = []
    pre = 0
    walker = etree.iterwalk(root, events=("start", "end"))
    for event, el in walker:
        tag = el.tag if isinstance(el.tag, str) else ""
        tag = tag.rsplit("}", 1)[-1].lower()  # XHTML: "{http://www.w3.org/1999/xhtml}p"
        if event == "start":
            if tag in _SKIP or not isinstance(el.tag, str):
                walker.skip_subtree()
                continue
            if tag in _BLOCKS:
                out.append("\n")
            if tag == "pre":
                pre += 1
            if el.text:
                out.append(el.text if pre else _SPACES.sub(" ", el.text))
        else:
            if tag == "pre" and isinstance(el.tag, str):
                pre -= 1
            if tag in _BLOCKS:
                out.append("\n")
            if el.tail and el is not root:
                out.append(el.tail if pre else _SPACES.sub(" ", el.tail))
    lines = (line.strip() for line in "".join(out).split("\n"))
    return "\n".join(line for line in lines if line)
