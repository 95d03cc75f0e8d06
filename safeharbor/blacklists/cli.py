"""``safeharbor blacklist``: the list of infringing sites and apps, and link checks."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from safeharbor.blacklists.service import entry_view
from safeharbor.cli_common import JsonOpt, _emit, _operator, _run, out
from safeharbor.platform import Services

app = typer.Typer(no_args_is_help=True, help="Blacklisted sites, pages and apps.")


@app.command("add")
def add(
    pattern: Annotated[str, typer.Argument(help="evil.example, evil.example/films/*, com.x.app")],
    reason: Annotated[str, typer.Option("--reason", help="Why it is listed.")],
    kind: Annotated[str | None, typer.Option("--kind", help="domain, url or app")] = None,
    source: Annotated[str, typer.Option("--source", help="Who listed it.")] = "platform",
    json_out: JsonOpt = False,
) -> None:
    def go(svc: Services) -> None:
        e = svc.blacklists.add(_operator(svc), pattern, reason=reason, kind=kind, source=source)
        if json_out:
            _emit(entry_view(e))
        else:
            out.print(f"listed {e.kind} {e.key} (entry {e.id})")

    _run(go)


@app.command("remove")
def remove(entry_id: Annotated[int, typer.Argument(help="The entry's id.")]) -> None:
    def go(svc: Services) -> None:
        e = svc.blacklists.remove(_operator(svc), entry_id)
        out.print(f"removed entry {e.id} ({e.kind} {e.key})")

    _run(go)


@app.command("list")
def list_entries(
    source: Annotated[str | None, typer.Option("--source")] = None,
    removed: Annotated[bool, typer.Option("--removed", help="Include removed entries.")] = False,
    json_out: JsonOpt = False,
) -> None:
    def go(svc: Services) -> None:
        for e in svc.blacklists.entries(include_removed=removed, source=source):
            if json_out:
                _emit(entry_view(e))
            else:
                state = "" if e.active else " (removed)"
                out.print(f"{e.id}\t{e.kind}\t{e.key}\t{e.source}\t{e.reason}{state}")

    _run(go)


@app.command("check")
def check(
    url: Annotated[str, typer.Argument(help="A link or an app id.")], json_out: JsonOpt = False
) -> None:
    """Exit 0 whenever the check ran, blocked or not (read "blocked" in the output);
    exit 1 only for something that is not a link."""

    def go(svc: Services) -> None:
        res = svc.blacklists.check(url)
        if json_out:
            v = res.view()
            _emit({"url": v["url"], "blocked": v["blocked"], "entry": v["entry"]})
        elif res.entry is not None:
            out.print(f"blocked: {res.normalised} (entry {res.entry.id}: {res.entry.reason})")
        else:
            out.print(f"allowed: {res.normalised}")

    _run(go)


@app.command("import")
def import_file(
    file: Annotated[Path, typer.Argument(help="A CSV or JSON list.", exists=True, dir_okay=False)],
    source: Annotated[str, typer.Option("--source", help="Who issued the list.")],
    json_out: JsonOpt = False,
) -> None:
    """A file with any bad line is refused whole: nothing stored, every bad line named."""

    def go(svc: Services) -> None:
        res = svc.blacklists.import_file(file, source, _operator(svc))
        if json_out:
            _emit(res.view())
        else:
            out.print(f"imported {res.added} entries ({res.already_listed} listed already)")

    _run(go)
