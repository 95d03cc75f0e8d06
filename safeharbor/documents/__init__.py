"""Reading documents (plain text, HTML, PDF, EPUB, DOCX, subtitles) and archives safely.

``extract_text`` turns an upload into readable text for the text signals; ``archives``
walks zip/tar members under limits. Everything here treats its input as hostile.
"""

from safeharbor.documents.extract import MAX_CHARS, ExtractedText, Limits, extract_text

__all__ = ["MAX_CHARS", "ExtractedText", "Limits", "extract_text"]
