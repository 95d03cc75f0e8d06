"""The `safeharbor ledger` and `safeharbor evidence` commands (see `safeharbor/cli.py`)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

import typer

from safeharbor.cli_common import JsonOpt, _emit, _operator, _progress, _run, err, out

ledger_app = typer.Typer(
    help="The tamper-evident ledger: verify, tree heads, key.", no_args_is_help=True
)
evidence_app = typer.Typer(
    help="Evidence packages: export and verify offline.", no_args_is_help=True
)


# -- ledger ---------------------------------------------------------------------------------


def _print_head(head: dict[str, Any]) -> None:
    when = datetime.fromtimestamp(head["timestamp"] / 1000, UTC).isoformat()
    out.print(f"tree size {head['tree_size']}  at {when}")
    out.print(f"root      {head['root_hash']}")
    out.print(f"key id    {head['key_id']}")
    out.print(f"signature {head['signature']}")


@ledger_app.command("verify")
def ledger_verify(as_json: JsonOpt = False) -> None:
    """Recompute the ledger from the records; exit 1 naming the first record (or node, or
    signed head) that does not check out."""
    with _progress() as bar:
        task = bar.add_task("verifying the ledger", total=None)

        def progress(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        result = _run(lambda svc: svc.ledger.verify(progress))
    if as_json:
        _emit(result.view())
    if result.failure is not None:
        err.print(f"ledger verification FAILED: {result.failure.describe()}")
        raise typer.Exit(1)
    if not as_json:
        out.print(
            f"ledger OK: {result.records} records, {result.nodes} nodes, "
            f"{result.heads} signed heads; tree size {result.tree_size}"
        )
        if result.pending_after is not None:
            out.print(f"records after {result.pending_after} wait on a transaction in flight")


@ledger_app.command("head")
def ledger_head(as_json: JsonOpt = False) -> None:
    """The latest signed tree head (sealing what was appended since the last)."""
    head = _run(lambda svc: svc.ledger.head())
    if as_json:
        _emit(head)
    else:
        _print_head(head)


@ledger_app.command("key")
def ledger_key(
    public: Annotated[
        bool, typer.Option("--public", help="The public key, PEM (the only one shown).")
    ] = False,
) -> None:
    """The public key tree heads are signed with (made at init; the private key never
    leaves its file)."""
    pem = _run(lambda svc: svc.ledger.public_key_pem())
    out.print(pem.rstrip("\n"))


@ledger_app.command("proof")
def ledger_proof(
    record_id: int,
    size: Annotated[
        int | None, typer.Option("--size", help="A signed head's size (default: the latest).")
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """The audit path proving a record is in the tree of a signed head."""
    proof = _run(lambda svc: svc.ledger.inclusion(record_id, size))
    if as_json:
        _emit(proof)
        return
    out.print(
        f"record {proof['record_id']} = leaf {proof['leaf_index']} of {proof['tree_size']}: "
        f"{proof['leaf_hash']}"
    )
    for h in proof["audit_path"]:
        out.print(f"  {h}")
    out.print(f"root {proof['head']['root_hash']}")


@ledger_app.command("consistency")
def ledger_consistency(first: int, second: int, as_json: JsonOpt = False) -> None:
    """The proof that the signed tree of size FIRST is a prefix of that of size SECOND."""
    proof = _run(lambda svc: svc.ledger.consistency(first, second))
    if as_json:
        _emit(proof)
        return
    out.print(f"tree {first} -> tree {second}:")
    for h in proof["consistency_path"]:
        out.print(f"  {h}")


@ledger_app.command("publish")
def ledger_publish(file: Path) -> None:
    """Write every signed head and the public key to FILE (JSON lines) for outsiders."""
    done = _run(lambda svc: svc.ledger.publish(file, _operator(svc)))
    out.print(f"{done['heads']} signed heads (tree size {done['tree_size']}) written to {file}")
