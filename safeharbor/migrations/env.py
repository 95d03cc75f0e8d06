"""Alembic environment: migrates the connection handed over by ``Database.migrate``, or the
URL in ``SAFEHARBOR_DATABASE_URL`` when run as ``alembic -c safeharbor/migrations/alembic.ini``.
"""

from __future__ import annotations

import os

from alembic import context
from sqlalchemy import create_engine

import safeharbor.models  # noqa: F401  (registers every table on the metadata)
from safeharbor.db import Base

config = context.config
target_metadata = Base.metadata


def run() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _migrate(connection)
        return
    url = config.attributes.get("connection_url") or os.environ.get(
        "SAFEHARBOR_DATABASE_URL", "sqlite:///safeharbor.db"
    )
    engine = create_engine(url)
    with engine.begin() as conn:
        _migrate(conn)


def _migrate(connection: object) -> None:
    context.configure(
        connection=connection,  # type: ignore[arg-type]
        target_metadata=target_metadata,
        render_as_batch=True,  # SQLite alters tables by copying them
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


run()
