"""enforcement: strikes, appeals, account restrictions

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-03 14:45:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import safeharbor.db

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "strikes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("work_id", sa.Integer(), nullable=True),
        sa.Column("notice_id", sa.Integer(), nullable=True),
        sa.Column("content_id", sa.Integer(), nullable=True),
        sa.Column("screening_id", sa.Integer(), nullable=True),
        sa.Column("content_sha256", sa.String(length=64), nullable=True),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("created_at", safeharbor.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.Column("expires_at", safeharbor.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("removed_at", safeharbor.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("removed_why", sa.String(length=32), nullable=True),
        sa.Column("removed_note", sa.Text(), nullable=True),
        sa.Column("removed_by", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["content_id"], ["contents.id"], name=op.f("fk_strikes_content_id_contents")
        ),
        sa.ForeignKeyConstraint(
            ["created_by"], ["users.id"], name=op.f("fk_strikes_created_by_users")
        ),
        sa.ForeignKeyConstraint(
            ["notice_id"], ["notices.id"], name=op.f("fk_strikes_notice_id_notices")
        ),
        sa.ForeignKeyConstraint(
            ["removed_by"], ["users.id"], name=op.f("fk_strikes_removed_by_users")
        ),
        sa.ForeignKeyConstraint(
            ["screening_id"], ["screenings.id"], name=op.f("fk_strikes_screening_id_screenings")
        ),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_strikes_user_id_users")),
        sa.ForeignKeyConstraint(["work_id"], ["works.id"], name=op.f("fk_strikes_work_id_works")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_strikes")),
    )
    with op.batch_alter_table("strikes", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_strikes_content_id"), ["content_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_strikes_notice_id"), ["notice_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_strikes_user_id"), ["user_id"], unique=False)

    op.create_table(
        "strike_appeals",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("strike_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("statement", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("created_at", safeharbor.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("decided_at", safeharbor.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("decided_by", sa.Integer(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["decided_by"], ["users.id"], name=op.f("fk_strike_appeals_decided_by_users")
        ),
        sa.ForeignKeyConstraint(
            ["strike_id"], ["strikes.id"], name=op.f("fk_strike_appeals_strike_id_strikes")
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_strike_appeals_user_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_strike_appeals")),
    )
    with op.batch_alter_table("strike_appeals", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_strike_appeals_status"), ["status"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_strike_appeals_strike_id"), ["strike_id"], unique=False
        )

    op.create_table(
        "account_standings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("level", sa.String(length=16), nullable=False),
        sa.Column("active_strikes", sa.Integer(), nullable=False),
        sa.Column("suspended_until", safeharbor.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("terminated_at", safeharbor.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("reported_at", safeharbor.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("changed_at", safeharbor.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("evasion_of", sa.Integer(), nullable=True),
        sa.Column("evasion_reason", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["evasion_of"], ["users.id"], name=op.f("fk_account_standings_evasion_of_users")
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_account_standings_user_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_account_standings")),
        sa.UniqueConstraint("user_id", name=op.f("uq_account_standings_user_id")),
    )


def downgrade() -> None:
    op.drop_table("account_standings")
    with op.batch_alter_table("strike_appeals", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_strike_appeals_strike_id"))
        batch_op.drop_index(batch_op.f("ix_strike_appeals_status"))

    op.drop_table("strike_appeals")
    with op.batch_alter_table("strikes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_strikes_user_id"))
        batch_op.drop_index(batch_op.f("ix_strikes_notice_id"))
        batch_op.drop_index(batch_op.f("ix_strikes_content_id"))

    op.drop_table("strikes")
