"""Content type from the bytes, never from the file name (a renamed file is the oldest
trick in the book)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import filetype

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


@dataclass(frozen=True)
class Sniffed:
    modality: str  # image | video | audio | text | archive | binary
    mime: str
    #: what the file name claims, when it disagrees with the bytes
    name_mismatch: str | None = None


def sniff(head: bytes, filename: str | None = None) -> Sniffed:
    """Classify content from its first bytes (8 KiB is plenty)."""
    kind = filetype.guess(head)
    if kind is not None:
        mime = kind.mime
        if mime.startswith("image/"):
            modality = "image"
        elif mime.startswith("video/"):
            modality = "video"
        elif mime.startswith("audio/"):
            modality = "audio"
        elif mime in _ARCHIVES:
            modality = "archive"
        else:
            modality = "binary"
    elif _looks_like_text(head):
        modality, mime = "text", "text/plain"
    else:
        modality, mime = "binary", "application/octet-stream"
    return Sniffed(modality, mime, _name_mismatch(filename, modality))


def sniff_path(path: Path, filename: str | None = None) -> Sniffed:
    with path.open("rb") as fh:
        return sniff(fh.read(8192), filename or path.name)


def _looks_like_text(head: bytes) -> bool:
    if not head or b"\x00" in head:
        return False
    try:
        head.decode("utf-8")
        return True
    except UnicodeDecodeError as exc:
        # a multi-byte character cut at the end of the sample is still text
        return exc.start >= len(head) - 3


_EXT_MODALITY = {
    **dict.fromkeys(["jpg", "jpeg", "png", "gif", "webp", "bmp", "tif", "tiff"], "image"),
    **dict.fromkeys(["mp4", "mkv", "avi", "mov", "webm", "flv", "ts"], "video"),
    **dict.fromkeys(["mp3", "ogg", "flac", "wav", "m4a", "aac", "opus"], "audio"),
    **dict.fromkeys(["txt", "md", "html", "srt"], "text"),
    **dict.fromkeys(["zip", "tar", "gz", "tgz", "7z", "rar"], "archive"),
}


def _name_mismatch(filename: str | None, modality: str) -> str | None:
    if not filename or "." not in filename:
        return None
    ext = filename.rsplit(".", 1)[1].lower()
    claimed = _EXT_MODALITY.get(ext)
    if claimed and claimed != modality:
        return f"the name says .{ext} ({claimed}) but the content is {modality}"
    return None
