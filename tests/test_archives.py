"""Archives read member by member under limits: bombs, hostile names, links, nesting and
damage give a clear error or note, never a crash or unbounded memory or disk."""

from __future__ import annotations

import bz2
import gzip
import io
import lzma
import tarfile
import time
import zipfile
from pathlib import Path

import pytest

from safeharbor.documents.archives import ArchiveError, ArchiveReader, safe_member_name


def zip_of(files: dict[str, bytes], method: int = zipfile.ZIP_DEFLATED) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", method) as z:
        for name, data in files.items():
            z.writestr(name, data)
    return buf.getvalue()


def tar_of(files: dict[str, bytes], mode: str = "w") -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode=mode) as tf:  # type: ignore[call-overload]
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tf.addfile(info, io.BytesIO(data))
    return buf.getvalue()


def read_all(source: bytes | Path, **limits: int) -> tuple[dict[str, bytes], list[str]]:
    reader = ArchiveReader(**limits)  # type: ignore[arg-type]
    got = {m.name: m.read() for m in reader.members(source, name="upload")}
    return got, reader.notes


def test_zip_members_with_names_and_bytes():
    got, notes = read_all(zip_of({"a.txt": b"alpha", "dir/b.txt": b"beta", "dir/": b""}))
    assert got == {"a.txt": b"alpha", "dir/b.txt": b"beta"} and notes == []


@pytest.mark.parametrize("mode", ["w", "w:gz", "w:bz2", "w:xz"])
def test_tar_in_every_compression(mode: str):
    got, _ = read_all(tar_of({"x/one.txt": b"1", "two.txt": b"22"}, mode))
    assert got == {"x/one.txt": b"1", "two.txt": b"22"}


@pytest.mark.parametrize("pack", [gzip.compress, bz2.compress, lzma.compress])
def test_a_single_compressed_file_is_one_member(pack):  # noqa: ANN001
    reader = ArchiveReader()
    got = [(m.name, m.read()) for m in reader.members(pack(b"just text"), name="notes.txt.gz")]
    assert got == [("notes.txt", b"just text")]


def test_path_traversal_names_are_made_safe_with_a_note():
    got, notes = read_all(
        zip_of({"../../etc/passwd": b"p", "/abs/file": b"a", "C:\\win\\x.ini": b"w"})
    )
    assert set(got) == {"etc/passwd", "abs/file", "win/x.ini"}
    assert len(notes) == 3 and all("unsafe" in n for n in notes)
    got, notes = read_all(tar_of({"../up.txt": b"u", "a/../../b.txt": b"b"}, "w:gz"))
    assert set(got) == {"up.txt", "a/b.txt"} and len(notes) == 2


@pytest.mark.parametrize(
    ("raw", "safe"),
    [("a/./b", "a/b"), ("..", None), ("D:/x", "x"), ("a\x00b", "ab"), ("\\\\srv\\s\\f", "srv/s/f")],
)
def test_safe_member_name(raw: str, safe: str | None):
    assert safe_member_name(raw) == safe


def test_links_and_devices_are_skipped():
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tf:
        for name, kind in [("sym", tarfile.SYMTYPE), ("hard", tarfile.LNKTYPE),
                           ("dev", tarfile.CHRTYPE), ("fifo", tarfile.FIFOTYPE)]:  # fmt: skip
            info = tarfile.TarInfo(name)
            info.type, info.linkname = kind, "/etc/shadow"
            tf.addfile(info)
        info = tarfile.TarInfo("real.txt")
        info.size = 4
        tf.addfile(info, io.BytesIO(b"real"))
    got, notes = read_all(buf.getvalue())
    assert got == {"real.txt": b"real"} and len(notes) == 4
    zbuf = io.BytesIO()
    with zipfile.ZipFile(zbuf, "w") as z:
        link = zipfile.ZipInfo("link")
        link.external_attr = 0o120777 << 16  # a unix symlink
        z.writestr(link, "/etc/shadow")
        z.writestr("ok.txt", "ok")
    got, notes = read_all(zbuf.getvalue())
    assert got == {"ok.txt": b"ok"} and "link was skipped" in notes[0]


def zeros_zip(mb: int) -> bytes:
    """A zip with one member of ``mb`` MiB of zeros, written in chunks (cheap to make)."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z, z.open("zeros.bin", "w") as fh:
        chunk = bytes(1 << 20)
        for _ in range(mb):
            fh.write(chunk)
    return buf.getvalue()


def test_zip_bomb_is_stopped_early():
    bomb = zeros_zip(200)
    assert len(bomb) < 1 << 20  # 200 MiB in a few hundred KiB
    started = time.monotonic()
    with pytest.raises(ArchiveError, match="zip bomb"):
        read_all(bomb + b"")
    assert time.monotonic() - started < 5  # stopped after ~16 MiB, not 200


def test_tar_gz_bomb_is_stopped_early():
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tf:
        info = tarfile.TarInfo("zeros")
        info.size = 200 << 20

        class Zeros:
            def read(self, n: int) -> bytes:
                return bytes(n)

        tf.addfile(info, Zeros())  # type: ignore[arg-type]
    with pytest.raises(ArchiveError, match="zip bomb"):
        read_all(buf.getvalue())


def test_nested_bomb_is_caught_inside_the_outer_archive():
    with pytest.raises(ArchiveError, match="zip bomb"):
        read_all(zip_of({"inner.zip": zeros_zip(40)}, zipfile.ZIP_STORED))


def test_member_count_limit():
    files = {f"f{i}.txt": b"x" for i in range(20)}
    with pytest.raises(ArchiveError, match="more than 10 files"):
        read_all(zip_of(files), max_members=10)
    reader = ArchiveReader(max_members=10)
    seen = []
    with pytest.raises(ArchiveError):
        seen.extend(m.name for m in reader.members(tar_of(files)))
    assert len(seen) == 10  # what came before the limit was read in full


def test_member_and_total_size_limits():
    with pytest.raises(ArchiveError, match="larger than the 1 MiB limit"):
        read_all(zip_of({"big": bytes(2 << 20)}), max_member_bytes=1 << 20)
    with pytest.raises(ArchiveError, match="larger than the 1 MiB limit"):
        read_all(tar_of({"big": bytes(2 << 20)}), max_member_bytes=1 << 20)
    three = {f"{i}": bytes(1 << 20) for i in range(3)}
    with pytest.raises(ArchiveError, match="unpacks to more than 2 MiB"):
        read_all(zip_of(three), max_total_bytes=2 << 20)


def test_big_members_go_to_a_temp_file_that_is_removed(tmp_path: Path):
    reader = ArchiveReader(memory_bytes=1 << 16, tmp_dir=tmp_path)
    seen = []
    for m in reader.members(zip_of({"big": b"y" * (1 << 20), "small": b"s"})):
        seen.append((m.name, m.data is None, m.size, m.read()[:1]))
        if m.name == "big":
            assert m.path is not None and m.path.exists()
    assert seen == [("big", True, 1 << 20, b"y"), ("small", False, 1, b"s")]
    assert list(tmp_path.iterdir()) == []  # nothing left behind


def test_nested_archives_open_to_the_depth_limit():
    level2 = zip_of({"deepest.txt": b"3"})
    level1 = tar_of({"l2.zip": level2, "mid.txt": b"2"}, "w:gz")
    outer = zip_of({"l1.tgz": level1, "top.txt": b"1"})
    got, notes = read_all(outer, max_depth=2)
    assert got == {"l1.tgz/l2.zip/deepest.txt": b"3", "l1.tgz/mid.txt": b"2", "top.txt": b"1"}
    got, notes = read_all(outer, max_depth=1)
    assert "l1.tgz/l2.zip/deepest.txt" not in got and "l1.tgz/mid.txt" in got
    assert any("nested more than 1 deep" in n for n in notes)


def test_a_docx_inside_an_archive_is_a_member_not_an_archive():
    import docx

    buf = io.BytesIO()
    d = docx.Document()
    d.add_paragraph("hello")
    d.save(buf)
    got, _ = read_all(zip_of({"report.docx": buf.getvalue()}))
    assert list(got) == ["report.docx"] and got["report.docx"] == buf.getvalue()


def test_encrypted_zip_members_are_skipped_with_a_note():
    data = bytearray(zip_of({"secret.txt": b"s"}, zipfile.ZIP_STORED))
    # set the "encrypted" flag in both the local and the central header
    for sig in (b"PK\x03\x04", b"PK\x01\x02"):
        at = data.index(sig) + (6 if sig == b"PK\x03\x04" else 8)
        data[at] |= 1
    got, notes = read_all(bytes(data))
    assert got == {} and "encrypted" in notes[0]


@pytest.mark.parametrize(
    "data",
    [
        zip_of({"a.txt": b"a" * 5000})[:-30],  # truncated: no central directory
        b"PK\x03\x04" + b"\x00" * 100,
        gzip.compress(b"z" * 10000)[:-100],
        b"7z\xbc\xaf\x27\x1c" + b"\x00" * 100,  # a 7z archive: not supported
    ],
)
def test_damaged_or_unsupported_archives_are_a_clear_error(data: bytes):
    with pytest.raises(ArchiveError) as err:
        read_all(data)
    assert "upload" in str(err.value) and "\n" not in str(err.value)


def test_corrupt_member_is_a_clear_error():
    data = bytearray(zip_of({"a.txt": b"hello world " * 100}))
    data[40:60] = b"\xff" * 20  # inside the deflated data
    with pytest.raises(ArchiveError, match="damaged"):
        read_all(bytes(data))


def test_tar_header_claiming_a_huge_long_name_is_refused():
    header = tarfile.TarInfo("././@LongLink")
    header.type = tarfile.GNUTYPE_LONGNAME
    header.size = 1 << 30  # a 1 GiB "name" tarfile would read whole into memory
    raw = header.tobuf(format=tarfile.GNU_FORMAT) + b"a" * 4096
    with pytest.raises(ArchiveError, match="absurd size|damaged"):
        read_all(gzip.compress(raw))


def test_members_sniffed_and_read_as_the_screen_would():
    """The path the screening service takes for an archive: each member is sniffed from
    its own bytes and its text read like an upload of its own."""
    from safeharbor.documents import extract_text
    from safeharbor.screening.sniff import sniff_bytes
    from safeharbor.signals.base import Media
    from tests.test_documents import ZH_SIMPLIFIED, docx_bytes

    upload = zip_of(
        {
            "novel/chapter1.txt": ZH_SIMPLIFIED.encode("gbk"),
            "novel/notes.docx": docx_bytes(),
            "src/main.py": b"import os\n",
        }
    )
    found = {}
    for m in ArchiveReader().members(upload, name="bundle.zip"):
        kind = sniff_bytes(m.read(), m.name)
        found[m.name] = kind.modality
        if kind.modality in ("text", "document"):
            media = Media(kind.modality, kind.mime, data=m.data, path=m.path, name=m.name)
            text = extract_text(media).text
            assert text.startswith(ZH_SIMPLIFIED if m.name.endswith(".txt") else "The Title")
    assert found == {
        "novel/chapter1.txt": "text",
        "novel/notes.docx": "document",
        "src/main.py": "code",
    }


def test_each_member_of_an_archive_gets_its_own_exact_hash_naming_it():
    # an exact copy of a registered file inside a zip is matched like the file alone
    import hashlib

    from safeharbor.screening.fingerprinting import extract_all
    from safeharbor.signals import all_signals
    from safeharbor.signals.base import Media, Role

    inner = b"\x89PNG not really, just bytes a registered file holds\n" * 50
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("release/poster.bin", inner)
    data = buf.getvalue()
    fps = extract_all(Media("archive", "application/zip", data=data), Role.QUERY, all_signals())
    exact = [fp for fp in fps if fp.signal == "exact"]
    assert exact[0].value == hashlib.sha256(data).digest()  # the upload itself comes first
    assert any(
        fp.value == hashlib.sha256(inner).digest() and fp.meta.get("member") == "release/poster.bin"
        for fp in exact
    )
