"""The schema comes from Alembic migrations, and they match the models exactly."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from safeharbor.db import Base
from safeharbor.platform import Platform


def test_migrations_build_the_models_schema(platform: Platform):
    with platform.db.engine.connect() as conn:
        tables = set(inspect(conn).get_table_names())
        assert {"works", "contents", "records", "licences", "priority_entries"} <= tables
        assert "alembic_version" in tables
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
        assert diff == [], diff


def test_migrate_is_idempotent(platform: Platform):
    platform._migrated = False
    platform.migrate()  # a second run on a migrated database changes nothing
    with platform.db.engine.connect() as conn:
        assert conn.exec_driver_sql("select count(*) from alembic_version").scalar() == 1
