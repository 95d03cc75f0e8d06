"""The `safeharbor strikes` commands (registered in `safeharbor/cli.py`): a user's strikes
and level, appeals and their decisions, manual strikes and their removal, the scheduler's
expiry run, and accounts caught evading a termination."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from safeharbor.cli_common import JsonOpt, _emit, _fail, _operator, _run, out
from safeharbor.platform import Services

app = typer.Typer(no_args_is_help=True)

AsOpt = Annotated[
    str | None, typer.Option("--as", help="Act as this user (default: the operator).")
]


@app.command("show")
def show(name: str, as_user: AsOpt = None, as_json: JsonOpt = False) -> None:
    """A user's strikes, level and what lifts each strike."""

    def do(svc: Services) -> dict[str, Any]:
        return svc.enforcement.strikes_view(svc.accounts.get(name), _operator(svc, as_user))

    view = _run(do)
    if as_json:
        _emit(view)
        return
    out.print(f"{view['user']}: {view['status']} ({view['active_strikes']} active strikes)")
    if view.get("suspended_until"):
        out.print(f"suspended until {view['suspended_until']}")
    if view.get("evasion_of"):
        ev = view["evasion_of"]
        out.print(f"evades the terminated account {ev['user']}: {ev['reason']}")
    for s in view["strikes"]:
        work = f" work {s['work_id']}" if s["work_id"] else ""
        notice = f" notice {s['notice_id']}" if s["notice_id"] else ""
        out.print(f"  strike {s['id']}{work}{notice}: {s['reason']} (expires {s['expires']})")
    out.print(view["what_lifts"])


@app.command("appeal")
def appeal(
    strike_id: int,
    statement: Annotated[str, typer.Option(help="Why the strike is mistaken.")],
    as_user: AsOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Appeal a strike (as the user who has it)."""

    def do(svc: Services) -> dict[str, Any]:
        if as_user is None:
            strike = svc.enforcement.get(strike_id)
            user = svc.accounts.get(strike.user_id)  # the operator files for the user
        else:
            user = svc.accounts.get(as_user)
        row = svc.enforcement.appeal(strike_id, user, statement)
        return {"appeal_id": row.id, "strike_id": row.strike_id, "status": row.status}

    view = _run(do)
    if as_json:
        _emit(view)
    else:
        out.print(f"appeal {view['appeal_id']} of strike {view['strike_id']}: {view['status']}")


@app.command("decide")
def decide(
    appeal_id: int,
    reason: Annotated[str, typer.Option(help="Why: told to the uploader.")],
    uphold: Annotated[
        bool | None,
        typer.Option("--uphold/--refuse", help="Uphold (lift the strike) or refuse (keep it)."),
    ] = None,
    as_user: AsOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """A reviewer decides an appeal."""
    if uphold is None:
        _fail("say --uphold or --refuse")
        return

    def do(svc: Services) -> dict[str, Any]:
        row = svc.enforcement.decide_appeal(appeal_id, _operator(svc, as_user), uphold, reason)
        standing = svc.enforcement.standing(svc.accounts.get(row.user_id))
        return {
            "appeal_id": row.id,
            "strike_id": row.strike_id,
            "status": row.status,
            "level": standing.level,
        }

    view = _run(do)
    if as_json:
        _emit(view)
    else:
        out.print(f"appeal {view['appeal_id']}: {view['status']}; account now {view['level']}")


@app.command("add")
def add(
    name: str,
    reason: Annotated[str, typer.Option(help="Why the strike is given.")],
    work: Annotated[int | None, typer.Option(help="The work infringed.")] = None,
    as_user: AsOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Give a user a strike by hand (administrators)."""

    def do(svc: Services) -> dict[str, Any]:
        strike = svc.enforcement.add_manual(name, work, reason, _operator(svc, as_user))
        user = svc.accounts.get(strike.user_id)
        return {
            "id": strike.id,
            "user": user.name,
            "work_id": strike.work_id,
            "expires": strike.expires_at.isoformat(),
            "level": svc.enforcement.standing(user).level,
        }

    view = _run(do)
    if as_json:
        _emit(view)
    else:
        out.print(f"strike {view['id']} for {view['user']}; account now {view['level']}")


@app.command("remove")
def remove(
    strike_id: int,
    reason: Annotated[str, typer.Option(help="Why the strike is removed.")],
    as_user: AsOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Remove a strike by hand (administrators); it is kept, marked removed."""

    def do(svc: Services) -> dict[str, Any]:
        strike = svc.enforcement.remove_strike(strike_id, _operator(svc, as_user), reason)
        user = svc.accounts.get(strike.user_id)
        return {
            "id": strike.id,
            "user": user.name,
            "removed_why": strike.removed_why,
            "level": svc.enforcement.standing(user).level,
        }

    view = _run(do)
    if as_json:
        _emit(view)
    else:
        out.print(f"strike {view['id']} removed; {view['user']} now {view['level']}")


@app.command("expire")
def expire(as_json: JsonOpt = False) -> None:
    """Lift expired strikes and end served suspensions now (the scheduler does it too)."""
    done = _run(lambda svc: svc.enforcement.expire())
    if as_json:
        _emit(done)
    else:
        out.print(", ".join(f"{k}: {v}" for k, v in done.items()))


@app.command("evasions")
def evasions(as_json: JsonOpt = False) -> None:
    """Accounts caught evading a termination, and the terminated account each matches."""
    rows = _run(lambda svc: svc.enforcement.evasions(_operator(svc)))
    for r in rows:
        if as_json:
            _emit(r)
        else:
            out.print(f"{r['user']} -> {r['terminated_account']}: {r['reason']} ({r['at']})")
