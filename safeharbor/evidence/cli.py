"""The `safeharbor ledger` and `safeharbor evidence` commands (see `safeharbor/cli.py`)."""

from __future__ import annotations

import typer

ledger_app = typer.Typer(
    help="The tamper-evident ledger: verify, tree heads, key.", no_args_is_help=True
)
evidence_app = typer.Typer(
    help="Evidence packages: export and verify offline.", no_args_is_help=True
)
