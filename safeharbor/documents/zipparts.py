"""Reading the parts of a zip-based document (EPUB, DOCX, ODT) under limits: a part is
unpacked in chunks and refused once it is too large or unpacks too far past its packed
size, so a document-shaped zip bomb is caught like any other."""

from __future__ import annotations

import io
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path

from safeharbor.documents.limits import Limits
from safeharbor.signals.base import SignalError

_CHUNK = 64 * 1024


@dataclass
class Parts:
    """An open document zip and what has been unpacked from it so far."""

    zf: zipfile.ZipFile
    limits: Limits
    what: str  # "The EPUB", "The DOCX": for messages
    total: int = 0
    count: int = 0

    @classmethod
    def open(cls, source: Path | bytes, limits: Limits, what: str) -> Parts:
        try:
            zf = zipfile.ZipFile(io.BytesIO(source) if isinstance(source, bytes) else source)
        except (zipfile.BadZipFile, OSError, ValueError, EOFError) as exc:
            raise SignalError(f"{what} is damaged or truncated and cannot be opened") from exc
        return cls(zf, limits, what)

    def close(self) -> None:
        self.zf.close()

    def has(self, name: str) -> bool:
        try:
            self.zf.getinfo(name)
        except KeyError:
            return False
        return True

    def read(self, name: str) -> bytes:
        """The unpacked part ``name``; ``SignalError`` when missing, broken or too big."""
        lim = self.limits
        try:
            info = self.zf.getinfo(name)
        except KeyError:
            raise SignalError(f"{self.what} is damaged: its part {name!r} is missing") from None
        if info.flag_bits & 0x1:
            raise SignalError(f"{self.what} is encrypted, so its text cannot be read")
        self.count += 1
        if self.count > lim.max_parts:
            raise SignalError(f"{self.what} has more than {lim.max_parts:,} parts to read")
        buf = io.BytesIO()
        size = 0
        try:
            with self.zf.open(info) as fh:
                while chunk := fh.read(_CHUNK):
                    size += len(chunk)
                    self.total += len(chunk)
                    if size > lim.max_part_bytes or self.total > lim.max_total_part_bytes:
                        raise SignalError(self._too_large())
                    if size > lim.ratio_floor and size > lim.max_ratio * max(info.compress_size, 1):
                        raise SignalError(
                            f"{self.what} unpacks to far more than its size (a zip bomb): "
                            "it was not read"
                        )
                    buf.write(chunk)
        except (zipfile.BadZipFile, zlib.error, OSError, EOFError, NotImplementedError) as exc:
            raise SignalError(f"{self.what} is damaged: its part {name!r} cannot be read") from exc
        return buf.getvalue()

    def _too_large(self) -> str:
        lim = self.limits
        return (
            f"{self.what} is too large to read: it unpacks to more than "
            f"{lim.max_total_part_bytes // 2**20:,} MiB, or one part of it to more than "
            f"{lim.max_part_bytes // 2**20:,} MiB"
        )
