"""``safeharbor share``: hash-list and blacklist packages, and partner platforms."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from safeharbor.cli_common import JsonOpt, _emit, _fail, _operator, _parse_date, _run, out
from safeharbor.platform import Services
from safeharbor.sharing.service import partner_view

app = typer.Typer(no_args_is_help=True, help="Share hash lists and blacklists with partners.")
partner_app = typer.Typer(no_args_is_help=True, help="Partner platforms and their trust.")
app.add_typer(partner_app, name="partner")


@app.command("export")
def export(
    out_file: Annotated[Path, typer.Option("--out", help="The package to write (ZIP).")],
    what: Annotated[str, typer.Option("--what", help="hashes, blacklist or all")] = "all",
    since: Annotated[str | None, typer.Option("--since", help="Only what was added since.")] = None,
    json_out: JsonOpt = False,
) -> None:
    when = _parse_date(since)

    def go(svc: Services) -> None:
        manifest = svc.sharing.export(_operator(svc), out_file, what=what, since=when)
        if json_out:
            _emit(manifest)
        else:
            c = manifest["counts"]
            out.print(
                f"wrote {out_file}: {c['items']} items ({c['hashes']} hashes), "
                f"{c['blacklist']} blacklist entries; key {manifest['key_id'][:16]}"
            )

    _run(go)


@app.command("import")
def import_package(
    file: Annotated[Path, typer.Argument(help="The partner's package.", dir_okay=False)],
    partner: Annotated[str, typer.Option("--partner", help="Who sent it.")],
    json_out: JsonOpt = False,
) -> None:
    """Refused whole (exit 1, nothing stored) if the signature, a part or a row is bad."""
    if not file.exists():
        _fail(f"{file}: no such file")

    def go(svc: Services) -> None:
        res = svc.sharing.import_package(_operator(svc), file, partner)
        if json_out:
            _emit(res)
        else:
            out.print(
                f"imported from {res['partner']} ({res['trust']}): {res['items']} items, "
                f"{res['blacklist_added']} blacklist entries"
            )

    _run(go)


@partner_app.command("add")
def partner_add(
    name: Annotated[str, typer.Argument()],
    key: Annotated[Path, typer.Option("--key", help="The partner's public key (PEM file).")],
    trust: Annotated[str, typer.Option("--trust", help="trusted, review or ignore")] = "review",
    json_out: JsonOpt = False,
) -> None:
    try:
        pem = key.read_text()
    except (OSError, UnicodeDecodeError) as exc:
        _fail(f"{key}: cannot read the key ({exc})")
        raise

    def go(svc: Services) -> None:
        p = svc.sharing.add_partner(_operator(svc), name, pem, trust)
        if json_out:
            _emit(partner_view(p))
        else:
            out.print(f"partner {p.name} added ({p.trust}), key {p.key_id[:16]}")

    _run(go)


@partner_app.command("list")
def partner_list(json_out: JsonOpt = False) -> None:
    def go(svc: Services) -> None:
        for p in svc.sharing.partners():
            if json_out:
                _emit(partner_view(p))
            else:
                out.print(f"{p.name}\t{p.trust}\t{p.key_id[:16]}")

    _run(go)


@partner_app.command("trust")
def partner_trust(
    name: Annotated[str, typer.Argument()],
    trust: Annotated[str, typer.Argument(help="trusted, review or ignore")],
) -> None:
    def go(svc: Services) -> None:
        p = svc.sharing.set_trust(_operator(svc), name, trust)
        out.print(f"partner {p.name} is now {p.trust}")

    _run(go)
