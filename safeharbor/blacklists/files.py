"""Reading blacklist files (an authority's list of infringing sites, a partner's list):
pure parsing and validation, every bad line reported, nothing half-read.

CSV (UTF-8, with or without BOM) with a header row naming the columns ``pattern``
(required), ``kind`` (domain, url or app; guessed from the pattern when empty), ``reason``
and ``listed_at`` (ISO 8601 date); or JSON: a list of such objects (or of bare pattern
strings), or an object with that list under ``"entries"``.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from safeharbor.blacklists.matcher import Kind, pattern_key
from safeharbor.blacklists.urls import UrlError

MAX_FILE_BYTES = 50 * 2**20


@dataclass(frozen=True)
class Row:
    line: int
    kind: str
    pattern: str
    key: str
    reason: str | None
    listed_at: datetime | None


def guess_kind(pattern: str) -> Kind:
    """A bare host is a domain entry; anything with a path, query or star is a URL one.
    App ids must be said (``com.example.app`` is also a valid host name)."""
    text = pattern.strip()
    rest = text.split("://", 1)[-1]
    if "*" in rest.removeprefix("*.") or any(c in rest for c in "/?#\\"):
        return Kind.URL
    return Kind.DOMAIN


def parse(data: bytes, fmt: str) -> tuple[list[Row], list[str]]:
    """The rows of a list file, and one message per bad line (``line N: why``)."""
    if len(data) > MAX_FILE_BYTES:
        return [], [f"file is larger than {MAX_FILE_BYTES // 2**20} MiB"]
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        return [], [f"not UTF-8 text (byte {exc.start})"]
    if fmt == "json":
        return _parse_json(text)
    return _parse_csv(text)


def detect_format(name: str, data: bytes) -> str:
    if name.lower().endswith(".json"):
        return "json"
    if name.lower().endswith(".csv"):
        return "csv"
    return "json" if data.lstrip(b"\xef\xbb\xbf \t\r\n")[:1] in (b"[", b"{") else "csv"


def _parse_csv(text: str) -> tuple[list[Row], list[str]]:
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = [h.strip().lower() for h in next(reader)]
    except StopIteration:
        return [], ["line 1: empty file (expected a header row: pattern,kind,reason,listed_at)"]
    except csv.Error as exc:
        return [], [f"line 1: {exc}"]
    if "pattern" not in header:
        return [], [f"line 1: the header {header} has no 'pattern' column"]
    unknown = set(header) - {"pattern", "kind", "reason", "listed_at", "source"}
    if unknown:
        return [], [f"line 1: unknown column(s) {sorted(unknown)}"]
    rows: list[Row] = []
    errors: list[str] = []
    while True:
        try:
            values = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            errors.append(f"line {reader.line_num}: {exc}")
            break
        line = reader.line_num
        if not values or all(not v.strip() for v in values):
            continue
        if len(values) != len(header):
            errors.append(f"line {line}: {len(values)} fields, the header has {len(header)}")
            continue
        _row(line, dict(zip(header, values, strict=True)), rows, errors, "line")
    return rows, errors


def _parse_json(text: str) -> tuple[list[Row], list[str]]:
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        return [], [f"line {exc.lineno}: not JSON ({exc.msg})"]
    items = doc.get("entries") if isinstance(doc, dict) else doc
    if not isinstance(items, list):
        return [], ["expected a list of entries, or an object with an 'entries' list"]
    rows: list[Row] = []
    errors: list[str] = []
    for i, item in enumerate(items, start=1):
        fields = {"pattern": item} if isinstance(item, str) else item
        if not isinstance(fields, dict):
            errors.append(f"entry {i}: expected an object or a string, got {type(item).__name__}")
            continue
        _row(i, fields, rows, errors, "entry")
    return rows, errors


def _row(n: int, fields: dict[str, Any], rows: list[Row], errors: list[str], what: str) -> None:
    pattern = str(fields.get("pattern") or "").strip()
    if not pattern:
        errors.append(f"{what} {n}: no pattern")
        return
    raw_kind = str(fields.get("kind") or "").strip().lower()
    try:
        kind = Kind(raw_kind) if raw_kind else guess_kind(pattern)
    except ValueError:
        errors.append(f"{what} {n}: unknown kind {raw_kind!r} (domain, url or app)")
        return
    try:
        key = pattern_key(kind, pattern)
    except UrlError as exc:
        errors.append(f"{what} {n}: {pattern!r}: {exc}")
        return
    listed_at = None
    raw_date = str(fields.get("listed_at") or "").strip()
    if raw_date:
        try:
            listed_at = datetime.fromisoformat(raw_date)
        except ValueError:
            errors.append(f"{what} {n}: listed_at {raw_date!r} is not an ISO 8601 date")
            return
        listed_at = listed_at if listed_at.tzinfo else listed_at.replace(tzinfo=UTC)
    reason = str(fields.get("reason") or "").strip() or None
    rows.append(Row(n, kind.value, pattern, key, reason, listed_at))
