"""Bulk intake: a CSV of many items, one notice per row.

Columns: ``url`` (one or more addresses separated by spaces), ``title``, ``work_id``, and
any notice field of the profile (``notifier_name``, ``evidence``...). Fields given for the
whole file (the form or ``--field``) fill what a row leaves empty. Each row is filed in its
own savepoint, so one bad row never loses the others.
"""

from __future__ import annotations

import csv
import io
import secrets
from collections.abc import Callable, Iterator
from typing import Any

from safeharbor.accounts.models import User
from safeharbor.errors import InvalidInput, SafeharborError
from safeharbor.platform import Platform, Services

MAX_ROWS = 100_000


def read_rows(data: bytes) -> list[dict[str, str]]:
    """Parse the CSV (UTF-8, with or without BOM); refuse it whole if it is malformed."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InvalidInput(f"the CSV is not UTF-8 (byte {exc.start})") from None
    reader = csv.DictReader(io.StringIO(text, newline=""), strict=True)
    if not reader.fieldnames:
        raise InvalidInput("the CSV is empty: the first line must name the columns")
    names = [(n or "").strip().lower() for n in reader.fieldnames]
    if not ({"url", "title", "work_id"} & set(names)):
        raise InvalidInput("the CSV needs a url, title or work_id column")
    rows: list[dict[str, str]] = []
    try:
        for row in reader:
            if None in row:
                raise InvalidInput(f"line {reader.line_num}: more values than columns")
            rows.append({k.strip().lower(): (v or "").strip() for k, v in row.items() if k})
            if len(rows) > MAX_ROWS:
                raise InvalidInput(f"more than {MAX_ROWS} rows: split the file")
    except csv.Error as exc:
        raise InvalidInput(f"line {reader.line_num}: malformed CSV ({exc})") from None
    return rows


def file_rows(
    platform: Platform,
    sender: User,
    rows: list[dict[str, str]],
    *,
    common: dict[str, str] | None = None,
    profile: str | None = None,
    channel: str = "csv",
    ip: str | None = None,
    progress: Callable[[int], None] | None = None,
    chunk: int = 200,
) -> Iterator[dict[str, Any]]:
    """File each row; yields one result per row (``line`` counts the header as line 1).

    Rows are committed ``chunk`` at a time, each inside its own savepoint: a row that
    fails rolls back alone, and a chunk's results are yielded once it is committed."""
    batch = "b-" + secrets.token_hex(6)
    for start in range(0, len(rows), chunk):
        results: list[dict[str, Any]] = []
        with platform.unit() as svc:
            user = svc.accounts.get(sender.id)
            for n, row in enumerate(rows[start : start + chunk], start=start + 2):
                results.append(_file_row(svc, user, n, row, common, profile, channel, batch, ip))
        for out in results:
            if progress is not None:
                progress(1)
            yield out


def _file_row(
    svc: Services,
    user: User,
    n: int,
    row: dict[str, str],
    common: dict[str, str] | None,
    profile: str | None,
    channel: str,
    batch: str,
    ip: str | None,
) -> dict[str, Any]:
    fields = {**(common or {}), **{k: v for k, v in row.items() if v}}
    urls = fields.pop("url", "").split()
    title = fields.pop("title", None)
    work = fields.pop("work_id", None)
    try:
        work_id = int(work) if work else None
    except ValueError:
        return {"line": n, "error": f"work_id {work!r} is not a number"}
    savepoint = svc.session.begin_nested()
    try:
        res = svc.notices.file(
            user,
            fields,
            urls=urls,
            work_id=work_id,
            title=title,
            profile=profile,
            channel=channel,
            batch=batch,
            ip=ip,
        )
        savepoint.commit()
    except SafeharborError as exc:
        savepoint.rollback()
        return {"line": n, "error": exc.message}
    return {"line": n, "batch": batch, **res.view()}
