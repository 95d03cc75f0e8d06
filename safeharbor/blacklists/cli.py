"""The `safeharbor` commands of the blacklists domain (registered in `safeharbor/cli.py`)."""

from __future__ import annotations

import typer

app = typer.Typer(no_args_is_help=True)
