"""How much of a document is read, and for how long.

Every reader takes these limits, so that no upload, however built, makes the screen use
unbounded memory or time. The defaults fit real books: a 1,000-page novel is about 2
million characters and its EPUB or DOCX parts a few megabytes each.
"""

from __future__ import annotations

from dataclasses import dataclass

#: characters extracted by default; the text signal compares at most this many too
MAX_CHARS = 50_000_000


@dataclass(frozen=True)
class Limits:
    max_chars: int = MAX_CHARS
    #: an HTML page read (markup included); past it, only its beginning is read
    max_markup_bytes: int = 128 * 1024**2
    #: one XML/HTML part of an EPUB, DOCX or ODT, unpacked
    max_part_bytes: int = 64 * 1024**2
    #: all the parts of one document together, unpacked
    max_total_part_bytes: int = 512 * 1024**2
    #: parts read from one EPUB (its chapters)
    max_parts: int = 5_000
    #: unpacked size over packed size of a part, past ``ratio_floor`` bytes (a zip bomb)
    max_ratio: float = 200.0
    ratio_floor: int = 8 * 1024**2
    #: wall-clock seconds the PDF reader may take (it runs in a child process)
    pdf_timeout_s: float = 60.0
    #: memory the PDF reader's process may use
    pdf_memory_bytes: int = 2 * 1024**3
    #: pages read from one PDF
    pdf_max_pages: int = 5_000


DEFAULT = Limits()
