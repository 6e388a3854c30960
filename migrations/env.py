"""Alembic environment: the only way the schema is made, on SQLite and PostgreSQL alike."""

from __future__ import annotations

from alembic import context

from voucher_service.db import tables  # noqa: F401  (registers every table)
from voucher_service.db.base import metadata
from voucher_service.db.session import create_db_engine, get_engine

config = context.config


def run_migrations() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    url = config.get_main_option("sqlalchemy.url")
    engine = create_db_engine(url) if url else get_engine()
    with engine.connect() as connection:
        _run(connection)
        connection.commit()


def _run(connection) -> None:  # type: ignore[no-untyped-def]
    context.configure(
        connection=connection,
        target_metadata=metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


run_migrations()
