"""Which zip files are documents (EPUB, OOXML, OpenDocument) rather than archives.

A DOCX or an EPUB is a zip, but an uploader means a document by it, and it must be read
as one (its text screened) and not unpacked as a bundle of XML files. The rule looks only
at member names and the OpenDocument/EPUB ``mimetype`` member, as the formats define.
"""

from __future__ import annotations

import zipfile
import zlib
from collections.abc import Collection

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
PPTX = "application/vnd.openxmlformats-officedocument.presentationml.presentation"
ODT = "application/vnd.oasis.opendocument.text"
EPUB = "application/epub+zip"

#: zip-based formats whose text ``extract_text`` reads
READABLE = frozenset({DOCX, ODT, EPUB})


def office_kind(names: Collection[str], mimetype: bytes | None = None) -> str | None:
    """The document mime type of a zip with these member names, or None for a plain zip.

    ``mimetype``: the content of the ``mimetype`` member, when there is one (EPUB and
    OpenDocument store their type there, first and uncompressed).
    """
    if mimetype is not None:
        declared = mimetype.strip().decode("ascii", "replace")
        if declared in (EPUB, ODT) or declared.startswith("application/vnd.oasis."):
            return declared
    if "[Content_Types].xml" in names:
        if "word/document.xml" in names:
            return DOCX
        if "xl/workbook.xml" in names:
            return XLSX
        if "ppt/presentation.xml" in names:
            return PPTX
    return None


def zip_document_kind(zf: zipfile.ZipFile) -> str | None:
    """``office_kind`` of an open zip (reads at most 200 bytes of its ``mimetype``)."""
    names = set(zf.namelist())
    mimetype = None
    if "mimetype" in names:
        try:
            with zf.open("mimetype") as fh:
                mimetype = fh.read(200)
        except (zipfile.BadZipFile, OSError, NotImplementedError, RuntimeError, EOFError):
            mimetype = None
        except zlib.error:
            mimetype = None
    return office_kind(names, mimetype)
