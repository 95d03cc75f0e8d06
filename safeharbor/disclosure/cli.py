"""The `safeharbor disclosure` commands (registered in `safeharbor/cli.py`)."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from safeharbor.cli_common import JsonOpt, _emit, _operator, _run, out
from safeharbor.disclosure.service import SCOPES, request_view

app = typer.Typer(no_args_is_help=True)

AsOpt = Annotated[str, typer.Option("--as", help="The account acting (default: operator).")]


@app.command("request")
def request(
    basis: Annotated[str, typer.Option(help="The legal ground (subpoena, order, Reg 13...).")],
    as_user: Annotated[str, typer.Option("--as", help="The requester (holder or authority).")],
    notice: Annotated[int | None, typer.Option(help="Holders: your notice id.")] = None,
    user: Annotated[list[str] | None, typer.Option(help="Authorities: a user name.")] = None,
    content: Annotated[list[str] | None, typer.Option(help="Authorities: an upload id.")] = None,
    reference: Annotated[str | None, typer.Option(help="Investigation number.")] = None,
    scope: Annotated[list[str] | None, typer.Option(help=", ".join(SCOPES))] = None,
    as_json: JsonOpt = False,
) -> None:
    """Ask for an uploader's identity and records (reviewed before anything is shown)."""
    view = _run(
        lambda svc: request_view(
            svc.disclosure.request(
                svc.accounts.get(as_user),
                basis=basis,
                notice_id=notice,
                users=user or [],
                contents=content or [],
                reference=reference,
                scope=scope,
            )
        )
    )
    if as_json:
        _emit(view)
    else:
        out.print(f"disclosure request {view['id']}: {view['status']}")


@app.command("list")
def list_requests(
    status: Annotated[str | None, typer.Option(help="pending, granted, refused...")] = None,
    as_user: AsOpt = "admin",
    as_json: JsonOpt = False,
) -> None:
    """Disclosure requests (all of them for reviewers; your own otherwise)."""
    views = _run(
        lambda svc: [
            request_view(r) for r in svc.disclosure.list_for(svc.accounts.get(as_user), status)
        ]
    )
    if as_json:
        for v in views:
            _emit(v)
        return
    table = Table("id", "kind", "status", "notice", "reference", "created", "expires")
    for v in views:
        table.add_row(
            str(v["id"]),
            v["kind"],
            v["status"],
            str(v["notice_id"] or ""),
            v["reference"] or "",
            v["created_at"][:16],
            (v["expires_at"] or "")[:16],
        )
    out.print(table)


@app.command("decide")
def decide(
    request_id: int,
    reason: Annotated[str, typer.Option(help="Why (kept in the ledger, told to the requester).")],
    grant: Annotated[bool, typer.Option("--grant/--refuse", help="Grant or refuse.")],
    days: Annotated[int | None, typer.Option(help="How long a grant lasts.")] = None,
    as_user: Annotated[str | None, typer.Option("--as", help="The reviewer.")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Grant (for a time) or refuse a disclosure request, with a reason."""
    view = _run(
        lambda svc: request_view(
            svc.disclosure.decide(
                request_id, _operator(svc, as_user), grant=grant, reason=reason, days=days
            )
        )
    )
    if as_json:
        _emit(view)
    else:
        out.print(f"disclosure request {request_id}: {view['status']}")


@app.command("records")
def records(
    request_id: int,
    as_user: Annotated[str, typer.Option("--as", help="The requester.")],
) -> None:
    """What a live grant discloses, as JSON (the read is recorded in the ledger)."""
    _emit(_run(lambda svc: svc.disclosure.records(request_id, svc.accounts.get(as_user))))
