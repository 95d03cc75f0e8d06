"""Reading documents: every format gives its text in reading order, and hostile or broken
input gives a clear ``SignalError`` or a note, never a crash or unbounded work.

All the files are made here: HTML, subtitles and PDFs as strings, DOCX with python-docx,
EPUB and ODT with zipfile, a scanned PDF with Pillow.
"""

from __future__ import annotations

import io
import os
import time
import zipfile
from pathlib import Path

import pytest

from safeharbor.documents import Limits, extract_text
from safeharbor.documents.plain import read_text
from safeharbor.signals.base import Media, SignalError

ZH_SIMPLIFIED = "版权保护是一个复杂的问题。我们需要认真对待每一份上传的作品，尊重原创者的劳动。"
ZH_TRADITIONAL = "版權保護是一個複雜的問題。我們需要認真對待每一份上傳的作品，尊重原創者的勞動。"


def media(data: bytes, mime: str = "application/octet-stream", modality: str = "binary") -> Media:
    """Content as an upload would carry it; an unknown mime makes extract_text sniff."""
    return Media(modality=modality, mime=mime, data=data)


def on_disk(tmp_path: Path, name: str, data: bytes) -> Media:
    path = tmp_path / name
    path.write_bytes(data)
    return Media(modality="binary", mime="application/octet-stream", path=path, name=name)


# -- plain text and encodings ----------------------------------------------------------


def test_utf8_text_is_read_as_is():
    got = extract_text(media("Ünïcödé text\nsecond line\n".encode(), "text/plain", "text"))
    assert got.text == "Ünïcödé text\nsecond line\n"
    assert got.format == "plain" and got.notes == () and not got.no_text_layer


@pytest.mark.parametrize(
    ("text", "encoding", "label"),
    [(ZH_SIMPLIFIED, "gbk", "GBK"), (ZH_TRADITIONAL, "big5", "Big5")],
)
def test_chinese_legacy_encodings_decode_right(text: str, encoding: str, label: str):
    got = extract_text(media((text * 3).encode(encoding)))
    assert got.text == text * 3
    assert any(label in n for n in got.notes)  # the guess is said, not hidden


def test_utf16_with_bom():
    got = extract_text(media("Hello, 世界\n".encode("utf-16")))
    assert got.text == "Hello, 世界\n" and got.notes == ()


def test_windows_1252_for_mostly_english_text():
    got = extract_text(media("Café society, naïve résumés and a façade.\n".encode("cp1252")))
    assert got.text.startswith("Café society, naïve résumés")


def test_binary_posing_as_text_is_refused():
    fake = b"Hello, this is plain text.\n" + os.urandom(20_000)
    with pytest.raises(SignalError, match="not readable text"):
        extract_text(media(fake, "text/plain", "text"))


def test_binary_after_a_long_text_stops_reading_with_a_note():
    data = b"plain words here\n" * 10_000 + os.urandom(2_000_000)
    got = extract_text(media(data, "text/plain", "text"))
    # it stops where the noise begins (give or take the few noise bytes that pass for text)
    assert got.text.startswith("plain words here\n" * 10_000)
    assert len(got.text) < 170_000 + 256
    assert any("turns into binary data" in n for n in got.notes)


def test_mixed_encodings_keep_the_readable_part_and_say_so():
    # a UTF-8 file (the first 64 KiB decide) with a GBK passage pasted in later
    data = (f"English and {ZH_SIMPLIFIED} " * 800).encode() + ZH_SIMPLIFIED.encode("gbk")
    data += " tail 尾".encode()
    got = extract_text(media(data, "text/plain", "text"))
    assert got.text.startswith("English and 版权") and got.text.endswith(" tail 尾")
    assert any("not valid UTF-8" in n and "replaced" in n for n in got.notes)


class CountingReader(io.BytesIO):
    def __init__(self, data: bytes) -> None:
        super().__init__(data)
        self.taken = 0

    def read(self, size: int | None = -1) -> bytes:
        out = super().read(size)
        self.taken += len(out)
        return out


def test_a_huge_single_line_is_read_only_up_to_the_limit(tmp_path: Path):
    line = b"x" * (8 * 1024 * 1024)  # 8 MB and no newline: stands for the 1 GB line
    fh = CountingReader(line)
    text, notes = read_text(fh, 100_000)
    assert len(text) == 100_000
    assert fh.taken < 2 * 1024 * 1024  # it stopped reading soon after the limit
    got = extract_text(on_disk(tmp_path, "line.txt", line), max_chars=100_000)
    assert len(got.text) == 100_000 and any("only the first 100,000" in n for n in got.notes)


# -- HTML ------------------------------------------------------------------------------


def test_html_text_in_reading_order_without_scripts_or_styles():
    page = b"""<!DOCTYPE html><html><head><title>Site title</title>
    <style>p { color: red }</style><script>var secret = "hidden";</script></head>
    <body><h1>Chapter One</h1><p>It was a <b>bright</b> cold
    day in April,</p><p>and the clocks were striking thirteen.</p>
    <ul><li>first</li><li>second</li></ul></body></html>"""
    got = extract_text(media(page))
    assert got.format == "html"
    assert got.text == (
        "Chapter One\nIt was a bright cold day in April,\n"
        "and the clocks were striking thirteen.\nfirst\nsecond"
    )


def test_html_in_gbk_with_and_without_a_declared_charset():
    declared = f'<html><head><meta charset="gbk"></head><body><p>{ZH_SIMPLIFIED}</p>'
    got = extract_text(media(declared.encode("gbk"), "text/html", "document"))
    assert got.text == ZH_SIMPLIFIED
    bare = f"<html><body><p>{ZH_SIMPLIFIED}</p></body></html>"
    got = extract_text(media(bare.encode("gbk"), "text/html", "document"))
    assert got.text == ZH_SIMPLIFIED and any("GBK" in n for n in got.notes)


def test_deeply_nested_html_does_not_crash():
    page = b"<html><body>" + b"<div>" * 100_000 + b"deep" + b"</div>" * 100_000
    got = extract_text(media(page, "text/html", "document"))
    assert got.format == "html"  # libxml2 caps the depth; no RecursionError either way


# -- subtitles -------------------------------------------------------------------------

SRT = """1
00:00:01,000 --> 00:00:03,000
<i>Where are you</i> going?

2
00:00:04,000 --> 00:00:06,000
To the lighthouse,
before the storm.
"""

ASS = r"""[Script Info]
ScriptType: v4.00+

[Events]
Format: Layer, Start, End, Style, Name, MarginL, MarginR, MarginV, Effect, Text
Dialogue: 0,0:00:05.00,0:00:06.00,Default,,0,0,0,,and this comes second.
Dialogue: 0,0:00:01.00,0:00:02.00,Default,,0,0,0,,{\b1}This line{\b0} is first\Nin time,
Comment: 0,0:00:03.00,0:00:04.00,Default,,0,0,0,,a translator's comment
Dialogue: 0,0:00:03.00,0:00:04.00,Default,,0,0,0,,{\p1}m 0 0 l 100 0 100 100{\p0}
"""

VTT = """WEBVTT

00:00.500 --> 00:02.000
<v Anna>The first cue

00:02.500 --> 00:04.000
and the second
"""


def test_srt_lines_without_timings_or_tags():
    got = extract_text(media(SRT.encode()))
    assert got.format == "srt"
    assert got.text == "Where are you going?\nTo the lighthouse, before the storm."


def test_ass_lines_in_time_order_without_comments_or_drawings():
    got = extract_text(media(ASS.encode()))
    assert got.format == "ass"
    assert got.text == "This line is first in time,\nand this comes second."


def test_webvtt():
    got = extract_text(media(VTT.encode()))
    assert got.format == "vtt" and got.text == "The first cue\nand the second"


def test_subtitles_in_big5():
    srt = f"1\n00:00:01,000 --> 00:00:02,000\n{ZH_TRADITIONAL}\n"
    got = extract_text(media(srt.encode("big5")))
    assert got.format == "srt" and got.text == ZH_TRADITIONAL


# -- DOCX and ODT ----------------------------------------------------------------------


def docx_bytes() -> bytes:
    import docx

    doc = docx.Document()
    doc.add_heading("The Title", level=1)
    doc.add_paragraph("First paragraph, with ").add_run("bold words").bold = True
    table = doc.add_table(rows=1, cols=2)
    table.rows[0].cells[0].text = "left cell"
    table.rows[0].cells[1].text = "right cell"
    doc.add_paragraph("Last paragraph.")
    buf = io.BytesIO()
    doc.save(buf)
    return buf.getvalue()


def test_docx_text_in_document_order_tables_included(tmp_path: Path):
    got = extract_text(on_disk(tmp_path, "book.docx", docx_bytes()))
    assert got.format == "docx"
    lines = got.text.split("\n")
    assert lines[0] == "The Title"
    assert lines[1] == "First paragraph, with bold words"
    assert "left cell" in lines[2] and "right cell" in got.text.split("left cell")[1]
    assert lines[-1] == "Last paragraph."


def test_truncated_docx_is_a_clear_error():
    data = docx_bytes()
    with pytest.raises(SignalError, match="DOCX document is damaged"):
        extract_text(media(data[: len(data) // 2], "application/vnd.openxmlformats-"
                           "officedocument.wordprocessingml.document", "document"))  # fmt: skip


def test_docx_with_broken_xml_is_a_clear_error():
    good = zipfile.ZipFile(io.BytesIO(docx_bytes()))
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for info in good.infolist():
            data = good.read(info)
            z.writestr(info, data[:100] if info.filename == "word/document.xml" else data)
    with pytest.raises(SignalError, match="damaged"):
        extract_text(media(buf.getvalue()))


def test_docx_shaped_zip_bomb_is_refused():
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        with z.open("word/document.xml", "w") as fh:
            fh.write(b"<w:document>")
            for _ in range(40):
                fh.write(b" " * (1 << 20))
    with pytest.raises(SignalError, match="zip bomb"):
        extract_text(media(buf.getvalue()), limits=Limits(ratio_floor=1 << 20))


def odt_bytes() -> bytes:
    content = """<?xml version="1.0" encoding="UTF-8"?>
<office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0"
 xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0">
<office:body><office:text>
<text:h>Heading</text:h>
<text:p>Some <text:span>styled</text:span> text<text:s text:c="2"/>here.</text:p>
<text:p>Second<text:line-break/>line</text:p>
</office:text></office:body></office:document-content>"""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("mimetype", "application/vnd.oasis.opendocument.text")
        z.writestr("content.xml", content)
    return buf.getvalue()


def test_odt_text():
    got = extract_text(media(odt_bytes()))
    assert got.format == "odt"
    assert got.text == "Heading\nSome styled text  here.\nSecond\nline"


# -- EPUB ------------------------------------------------------------------------------


def epub_bytes(
    chapters: dict[str, str], spine: list[str], encrypted: tuple[str, ...] = ()
) -> bytes:
    manifest = "".join(
        f'<item id="{n}" href="text/{n}.xhtml" media-type="application/xhtml+xml"/>'
        for n in chapters
    )
    refs = "".join(f'<itemref idref="{n}"/>' for n in spine)
    opf = f"""<?xml version="1.0"?>
<package xmlns="http://www.idpf.org/2007/opf" version="3.0">
<manifest>{manifest}</manifest><spine>{refs}</spine></package>"""
    container = """<?xml version="1.0"?>
<container version="1.0" xmlns="urn:oasis:names:tc:opendocument:xmlns:container">
<rootfiles><rootfile full-path="OEBPS/content.opf"
 media-type="application/oebps-package+xml"/></rootfiles></container>"""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr(zipfile.ZipInfo("mimetype"), "application/epub+zip")
        z.writestr("META-INF/container.xml", container)
        if encrypted:
            refs_enc = "".join(
                f'<enc:EncryptedData><enc:CipherData><enc:CipherReference URI="{u}"/>'
                "</enc:CipherData></enc:EncryptedData>"
                for u in encrypted
            )
            z.writestr(
                "META-INF/encryption.xml",
                '<encryption xmlns="urn:oasis:names:tc:opendocument:xmlns:container" '
                f'xmlns:enc="http://www.w3.org/2001/04/xmlenc#">{refs_enc}</encryption>',
            )
        z.writestr("OEBPS/content.opf", opf)
        for n, body in chapters.items():
            z.writestr(
                f"OEBPS/text/{n}.xhtml",
                '<?xml version="1.0" encoding="utf-8"?><html xmlns="http://www.w3.org/1999/xhtml">'
                f"<head><title>{n}</title></head><body>{body}</body></html>",
            )
    return buf.getvalue()


def test_epub_chapters_in_spine_order():
    book = epub_bytes(
        {"a": "<p>Chapter A text.</p>", "b": f"<h2>Chapter B</h2><p>{ZH_SIMPLIFIED}</p>"},
        spine=["b", "a"],  # the spine, not the manifest or zip order, is the reading order
    )
    got = extract_text(media(book))
    assert got.format == "epub"
    assert got.text == f"Chapter B\n{ZH_SIMPLIFIED}\nChapter A text."


def test_epub_with_drm_is_refused_with_that_reason():
    book = epub_bytes({"a": "<p>locked</p>"}, ["a"], encrypted=("OEBPS/text/a.xhtml",))
    with pytest.raises(SignalError, match="DRM"):
        extract_text(media(book))


def test_truncated_epub_is_a_clear_error():
    book = epub_bytes({"a": "<p>x</p>" * 2000}, ["a"])
    with pytest.raises(SignalError, match="EPUB book is damaged"):
        extract_text(media(book[: len(book) - 200], "application/epub+zip", "document"))


def test_epub_without_a_package_is_a_clear_error():
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("mimetype", "application/epub+zip")
    with pytest.raises(SignalError, match="container.xml"):
        extract_text(media(buf.getvalue()))


# -- PDF -------------------------------------------------------------------------------


def pdf_bytes(objects: list[bytes], trailer: bytes = b"") -> bytes:
    """A PDF file from its objects (numbered from 1), with a correct xref table."""
    out = b"%PDF-1.4\n"
    offsets = []
    for i, obj in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % i + obj + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % o for o in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R %s>>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        trailer,
        xref,
    )
    return out


def stream(content: bytes) -> bytes:
    return b"<< /Length %d >>\nstream\n" % len(content) + content + b"\nendstream"


def text_pdf() -> bytes:
    res = b"/Resources << /Font << /F1 7 0 R >> >>"
    page = b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents %d 0 R " + res + b">>"
    return pdf_bytes(
        [
            b"<< /Type /Catalog /Pages 2 0 R >>",
            b"<< /Type /Pages /Kids [3 0 R 5 0 R] /Count 2 >>",
            page % 4,
            stream(b"BT /F1 24 Tf 72 700 Td (First page text) Tj 0 -30 Td (next line) Tj ET"),
            page % 6,
            stream(b"BT /F1 24 Tf 72 700 Td (Page two words) Tj ET"),
            b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        ]
    )


def test_pdf_text_in_page_order(tmp_path: Path):
    got = extract_text(on_disk(tmp_path, "t.pdf", text_pdf()))
    assert got.format == "pdf" and not got.no_text_layer
    assert got.text == "First page text\nnext line\nPage two words"


def test_scanned_pdf_has_no_text_layer():
    from PIL import Image, ImageDraw

    page = Image.new("RGB", (400, 300), "white")
    ImageDraw.Draw(page).text((20, 20), "words drawn as pixels", fill="black")
    buf = io.BytesIO()
    page.save(buf, "PDF")
    got = extract_text(media(buf.getvalue()))
    assert got.no_text_layer and got.text == ""
    assert any("no text layer" in n for n in got.notes)


def test_pdf_with_a_cyclic_page_tree_is_a_clear_error_in_bounded_time():
    cyclic = pdf_bytes(
        [
            b"<< /Type /Catalog /Pages 2 0 R >>",
            b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            b"<< /Type /Pages /Parent 2 0 R /Kids [2 0 R] /Count 1 >>",
        ]
    )
    started = time.monotonic()
    with pytest.raises(SignalError, match="PDF"):
        extract_text(media(cyclic), limits=Limits(pdf_timeout_s=10))
    assert time.monotonic() - started < 10


def test_pdf_with_a_cyclic_prev_chain_does_not_hang():
    base = text_pdf()
    xref = int(base.rsplit(b"startxref\n", 1)[1].split(b"\n")[0])
    # the trailer's /Prev points back at the same xref table: a reader following it loops
    data = base.replace(b"/Root 1 0 R >>", b"/Root 1 0 R /Prev %d >>" % xref)
    started = time.monotonic()
    try:
        got = extract_text(media(data), limits=Limits(pdf_timeout_s=10))
        assert "First page text" in got.text  # PDFium notices the loop and reads on
    except SignalError as exc:
        assert "PDF" in str(exc)
    assert time.monotonic() - started < 10


def test_pdf_reader_is_stopped_at_its_time_limit():
    with pytest.raises(SignalError, match="could not be read within"):
        extract_text(media(text_pdf()), limits=Limits(pdf_timeout_s=0.001))


@pytest.mark.parametrize("cut", [40, 0.5])
def test_truncated_or_corrupt_pdf_is_a_clear_error(cut: float):
    data = text_pdf()
    n = int(cut if cut >= 1 else len(data) * cut)
    with pytest.raises(SignalError, match="PDF is damaged"):
        extract_text(media(data[:n], "application/pdf", "document"))


def test_password_protected_pdf_says_so():
    pytest.importorskip("pypdfium2")
    # an /Encrypt dictionary with a user password that nothing here knows
    enc = b"<< /Filter /Standard /V 1 /R 2 /O <%s> /U <%s> /P -4 >>" % (b"00" * 32, b"11" * 32)
    data = pdf_bytes(
        [
            b"<< /Type /Catalog /Pages 2 0 R >>",
            b"<< /Type /Pages /Kids [] /Count 0 >>",
            enc,
        ],
        b"/Encrypt 3 0 R /ID [<%s> <%s>] " % (b"ab" * 16, b"ab" * 16),
    )
    with pytest.raises(SignalError, match="password"):
        extract_text(media(data))


# -- what is not a document ------------------------------------------------------------


def test_an_image_is_not_text():
    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGB", (8, 8)).save(buf, "PNG")
    with pytest.raises(SignalError, match="not text or a document"):
        extract_text(media(buf.getvalue()))


def test_a_docx_part_past_the_size_limit_is_refused():
    with pytest.raises(SignalError, match="too large to read"):
        extract_text(media(docx_bytes()), limits=Limits(max_part_bytes=100))


def test_max_chars_cuts_every_format_with_a_note():
    for data in (
        docx_bytes(),
        text_pdf(),
        SRT.encode(),
        epub_bytes({"a": "<p>abcdefghij</p>"}, ["a"]),
    ):
        got = extract_text(media(data), max_chars=5)
        assert len(got.text) == 5 and any("only the first 5" in n for n in got.notes), got
