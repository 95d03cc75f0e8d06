"""The members of a zip or tar upload, read one at a time under limits.

An archive is hostile until read: a few kilobytes can unpack to terabytes (a zip bomb),
member names can climb out of any folder (``../../etc/passwd``), a tar can hold links and
device files, and an archive can hold an archive that holds an archive. So:

* sizes are counted as the bytes actually come out, never taken from headers;
* a member is kept in memory up to ``memory_bytes`` and spooled to a temporary file past
  that, so memory stays bounded whatever the archive claims;
* names are only labels here (nothing is ever extracted under its own name), but they
  are made safe, relative and ``/``-separated, with a note when that changed them;
* links, devices, fifos and encrypted members are skipped with a note;
* DOCX, EPUB and other document zips inside an archive are members (documents), not
  archives to open;
* crossing a limit raises ``ArchiveError`` (a ``SignalError``: its message is for users)
  and stops reading; the members yielded before it have been read completely.

Use::

    reader = ArchiveReader()
    for member in reader.members(path, name="upload.zip"):
        ...  # member.name, member.read() / member.path, member.depth
    reader.notes  # what was skipped or renamed, in plain words
"""

from __future__ import annotations

import bz2
import gzip
import io
import lzma
import re
import stat
import tarfile
import tempfile
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Protocol, cast

from safeharbor.documents.zipkind import zip_document_kind
from safeharbor.signals.base import SignalError

_CHUNK = 64 * 1024
#: largest tar metadata block (long names, pax headers) read: real ones are a few KiB
_MAX_TAR_META = 1024 * 1024


class _Reader(Protocol):
    def read(self, size: int = -1, /) -> bytes: ...


class ArchiveError(SignalError):
    """The archive is damaged, of a kind that cannot be opened, or crossed a limit."""


@dataclass(frozen=True)
class Member:
    """One regular file from an archive.

    ``path`` (set when the member was too big to keep in memory) is a temporary file that
    lasts until the next member is asked for.
    """

    name: str  # safe relative name; members of a nested archive: "inner.zip/a.txt"
    size: int
    depth: int  # 0: in the upload itself, 1: in an archive inside it, ...
    data: bytes | None = None
    path: Path | None = None

    def read(self) -> bytes:
        if self.data is not None:
            return self.data
        assert self.path is not None
        return self.path.read_bytes()


@dataclass
class _Budget:
    members: int = 0
    total: int = 0


@dataclass
class ArchiveReader:
    """Reads archives under limits; one reader per upload (the limits are shared by every
    nested archive in it).

    The ratio rule flags a bomb early: once more than ``ratio_floor`` bytes came out of a
    member (or of a compressed tar), they may not exceed ``max_ratio`` times the
    compressed bytes they came from. Ordinary files compress 2-20 times, repetitive logs
    50 times; zeros compress a thousand times.
    """

    max_members: int = 10_000
    max_total_bytes: int = 4 * 1024**3
    max_member_bytes: int = 1024**3
    max_ratio: float = 100.0
    ratio_floor: int = 16 * 1024**2
    #: archives inside archives opened: 1 opens a zip in the upload, 2 also a zip in that
    max_depth: int = 2
    memory_bytes: int = 8 * 1024**2
    tmp_dir: Path | None = None
    #: what was skipped or renamed, in plain words, for the uploader
    notes: list[str] = field(default_factory=list, init=False)
    _budget: _Budget = field(default_factory=_Budget, init=False, repr=False)

    def members(self, source: Path | bytes, name: str | None = None) -> Iterator[Member]:
        """Every regular member of the archive ``source``, nested archives opened."""
        label = name or (source.name if isinstance(source, Path) else "archive")
        with tempfile.TemporaryDirectory(dir=self.tmp_dir, prefix="sh-archive-") as tmp:
            yield from self._walk(source, label, 0, "", Path(tmp))

    # -- dispatch ----------------------------------------------------------------------

    def _walk(
        self, source: Path | bytes, label: str, depth: int, prefix: str, tmp: Path
    ) -> Iterator[Member]:
        head = _head(source)
        kind = archive_kind(head)
        if kind == "zip":
            yield from self._zip(source, label, depth, prefix, tmp)
        elif kind in ("tar", "gz", "bz2", "xz"):
            yield from self._tar_or_single(source, kind, label, depth, prefix, tmp)
        else:
            raise ArchiveError(f"{label} is not an archive that can be opened (zip or tar)")

    def _emit(self, member: Member, tmp: Path) -> Iterator[Member]:
        """Yield ``member``, or open it when it is itself an archive within the depth."""
        head = member.data[:512] if member.data is not None else _head(member.path or Path())
        if archive_kind(head) is None or _is_document_zip(member):
            yield member
            return
        if member.depth + 1 > self.max_depth:
            self.notes.append(
                f"{member.name} was not opened: archives nested more than "
                f"{self.max_depth} deep are not read"
            )
            return
        source: Path | bytes = member.data if member.data is not None else member.path or b""
        yield from self._walk(source, member.name, member.depth + 1, member.name + "/", tmp)

    # -- zip ---------------------------------------------------------------------------

    def _zip(
        self, source: Path | bytes, label: str, depth: int, prefix: str, tmp: Path
    ) -> Iterator[Member]:
        try:
            zf = zipfile.ZipFile(io.BytesIO(source) if isinstance(source, bytes) else source)
        except (zipfile.BadZipFile, OSError, ValueError, EOFError) as exc:
            raise ArchiveError(f"{label} is damaged and cannot be opened as a zip") from exc
        with zf:
            infos = zf.infolist()
            if self._budget.members + len(infos) > self.max_members:
                self._count_member(label, len(infos))
            for info in infos:
                if info.is_dir():
                    continue
                self._count_member(label)
                # unix type bits, when the zip was made on unix (zero elsewhere)
                kind = stat.S_IFMT(info.external_attr >> 16)
                if kind and kind != stat.S_IFREG:
                    self.notes.append(f"{prefix}{info.filename} was skipped: not a regular file")
                    continue
                name = self._safe(prefix, info.filename)
                if name is None:
                    continue
                if info.flag_bits & 0x1:
                    self.notes.append(f"{name} was skipped: it is encrypted and cannot be read")
                    continue
                try:
                    with zf.open(info) as fh:
                        member = self._read(fh, name, depth, info.compress_size, tmp)
                except NotImplementedError:
                    self.notes.append(f"{name} was skipped: its compression is not supported")
                    continue
                except (zipfile.BadZipFile, zlib.error, OSError, EOFError, lzma.LZMAError) as e:
                    raise ArchiveError(f"{label} is damaged: {name} cannot be read") from e
                yield from self._emit(member, tmp)
                _drop(member)

    # -- tar and single compressed files -----------------------------------------------

    def _tar_or_single(
        self, source: Path | bytes, kind: str, label: str, depth: int, prefix: str, tmp: Path
    ) -> Iterator[Member]:
        raw: IO[bytes] = io.BytesIO(source) if isinstance(source, bytes) else source.open("rb")
        counted = _Counted(raw)
        try:
            stream: _Reader = _decompressor(kind, counted)
            guard = _Guard(stream, counted, self, label)
            try:
                is_tar = _is_tar(guard.peek(512))
            except (OSError, EOFError, lzma.LZMAError, zlib.error) as exc:
                raise ArchiveError(f"{label} is damaged and cannot be decompressed") from exc
            if is_tar:
                yield from self._tar(guard, label, depth, prefix, tmp)
            else:
                # a single compressed file (notes.txt.gz): its one member is the content
                inner = re.sub(r"\.(gz|tgz|bz2|xz)$", "", label.rsplit("/", 1)[-1]) or "content"
                self._count_member(label)
                name = self._safe(prefix, inner) or "content"
                try:
                    member = self._read(guard, name, depth, None, tmp, count_total=False)
                except (OSError, EOFError, lzma.LZMAError, zlib.error) as exc:
                    raise ArchiveError(f"{label} is damaged and cannot be decompressed") from exc
                yield from self._emit(member, tmp)
                _drop(member)
        finally:
            raw.close()

    def _tar(
        self, guard: _Guard, label: str, depth: int, prefix: str, tmp: Path
    ) -> Iterator[Member]:
        try:
            tf = tarfile.open(fileobj=cast(IO[bytes], guard), mode="r:")  # noqa: SIM115
        except (tarfile.TarError, OSError, EOFError) as exc:
            raise ArchiveError(f"{label} is damaged and cannot be opened as a tar") from exc
        with tf:
            while True:
                try:
                    info = tf.next()
                except tarfile.TarError as exc:
                    raise ArchiveError(f"{label} is damaged: a member header is broken") from exc
                except (OSError, EOFError, lzma.LZMAError, zlib.error) as exc:
                    raise ArchiveError(f"{label} is damaged and cannot be decompressed") from exc
                if info is None:
                    return
                if info.isdir():
                    continue
                self._count_member(label)
                if not info.isreg():
                    self.notes.append(
                        f"{prefix}{info.name} was skipped: links and device files are not read"
                    )
                    continue
                if info.size > self.max_member_bytes:
                    raise self._too_big(prefix + info.name)
                name = self._safe(prefix, info.name)
                if name is None:
                    continue
                fh = tf.extractfile(info)
                if fh is None:
                    continue
                try:
                    member = self._read(fh, name, depth, None, tmp, count_total=False)
                except (tarfile.TarError, OSError, EOFError, lzma.LZMAError, zlib.error) as e:
                    raise ArchiveError(f"{label} is damaged: {name} cannot be read") from e
                yield from self._emit(member, tmp)
                _drop(member)

    # -- limits ------------------------------------------------------------------------

    def _count_member(self, label: str, n: int = 1) -> None:
        self._budget.members += n
        if self._budget.members > self.max_members:
            raise ArchiveError(
                f"{label} holds more than {self.max_members:,} files: it was not read further"
            )

    def _too_big(self, name: str) -> ArchiveError:
        return ArchiveError(
            f"{name} is larger than the {self.max_member_bytes // 2**20:,} MiB limit for one "
            "file in an archive: the archive was not read further"
        )

    def add_output(self, n: int) -> None:
        self._budget.total += n
        if self._budget.total > self.max_total_bytes:
            raise ArchiveError(
                f"the archive unpacks to more than {self.max_total_bytes // 2**20:,} MiB: "
                "it was not read further"
            )

    def check_ratio(self, out: int, compressed: int, name: str) -> None:
        if out > self.ratio_floor and out > self.max_ratio * max(compressed, 1):
            raise ArchiveError(
                f"{name} unpacks to more than {self.max_ratio:g} times its packed size "
                "(a zip bomb, or data too repetitive to screen): the archive was not read "
                "further"
            )

    def _read(
        self,
        fh: _Reader,
        name: str,
        depth: int,
        compressed: int | None,
        tmp: Path,
        count_total: bool = True,
    ) -> Member:
        """Copy one member out in chunks, checking every limit as the bytes come.

        ``count_total``: False where the bytes are already counted (a tar stream counts
        everything it unpacks, headers included)."""
        buf = io.BytesIO()
        spill: IO[bytes] | None = None
        spill_path: Path | None = None
        size = 0
        try:
            while chunk := fh.read(_CHUNK):
                size += len(chunk)
                if size > self.max_member_bytes:
                    raise self._too_big(name)
                if count_total:
                    self.add_output(len(chunk))
                if compressed is not None:
                    self.check_ratio(size, compressed, name)
                if spill is None and size > self.memory_bytes:
                    spill_path = tmp / f"member-{self._budget.members}"
                    spill = spill_path.open("wb")
                    spill.write(buf.getvalue())
                    buf = io.BytesIO()
                    spill.write(chunk)
                elif spill is not None:
                    spill.write(chunk)
                else:
                    buf.write(chunk)
        except BaseException:
            if spill is not None:
                spill.close()
                assert spill_path is not None
                spill_path.unlink(missing_ok=True)
            raise
        if spill is not None:
            spill.close()
            return Member(name, size, depth, path=spill_path)
        return Member(name, size, depth, data=buf.getvalue())

    def _safe(self, prefix: str, raw: str) -> str | None:
        name = safe_member_name(raw)
        if name is None:
            self.notes.append(f"a member named {raw!r} was skipped: its name is unusable")
            return None
        if name != raw:
            self.notes.append(f"the member name {raw!r} was unsafe; it was read as {name!r}")
        return prefix + name


# -- helpers ---------------------------------------------------------------------------

_DRIVE = re.compile(r"^[A-Za-z]:")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def safe_member_name(raw: str) -> str | None:
    """A relative, ``/``-separated name without ``..``, drive letters or control
    characters; None when nothing is left."""
    name = _CONTROL.sub("", raw.replace("\\", "/"))
    name = _DRIVE.sub("", name)
    parts = [p for p in name.split("/") if p not in ("", ".", "..")]
    return "/".join(parts) or None


def archive_kind(head: bytes) -> str | None:
    """ "zip", "tar", "gz", "bz2", "xz" from the first bytes, or None."""
    if head.startswith((b"PK\x03\x04", b"PK\x05\x06")):
        return "zip"
    if head.startswith(b"\x1f\x8b"):
        return "gz"
    if head.startswith(b"BZh"):
        return "bz2"
    if head.startswith(b"\xfd7zXZ\x00"):
        return "xz"
    if _is_tar(head):
        return "tar"
    return None


def _is_tar(block: bytes) -> bool:
    return len(block) >= 262 and block[257:262] == b"ustar"


def _head(source: Path | bytes) -> bytes:
    if isinstance(source, bytes):
        return source[:512]
    with source.open("rb") as fh:
        return fh.read(512)


def _is_document_zip(member: Member) -> bool:
    src: Path | bytes | None = member.data if member.data is not None else member.path
    if src is None or archive_kind(_head(src)) != "zip":
        return False
    try:
        with zipfile.ZipFile(io.BytesIO(src) if isinstance(src, bytes) else src) as zf:
            return zip_document_kind(zf) is not None
    except (zipfile.BadZipFile, OSError, ValueError, EOFError):
        return False


def _drop(member: Member) -> None:
    if member.path is not None:
        member.path.unlink(missing_ok=True)


def _decompressor(kind: str, raw: _Counted) -> _Reader:
    fh = cast(IO[bytes], raw)  # a readable binary file, as the decompressors need
    if kind == "gz":
        return gzip.GzipFile(fileobj=fh, mode="rb")
    if kind == "bz2":
        return bz2.BZ2File(fh, "rb")
    if kind == "xz":
        return lzma.LZMAFile(fh, "rb")
    return raw


class _Counted(io.RawIOBase):
    """Counts the packed bytes read, for the compression ratio of a compressed tar."""

    def __init__(self, raw: IO[bytes]) -> None:
        self.raw = raw
        self.count = 0

    def readable(self) -> bool:
        return True

    def readinto(self, b: bytearray | memoryview) -> int:  # type: ignore[override]
        data = self.raw.read(len(b))
        n = len(data)
        b[:n] = data
        self.count += n
        return n

    def read(self, size: int = -1) -> bytes:
        data = self.raw.read(size)
        self.count += len(data)
        return data

    def seekable(self) -> bool:
        return False


class _Guard(io.RawIOBase):
    """The unpacked tar stream, as a forward-only file for ``tarfile``.

    ``tarfile`` reads long-name and pax headers whole, as large as the header claims: a
    read bigger than ``_MAX_TAR_META`` that is not member data is refused. Every byte is
    counted against the reader's total and, for compressed tars, the ratio.
    """

    def __init__(self, stream: _Reader, counted: _Counted, reader: ArchiveReader, label: str):
        self.stream = stream
        self.counted = counted
        self.reader = reader
        self.label = label
        self.pos = 0
        self._peeked = b""
        self.compressed = stream is not counted

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self.pos

    def peek(self, n: int) -> bytes:
        while len(self._peeked) < n:
            more = self.stream.read(n - len(self._peeked))
            if not more:
                break
            self._peeked += more
        return self._peeked[:n]

    def _raw_read(self, n: int) -> bytes:
        if self._peeked:
            data, self._peeked = self._peeked[:n], self._peeked[n:]
            if len(data) < n:
                data += self.stream.read(n - len(data))
        else:
            data = self.stream.read(n)
        self.pos += len(data)
        self.reader.add_output(len(data))
        if self.compressed:
            self.reader.check_ratio(self.pos, self.counted.count, self.label)
        return data

    def read(self, size: int | None = -1) -> bytes:
        if size is None or size < 0 or size > max(_MAX_TAR_META, _CHUNK):
            raise ArchiveError(f"{self.label} is damaged: a tar header claims an absurd size")
        return self._raw_read(size)

    def readinto(self, b: bytearray | memoryview) -> int:  # type: ignore[override]
        data = self.read(len(b))
        b[: len(data)] = data
        return len(data)

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        target = offset if whence == io.SEEK_SET else self.pos + offset
        if whence not in (io.SEEK_SET, io.SEEK_CUR) or target < self.pos:
            raise OSError("the tar stream can only be read forwards")
        while self.pos < target:
            if not self._raw_read(min(_CHUNK, target - self.pos)):
                break
        return self.pos
