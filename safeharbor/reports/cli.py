"""The `safeharbor report` command (registered in `safeharbor/cli.py`)."""

from __future__ import annotations


def report() -> None:
    """Transparency and compliance report for a period."""
    raise NotImplementedError
