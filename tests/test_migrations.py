"""The migrations are the schema: the models must agree with them exactly."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Engine, inspect

from voucher_service.db import tables  # noqa: F401  (registers every table)
from voucher_service.db.base import metadata


def test_models_match_migrations(engine: Engine) -> None:
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        diff = compare_metadata(context, metadata)
    assert diff == [], diff


def test_every_table_is_made_by_migrations(engine: Engine) -> None:
    names = set(inspect(engine).get_table_names())
    assert set(metadata.tables) <= names
    assert "alembic_version" in names


def test_downgrade_then_upgrade(scratch_database: str) -> None:
    from alembic import command
    from alembic.config import Config

    from voucher_service.config import get_settings
    from voucher_service.db.migrate import migrate

    config = Config()
    config.set_main_option("script_location", str(get_settings().migrations_dir))
    config.set_main_option("sqlalchemy.url", scratch_database.replace("%", "%%"))
    command.downgrade(config, "base")
    migrate(scratch_database)
