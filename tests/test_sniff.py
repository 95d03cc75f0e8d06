"""Sniffing: the bytes decide the family (image, document, archive, text...), the name only
chooses within text (which language a source file is in), and binary posing as text
stays binary."""

from __future__ import annotations

import io
import os
import tarfile
import zipfile
from pathlib import Path

import pytest

from safeharbor.screening.sniff import sniff, sniff_bytes, sniff_path
from tests.test_documents import (
    ASS,
    SRT,
    VTT,
    ZH_SIMPLIFIED,
    ZH_TRADITIONAL,
    docx_bytes,
    epub_bytes,
    odt_bytes,
    text_pdf,
)


def png() -> bytes:
    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGB", (4, 4)).save(buf, "PNG")
    return buf.getvalue()


def test_a_png_named_py_is_an_image_and_the_name_is_flagged():
    got = sniff(png(), "script.py")
    assert (got.modality, got.mime) == ("image", "image/png")
    assert got.name_mismatch and ".py" in got.name_mismatch


@pytest.mark.parametrize(
    ("text", "encoding"),
    [
        ("plain words\n", "utf-8"),
        (ZH_SIMPLIFIED * 4, "gbk"),
        (ZH_TRADITIONAL * 4, "big5"),
        ("Hello 世界\n", "utf-16"),
        ("naïve café façade, the usual words\n", "cp1252"),
    ],
)
def test_text_in_every_supported_encoding_is_text(text: str, encoding: str):
    got = sniff(text.encode(encoding))
    assert (got.modality, got.mime) == ("text", "text/plain")


@pytest.mark.parametrize(
    "data",
    [
        os.urandom(8192),
        b"\xff\xfe" + os.urandom(8190),  # a UTF-16 BOM in front of noise
        b"A text header\n" + os.urandom(4000),
        b"looks like text\x00\x01\x02 but has NULs",
        bytes(range(0x80, 0x100)) * 32,  # every high byte: decodes in code pages only
        "Hello".encode("utf-16-le") * 100,  # UTF-16 without a BOM is not accepted as text
    ],
)
def test_binary_posing_as_text_stays_binary(data: bytes):
    assert sniff(data).modality == "binary"


def test_a_multibyte_character_cut_at_the_end_of_the_sample_is_still_text():
    data = ("字" * 3000).encode()[:8191]
    assert sniff(data).modality == "text"
    data = (ZH_SIMPLIFIED * 200).encode("gbk")[:8191]
    assert sniff(data).modality == "text"


@pytest.mark.parametrize(
    ("name", "mime"),
    [
        ("a.py", "text/x-python"),
        ("lib.rs", "text/x-rust"),
        ("x.h", "text/x-c"),
        ("Main.java", "text/x-java"),
        ("app.mjs", "text/javascript"),
        ("types.ts", "text/x-typescript"),
        ("Prog.cs", "text/x-csharp"),
    ],
)
def test_code_by_extension(name: str, mime: str):
    got = sniff(b"anything readable at all\n", name)
    assert (got.modality, got.mime, got.name_mismatch) == ("code", mime, None)


@pytest.mark.parametrize(
    ("source", "mime"),
    [
        ("#!/usr/bin/env python3\nprint('hi')\n", "text/x-python"),
        ("#!/bin/sh\necho hi\n", "text/x-shellscript"),
        ("<?php echo 1; ?>", "text/x-php"),
        ("#include <stdio.h>\n\nint main(void) {\n    return 0;\n}\n", "text/x-c"),
        ('package main\n\nimport "fmt"\n\nfunc main() {}\n', "text/x-go"),
        ("import os\n\n\ndef main() -> None:\n    pass\n", "text/x-python"),
        ("use std::io;\n\nfn main() {\n}\n", "text/x-rust"),
    ],
)
def test_code_without_a_name_from_strong_cues(source: str, mime: str):
    got = sniff(source.encode())
    assert (got.modality, got.mime) == ("code", mime)


def test_prose_is_not_code_and_a_txt_name_keeps_code_text():
    prose = "Import duties were raised. The class of 1999 met again;\nreturn to sender.\n"
    assert sniff(prose.encode()).modality == "text"
    script = b"import os\n\ndef main():\n    pass\n"
    assert sniff(script, "notes.txt").modality == "text"
    assert sniff(script).modality == "code"


@pytest.mark.parametrize(
    ("data", "mime"),
    [
        (b"<!DOCTYPE html><html><body><p>x</p></body></html>", "text/html"),
        (b"  <html lang='en'><p>x</p></html>", "text/html"),
        (SRT.encode(), "application/x-subrip"),
        (ASS.encode(), "text/x-ssa"),
        (VTT.encode(), "text/vtt"),
    ],
)
def test_text_documents(data: bytes, mime: str):
    got = sniff(data)
    assert (got.modality, got.mime) == ("document", mime)


def test_html_fragment_by_its_name():
    assert sniff(b"<p>a fragment</p>", "page.html").mime == "text/html"
    assert sniff(b"<p>a fragment</p>").mime == "text/plain"


def on_disk(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def test_office_and_book_zips_are_documents_not_archives(tmp_path: Path):
    book = epub_bytes({"a": "<p>x</p>"}, ["a"])
    for name, data, mime in [
        ("a.docx", docx_bytes(), "application/vnd.openxmlformats-officedocument."
         "wordprocessingml.document"),
        ("a.epub", book, "application/epub+zip"),
        ("a.odt", odt_bytes(), "application/vnd.oasis.opendocument.text"),
        ("a.pdf", text_pdf(), "application/pdf"),
    ]:  # fmt: skip
        got = sniff_path(on_disk(tmp_path, name, data))
        assert (got.modality, got.mime, got.name_mismatch) == ("document", mime, None), name


def test_a_docx_whose_first_bytes_do_not_tell_is_found_from_its_member_list(tmp_path: Path):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_STORED) as z:
        z.writestr("customXml/padding.bin", os.urandom(20_000))  # pushes the names out of 8 KiB
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("word/document.xml", "<w:document/>")
    assert sniff(buf.getvalue()[:8192]).modality == "archive"
    got = sniff_path(on_disk(tmp_path, "report.docx", buf.getvalue()))
    assert got.modality == "document" and got.mime.endswith("wordprocessingml.document")


def test_a_plain_zip_and_tars_are_archives(tmp_path: Path):
    z = io.BytesIO()
    with zipfile.ZipFile(z, "w") as zf:
        zf.writestr("a.txt", "a")
    assert sniff_path(on_disk(tmp_path, "a.zip", z.getvalue())).modality == "archive"
    for mode in ("w", "w:gz", "w:bz2", "w:xz"):
        t = io.BytesIO()
        with tarfile.open(fileobj=t, mode=mode) as tf:  # type: ignore[call-overload]
            info = tarfile.TarInfo("a.txt")
            info.size = 1
            tf.addfile(info, io.BytesIO(b"a"))
        assert sniff(t.getvalue()).modality == "archive", mode


def test_a_docx_named_zip_is_a_document_and_the_name_is_flagged(tmp_path: Path):
    got = sniff_path(on_disk(tmp_path, "bundle.zip", docx_bytes()))
    assert got.modality == "document"
    assert got.name_mismatch and ".zip" in got.name_mismatch


def test_name_mismatches():
    assert "name says .jpg" in (sniff(b"not a picture\n", "photo.jpg").name_mismatch or "")
    assert "name says .pdf" in (sniff(b"not a pdf\n", "paper.pdf").name_mismatch or "")
    # within text, a name choosing the format or language is no lie
    assert sniff(b"<html><p>x</p></html>", "page.txt").name_mismatch is None
    assert sniff(b"plain words\n", "index.html").name_mismatch is None
    assert sniff(b"const x = 1;\n", "main.ts").name_mismatch is None  # .ts: TypeScript too
    assert "content is text" in (sniff(b"plain words\n", "a.zip").name_mismatch or "")


def test_sniff_bytes_finds_a_docx_from_its_member_list():
    from safeharbor.screening.sniff import sniff_bytes

    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_STORED) as z:
        z.writestr("customXml/padding.bin", os.urandom(20_000))
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("word/document.xml", "<w:document/>")
    assert sniff_bytes(buf.getvalue()).modality == "document"


def test_utf8_text_with_stray_control_characters_is_still_text() -> None:
    # fortune files ring the terminal bell; refusing them as binary would let an uploader
    # dodge the text screen by adding a few control characters
    line = "A fortune with a bell in it, as the old files have. " * 20
    data = (line[:500] + "\x07" * 12 + line[500:]).encode()
    assert sniff_bytes(data, "fortune.txt").modality == "text"
    # a legacy guess stays strict: random bytes are not text, whatever the name says
    noise = bytes(b for b in os.urandom(6000) if b)
    assert sniff_bytes(noise, "x.txt").modality == "binary"
