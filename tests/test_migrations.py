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


def test_a_moment_in_another_zone_is_stored_as_the_same_moment(platform: Platform):
    # a priority window typed in Beijing time must start at the same instant on every
    # backend (SQLite drops offsets: the value has to be turned to UTC before storing)
    from datetime import UTC, datetime, timedelta, timezone

    from safeharbor.accounts.models import User

    beijing = timezone(timedelta(hours=8))
    with platform.unit() as svc:
        user = svc.accounts.create_user("tz", "uploader")
        user.terms_accepted_at = datetime(2026, 12, 4, 8, 0, tzinfo=beijing)
        uid = user.id
    with platform.unit() as svc:
        stored = svc.session.get(User, uid).terms_accepted_at
        assert stored == datetime(2026, 12, 4, 0, 0, tzinfo=UTC)
