"""blacklists and sharing partners, shared lists and their entries

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-03 14:45:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import safeharbor.db

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "blacklist_entries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("pattern", sa.Text(), nullable=False),
        sa.Column("key", sa.String(length=1000), nullable=False),
        sa.Column("source", sa.String(length=200), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("listed_at", safeharbor.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("listed_by", sa.Integer(), nullable=True),
        sa.Column("batch", sa.String(length=40), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False, server_default=sa.true()),
        sa.Column("removed_at", safeharbor.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("removed_by", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["listed_by"], ["users.id"], name=op.f("fk_blacklist_entries_listed_by_users")
        ),
        sa.ForeignKeyConstraint(
            ["removed_by"], ["users.id"], name=op.f("fk_blacklist_entries_removed_by_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_blacklist_entries")),
    )
    with op.batch_alter_table("blacklist_entries", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_blacklist_entries_batch"), ["batch"], unique=False)
        batch_op.create_index(batch_op.f("ix_blacklist_entries_key"), ["key"], unique=False)
        batch_op.create_index(batch_op.f("ix_blacklist_entries_source"), ["source"], unique=False)

    op.create_table(
        "partners",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("public_key", sa.Text(), nullable=False),
        sa.Column("key_id", sa.String(length=64), nullable=False),
        sa.Column("trust", sa.String(length=8), nullable=False),
        sa.Column("added_at", safeharbor.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("added_by", sa.Integer(), nullable=True),
        sa.Column("trust_changed_at", safeharbor.db.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["added_by"], ["users.id"], name=op.f("fk_partners_added_by_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_partners")),
        sa.UniqueConstraint("name", name=op.f("uq_partners_name")),
    )

    op.create_table(
        "shared_imports",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("partner_id", sa.Integer(), nullable=False),
        sa.Column("manifest_sha256", sa.String(length=64), nullable=False),
        sa.Column("created_at", safeharbor.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("imported_at", safeharbor.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("imported_by", sa.Integer(), nullable=True),
        sa.Column("counts", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["imported_by"], ["users.id"], name=op.f("fk_shared_imports_imported_by_users")
        ),
        sa.ForeignKeyConstraint(
            ["partner_id"], ["partners.id"], name=op.f("fk_shared_imports_partner_id_partners")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_shared_imports")),
    )
    with op.batch_alter_table("shared_imports", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_shared_imports_manifest_sha256"), ["manifest_sha256"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_shared_imports_partner_id"), ["partner_id"], unique=False
        )

    op.create_table(
        "shared_items",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("partner_id", sa.Integer(), nullable=False),
        sa.Column("import_id", sa.Integer(), nullable=False),
        sa.Column("item", sa.String(length=100), nullable=False),
        sa.Column("reference_id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=500), nullable=False),
        sa.Column("work_type", sa.String(length=16), nullable=False),
        sa.Column("holder", sa.String(length=200), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("tags", sa.JSON(), nullable=False),
        sa.Column("created_at", safeharbor.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["import_id"],
            ["shared_imports.id"],
            name=op.f("fk_shared_items_import_id_shared_imports"),
        ),
        sa.ForeignKeyConstraint(
            ["partner_id"], ["partners.id"], name=op.f("fk_shared_items_partner_id_partners")
        ),
        sa.ForeignKeyConstraint(
            ["reference_id"],
            ["match_references.id"],
            name=op.f("fk_shared_items_reference_id_match_references"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_shared_items")),
    )
    with op.batch_alter_table("shared_items", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_shared_items_import_id"), ["import_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_shared_items_partner_id"), ["partner_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_shared_items_reference_id"), ["reference_id"], unique=False
        )


def downgrade() -> None:
    for table, cols in (
        ("shared_items", ("reference_id", "partner_id", "import_id")),
        ("shared_imports", ("partner_id", "manifest_sha256")),
        ("partners", ()),
        ("blacklist_entries", ("source", "key", "batch")),
    ):
        if cols:
            with op.batch_alter_table(table, schema=None) as batch_op:
                for col in cols:
                    batch_op.drop_index(batch_op.f(f"ix_{table}_{col}"))
        op.drop_table(table)
