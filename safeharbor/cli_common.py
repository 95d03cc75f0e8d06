"""What every ``safeharbor`` sub-command shares: the consoles, the platform the command
acts on, one transaction per command, and the way failures and JSON are printed. Each
domain's own commands (``evidence/cli.py``, ``enforcement/cli.py``...) import from here."""

from __future__ import annotations

import json
import os
import secrets
import sys
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from safeharbor.accounts.models import User
from safeharbor.errors import SafeharborError
from safeharbor.naming import display_name
from safeharbor.platform import Platform, Services

# markup off: titles and names are user data, and "[red]" in one must print as typed
err = Console(stderr=True, soft_wrap=True, markup=False, highlight=False)
out = Console(soft_wrap=True, markup=False, highlight=False)

_state: dict[str, Any] = {}
T = TypeVar("T")

OPERATOR = "admin"


def _platform() -> Platform:
    if "platform" not in _state:
        opened = Platform.open(_state.get("home"))
        with opened.unit() as svc:
            ensure_operator(svc)
        _state["platform"] = opened
    platform: Platform = _state["platform"]
    return platform


def _write_secret(path: Path, value: str) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)  # never world-readable
    with os.fdopen(fd, "w") as fh:
        fh.write(value + "\n")


def ensure_operator(svc: Services) -> tuple[User, str | None]:
    """The operator account, made on first use; returns (user, new API key or None).

    It also gets a first password for the portals, written beside the key
    (``HOME/admin-password``, 0600) until someone signs in and changes it: the service is
    usable from the browser on a fresh machine without any command."""
    from sqlalchemy import select

    from safeharbor.web.signin import hash_password

    home = svc.platform.settings.home
    existing = svc.session.scalar(select(User).where(User.name == OPERATOR))
    key = None
    if existing is None:
        existing = svc.accounts.create_user(OPERATOR, "admin")
        key = svc.accounts.create_api_key(existing, label="created at init")
        _write_secret(home / "admin-api-key", key)
    if existing.password_hash is None:
        password = secrets.token_urlsafe(12)
        existing.password_hash = hash_password(password)
        _write_secret(home / "admin-password", password)
    return existing, key


def _run(fn: Callable[[Services], T]) -> T:
    """Run ``fn`` in one transaction; turn domain errors into a one-line message."""
    try:
        with _platform().unit() as svc:
            return fn(svc)
    except SafeharborError as exc:
        _fail(exc.message)
    raise AssertionError("unreachable")


def _fail(message: str) -> None:
    err.print(f"error: {message}", markup=False, highlight=False, soft_wrap=True)
    raise typer.Exit(1)


def _emit(obj: Any) -> None:
    sys.stdout.write(json.dumps(obj, ensure_ascii=False, default=str) + "\n")
    sys.stdout.flush()


def _operator(svc: Services, name: str | None = None) -> User:
    return svc.accounts.get(name or OPERATOR)


def _parse_date(value: str | None) -> datetime | None:
    if value is None:
        return None
    try:
        dt = datetime.fromisoformat(value)
    except ValueError:
        _fail(f"invalid date {value!r}: use YYYY-MM-DD or an ISO 8601 time")
        raise
    return dt if dt.tzinfo else dt.replace(tzinfo=UTC)


def _progress() -> Progress:
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err,
        disable=not err.is_terminal,
        transient=True,
    )


def _expand(paths: list[Path]) -> Iterator[Path]:
    for p in paths:
        if p.is_dir():
            for root, dirs, files in os.walk(p):
                dirs.sort()
                for f in sorted(files):
                    if not f.startswith("."):
                        yield Path(root) / f
        elif p.exists():
            yield p
        else:
            _fail(f"{display_name(p)}: no such file or folder")


JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON objects, one per line.")]
