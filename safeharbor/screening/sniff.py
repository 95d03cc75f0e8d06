"""Content type from the bytes, never from the file name (a renamed file is the oldest
trick in the book).

The rule, in order:

1. **Binary formats by magic bytes** (``filetype`` on the first 8 KiB): images, video,
   audio; PDF, EPUB, DOCX and ODT are ``document``; zip/tar/gz/bz2/xz/7z/rar/zstd are
   ``archive``, except zips whose members make them a document (``documents.zipkind``:
   DOCX/EPUB/ODT are ``document``, other office zips ``binary``: they are not bundles of
   files an uploader shares, and their text is not read yet). Anything else with magic
   bytes is ``binary``.
2. **Text** (``documents.encodings``): UTF-8, UTF-16/32 with a byte order mark, GBK/GB18030,
   Big5, or mostly-ASCII Windows-1252, decoding strictly and free of control characters.
   Anything else is ``binary``: a blob that merely decodes in some code page is not text.
3. Within text, by **content**: HTML, SRT, WebVTT and ASS/SSA subtitles are ``document``
   (they have markup or timings to strip before their text is compared).
4. Within text, **source code** (``code``): the file name's extension when it is a
   source-code one (``.py``, ``.c``, ``.java``...); a known plain-text extension (``.txt``,
   ``.md``) keeps it ``text``; with no usable name, a ``#!`` line naming an interpreter,
   ``<?php``, or at least two strong cues of one language (``#include <...>`` with a C
   declaration, ``package main`` with ``func``...). The rest is ``text``.

The name is a hint inside a family (which text format, which language) and never moves
content from one family to another: a PNG named ``.py`` is an image.
"""

from __future__ import annotations

import io
import re
import zipfile
from dataclasses import dataclass
from pathlib import Path

import filetype

from safeharbor.documents import zipkind
from safeharbor.documents.encodings import detect

_ARCHIVES = {
    "application/zip",
    "application/x-tar",
    "application/gzip",
    "application/x-bzip2",
    "application/x-xz",
    "application/x-7z-compressed",
    "application/x-rar-compressed",
    "application/zstd",
}
_DOCUMENTS = {"application/pdf", *zipkind.READABLE}


@dataclass(frozen=True)
class Sniffed:
    modality: str  # image | video | audio | document | code | text | archive | binary
    mime: str
    #: what the file name claims, when it disagrees with the bytes
    name_mismatch: str | None = None


def sniff(head: bytes, filename: str | None = None) -> Sniffed:
    """Classify content from its first bytes (8 KiB is plenty)."""
    modality, mime = _classify(head, filename)
    return Sniffed(modality, mime, _name_mismatch(filename, modality, mime))


def sniff_path(path: Path, filename: str | None = None) -> Sniffed:
    """``sniff``, and for zips a look at the member list (the central directory at the
    end), which tells a DOCX or an EPUB from an archive when the first 8 KiB cannot."""
    with path.open("rb") as fh:
        head = fh.read(8192)
    name = filename or path.name
    return _check_zip(sniff(head, name), path, name)


def sniff_bytes(data: bytes, filename: str | None = None) -> Sniffed:
    """``sniff_path`` for content in memory (an archive member, for one)."""
    return _check_zip(sniff(data[:8192], filename), data, filename)


def _check_zip(found: Sniffed, source: Path | bytes, name: str | None) -> Sniffed:
    if found.mime != "application/zip" and found.mime not in zipkind.READABLE | _OTHER_OFFICE:
        return found
    try:
        with zipfile.ZipFile(io.BytesIO(source) if isinstance(source, bytes) else source) as zf:
            kind = zipkind.zip_document_kind(zf)
    except (zipfile.BadZipFile, OSError, ValueError, EOFError):
        return found  # damaged: as the head says; reading it will say what is wrong
    modality, mime = _zip_modality(kind)
    return Sniffed(modality, mime, _name_mismatch(name, modality, mime))


_OTHER_OFFICE = {
    zipkind.XLSX,
    zipkind.PPTX,
    "application/vnd.oasis.opendocument.spreadsheet",
    "application/vnd.oasis.opendocument.presentation",
}


def _zip_modality(kind: str | None) -> tuple[str, str]:
    if kind is None:
        return "archive", "application/zip"
    return ("document" if kind in zipkind.READABLE else "binary"), kind


def _classify(head: bytes, filename: str | None) -> tuple[str, str]:
    kind = filetype.guess(head)
    if kind is not None:
        mime = kind.mime
        if mime.startswith("image/"):
            return "image", mime
        if mime.startswith("video/"):
            return "video", mime
        if mime.startswith("audio/"):
            return "audio", mime
        if mime in _DOCUMENTS:
            return "document", mime
        if mime in _ARCHIVES:
            return "archive", mime
        return "binary", mime
    guess = detect(head)
    if guess is None:
        return "binary", "application/octet-stream"
    # 8 KiB decode: a character cut at the end is replaced, which the cues do not mind
    text = head.decode(guess.encoding, errors="replace").lstrip("\ufeff")
    return _classify_text(text, _ext(filename))


# -- text formats ------------------------------------------------------------------------

_SRT = re.compile(r"\A\s*\d+[ \t]*\r?\n[ \t]*\d{1,2}:\d{2}:\d{2}[,.]\d{1,3}[ \t]*-->")
_HTML_START = re.compile(
    r"\A\s*(<\?xml[^>]*>\s*)?(<!--.*?-->\s*)*<(!doctype\s+html|html)\b", re.I | re.S
)
_HTML_TAGS = re.compile(r"<(head|body|p|div|br|title|h[1-6]|span|table)\b[^>]*>", re.I)
_HTML_EXTS = {"html", "htm", "xhtml", "xht"}


def _classify_text(text: str, ext: str | None) -> tuple[str, str]:
    start = text.lstrip()[:64]
    if start.startswith("[Script Info]"):
        return "document", "text/x-ssa"
    if start.startswith("WEBVTT"):
        return "document", "text/vtt"
    if _SRT.match(text):
        return "document", "application/x-subrip"
    if _HTML_START.match(text) or (
        ext in _HTML_EXTS and start.startswith("<") and _HTML_TAGS.search(text)
    ):
        return "document", "text/html"
    if ext in CODE_EXTENSIONS:
        return "code", CODE_EXTENSIONS[ext]
    if ext in _TEXT_EXTS:
        return "text", "text/plain"
    lang = code_from_content(text)
    if lang is not None:
        return "code", lang
    return "text", "text/plain"


# -- source code -------------------------------------------------------------------------

#: source-code extensions and the mime type each gets
CODE_EXTENSIONS: dict[str, str] = {
    "py": "text/x-python",
    "pyi": "text/x-python",
    "c": "text/x-c",
    "h": "text/x-c",
    "cc": "text/x-c++",
    "cpp": "text/x-c++",
    "cxx": "text/x-c++",
    "hpp": "text/x-c++",
    "hh": "text/x-c++",
    "java": "text/x-java",
    "js": "text/javascript",
    "mjs": "text/javascript",
    "cjs": "text/javascript",
    "jsx": "text/javascript",
    "ts": "text/x-typescript",
    "tsx": "text/x-typescript",
    "go": "text/x-go",
    "rs": "text/x-rust",
    "rb": "text/x-ruby",
    "php": "text/x-php",
    "cs": "text/x-csharp",
    "kt": "text/x-kotlin",
    "kts": "text/x-kotlin",
    "swift": "text/x-swift",
    "scala": "text/x-scala",
    "m": "text/x-objc",
    "mm": "text/x-objc",
    "lua": "text/x-lua",
    "pl": "text/x-perl",
    "pm": "text/x-perl",
    "r": "text/x-r",
    "jl": "text/x-julia",
    "dart": "text/x-dart",
    "hs": "text/x-haskell",
    "ml": "text/x-ocaml",
    "ex": "text/x-elixir",
    "exs": "text/x-elixir",
    "erl": "text/x-erlang",
    "clj": "text/x-clojure",
    "sh": "text/x-shellscript",
    "bash": "text/x-shellscript",
    "zsh": "text/x-shellscript",
    "ps1": "text/x-powershell",
    "sql": "text/x-sql",
    "vue": "text/x-vue",
    "zig": "text/x-zig",
    "nim": "text/x-nim",
    "f90": "text/x-fortran",
    "asm": "text/x-asm",
    "s": "text/x-asm",
}
_TEXT_EXTS = {"txt", "text", "md", "markdown", "rst", "csv", "tsv", "log", "tex", "org"}

_SHEBANG = re.compile(r"\A#![ \t]*(?:/usr)?(?:/local)?/bin/(?:env[ \t]+(?:-S[ \t]+)?)?(\w+)")
_INTERPRETERS = {
    "python": "text/x-python",
    "python3": "text/x-python",
    "python2": "text/x-python",
    "sh": "text/x-shellscript",
    "bash": "text/x-shellscript",
    "zsh": "text/x-shellscript",
    "dash": "text/x-shellscript",
    "ksh": "text/x-shellscript",
    "node": "text/javascript",
    "deno": "text/x-typescript",
    "ruby": "text/x-ruby",
    "perl": "text/x-perl",
    "php": "text/x-php",
    "lua": "text/x-lua",
    "Rscript": "text/x-r",
}

#: (language, cues): two different cues of one language, each at the start of a line,
#: make text code; prose almost never starts lines like these
_CUES: list[tuple[str, tuple[re.Pattern[str], ...]]] = [
    (
        "text/x-c",
        (
            re.compile(r"^#include\s*[<\"][\w./]+[>\"]", re.M),
            re.compile(r"^#define\s+\w+", re.M),
            re.compile(
                r"^(static\s+)?(int|void|char|unsigned|size_t|struct\s+\w+)\s*\**\s*\w+\s*\(", re.M
            ),
            re.compile(r"^\s*return\s+[^;\n]*;\s*$", re.M),
        ),
    ),
    (
        "text/x-python",
        (
            re.compile(r"^(from\s+[\w.]+\s+)?import\s+\w+", re.M),
            re.compile(r"^\s*def\s+\w+\s*\(.*\)\s*(->\s*[^:]+)?:\s*$", re.M),
            re.compile(r"^\s*class\s+\w+(\(.*\))?\s*:\s*$", re.M),
            re.compile(r"^if\s+__name__\s*==\s*['\"]__main__['\"]\s*:", re.M),
        ),
    ),
    (
        "text/x-go",
        (
            re.compile(r"^package\s+\w+\s*$", re.M),
            re.compile(r"^func\s+(\(\w+\s+\*?\w+\)\s*)?\w+\s*\(", re.M),
            re.compile(r"^import\s+(\(|\")", re.M),
        ),
    ),
    (
        "text/x-java",
        (
            re.compile(r"^package\s+[\w.]+;\s*$", re.M),
            re.compile(r"^import\s+(static\s+)?[\w.]+(\.\*)?;\s*$", re.M),
            re.compile(r"^(public\s+)?(final\s+|abstract\s+)?(class|interface|enum)\s+\w+", re.M),
            re.compile(r"^\s*public\s+static\s+void\s+main\s*\(", re.M),
        ),
    ),
    (
        "text/x-rust",
        (
            re.compile(r"^use\s+[\w:]+(::\{[^}]*\})?;\s*$", re.M),
            re.compile(r"^(pub\s+)?fn\s+\w+\s*(<[^>]*>)?\s*\(", re.M),
            re.compile(r"^(pub\s+)?(struct|enum|trait|impl)\b", re.M),
        ),
    ),
    (
        "text/javascript",
        (
            re.compile(r"^(const|let|var)\s+\w+\s*=\s*require\(", re.M),
            re.compile(r"^import\s+[\w{}\s,*]+\s+from\s+['\"]", re.M),
            re.compile(r"^(export\s+)?(async\s+)?function\s*\*?\s*\w+\s*\(", re.M),
            re.compile(r"^(module\.)?exports(\.\w+)?\s*=", re.M),
        ),
    ),
]


def code_from_content(text: str) -> str | None:
    """The code mime type that ``text`` is, from its content alone, or None."""
    shebang = _SHEBANG.match(text)
    if shebang:
        interp = re.sub(r"[\d.]+$", "", shebang.group(1)) or shebang.group(1)
        return _INTERPRETERS.get(shebang.group(1)) or _INTERPRETERS.get(interp)
    if text.lstrip().startswith("<?php"):
        return "text/x-php"
    for mime, cues in _CUES:
        if sum(1 for cue in cues if cue.search(text)) >= 2:
            return mime
    return None


# -- the name's claim ----------------------------------------------------------------------

_EXT_MODALITY: dict[str, frozenset[str]] = {
    **dict.fromkeys(
        ["jpg", "jpeg", "png", "gif", "webp", "bmp", "tif", "tiff"], frozenset({"image"})
    ),
    **dict.fromkeys(["mp4", "mkv", "avi", "mov", "webm", "flv"], frozenset({"video"})),
    **dict.fromkeys(["mp3", "ogg", "flac", "wav", "m4a", "aac", "opus"], frozenset({"audio"})),
    **dict.fromkeys(list(_TEXT_EXTS), frozenset({"text"})),
    **dict.fromkeys(list(CODE_EXTENSIONS), frozenset({"code"})),
    **dict.fromkeys(
        ["pdf", "epub", "docx", "odt", "html", "htm", "xhtml", "srt", "vtt", "ass", "ssa"],
        frozenset({"document"}),
    ),
    **dict.fromkeys(
        ["zip", "tar", "gz", "tgz", "bz2", "tbz2", "xz", "txz", "7z", "rar", "zst"],
        frozenset({"archive"}),
    ),
    # .ts is both an MPEG transport stream and TypeScript
    "ts": frozenset({"video", "code"}),
}
#: modalities that are all text underneath: a name choosing among them is not a lie
#: (an HTML page saved as .txt, a script saved without its extension)
_TEXTUAL = frozenset({"text", "code", "document"})
#: documents that are never plain text: text named like one is a mismatch
_PACKED_DOCUMENT_EXTS = frozenset({"pdf", "epub", "docx", "odt"})


def _ext(filename: str | None) -> str | None:
    if not filename:
        return None
    base = filename.replace("\\", "/").rsplit("/", 1)[-1]
    if "." not in base.lstrip("."):
        return None
    return base.rsplit(".", 1)[1].lower()


def _name_mismatch(filename: str | None, modality: str, mime: str) -> str | None:
    ext = _ext(filename)
    claimed = _EXT_MODALITY.get(ext or "")
    if not claimed or modality in claimed:
        return None
    is_textual = mime.startswith("text/") or mime == "application/x-subrip"
    if is_textual and claimed <= _TEXTUAL and ext not in _PACKED_DOCUMENT_EXTS:
        return None
    said = "/".join(sorted(claimed))
    return f"the name says .{ext} ({said}) but the content is {modality}"
