"""The PDF reader's child process: ``python -I pdf_worker.py MAX_CHARS MAX_PAGES MEM PATH``
with the PDF at PATH (``-``: on stdin), a JSON report on stdout.

It runs apart from the server because PDFium is C code reading hostile input: a loop in
a page tree, a decompression bomb or a crash must cost this process, never the screen.
The parent kills it at the time limit; it caps its own memory before reading anything.
It imports nothing from ``safeharbor`` (it runs in isolated mode, ``-I``).
"""

from __future__ import annotations

import json
import resource
import sys


def main() -> None:
    max_chars, max_pages, mem = (int(a) for a in sys.argv[1:4])
    resource.setrlimit(resource.RLIMIT_AS, (mem, mem))
    source: str | bytes = sys.argv[4]
    if source == "-":
        source = sys.stdin.buffer.read()

    import pypdfium2 as pdfium

    report: dict[str, object] = {}
    try:
        pdf = pdfium.PdfDocument(source)
    except (pdfium.PdfiumError, OSError) as exc:
        report["error"] = "password" if "password" in str(exc).lower() else "damaged"
        json.dump(report, sys.stdout)
        return
    pages = len(pdf)
    texts: list[str] = []
    failed: list[int] = []
    total = 0
    cut = False
    for i in range(min(pages, max_pages)):
        try:
            page = pdf[i]
            text = page.get_textpage().get_text_range()
        except (pdfium.PdfiumError, MemoryError, ValueError):
            failed.append(i + 1)
            continue
        text = text.replace("\r\n", "\n").replace("\r", "\n")
        if total + len(text) > max_chars:
            texts.append(text[: max_chars - total])
            cut = True
            break
        texts.append(text)
        total += len(text)
    report.update(pages=pages, texts=texts, failed=failed, cut=cut)
    json.dump(report, sys.stdout)


if __name__ == "__main__":
    main()
