"""ledger: tree heads and the Merkle nodes of complete subtrees

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-03 14:45:00
"""

from __future__ import annotations

import sqlalchemy as sa  # noqa: F401
from alembic import op  # noqa: F401

import safeharbor.db  # noqa: F401

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
