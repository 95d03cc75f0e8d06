"""The `safeharbor report` command (registered in `safeharbor/cli.py`)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from safeharbor.cli_common import _fail, _platform, _progress, out
from safeharbor.errors import SafeharborError
from safeharbor.naming import display_name
from safeharbor.reports.service import period_bound


def report(
    start: Annotated[str, typer.Option("--from", help="First day (YYYY-MM-DD) or time.")],
    end: Annotated[str, typer.Option("--to", help="Last day (included) or end time.")],
    out_file: Annotated[Path, typer.Option("--out", help="Write the report here.")],
    fmt: Annotated[str, typer.Option("--format", help="html, pdf, csv or json.")] = "html",
    lang: Annotated[
        str | None, typer.Option("--lang", help="zh_CN or en (default: the profile's).")
    ] = None,
    profile: Annotated[
        str | None, typer.Option("--profile", help="cn, us or eu (default: the platform's).")
    ] = None,
    tz: Annotated[str, typer.Option("--tz", help="Time zone of the dates and the report.")] = "UTC",
) -> None:
    """Transparency and compliance report for a period."""
    if fmt not in ("html", "pdf", "csv", "json"):
        _fail(f"unknown format {fmt!r} (one of html, pdf, csv, json)")
    platform = _platform()
    try:
        with _progress() as progress, platform.unit() as svc:
            task = progress.add_task("report", total=3)
            progress.update(task, description="gathering the figures")
            built = svc.reports.build(
                period_bound(start, tz, end=False),
                period_bound(end, tz, end=True),
                lang=lang,
                profile=profile,
                tz=tz,
            )
            progress.update(task, advance=1, description=f"rendering {fmt}")
            body = svc.reports.render(built, fmt)
            progress.update(task, advance=1, description="writing")
            out_file.parent.mkdir(parents=True, exist_ok=True)
            out_file.write_bytes(body)
            progress.update(task, advance=1)
    except SafeharborError as exc:
        _fail(exc.message)
    except OSError as exc:
        _fail(f"{display_name(out_file)}: {exc.strerror or exc}")
    out.print(f"{fmt} report of {built.period()} written to {display_name(out_file)}", markup=False)
