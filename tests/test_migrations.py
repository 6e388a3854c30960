"""The migrations are the schema: the models must agree with them exactly, and every
migration must undo itself (docs/operations.md: rolling back an upgrade)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, inspect, text

import voucher_service.db.tables  # noqa: F401  (registers every table)
from voucher_service.config import get_settings
from voucher_service.db.base import metadata
from voucher_service.db.session import create_db_engine

ROOT = Path(__file__).resolve().parents[1]


def test_models_match_migrations(engine: Engine) -> None:
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        diff = compare_metadata(context, metadata)
    assert diff == [], diff


def test_every_table_is_made_by_migrations(engine: Engine) -> None:
    names = set(inspect(engine).get_table_names())
    assert set(metadata.tables) <= names
    assert "alembic_version" in names


def alembic_config(url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(get_settings().migrations_dir))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def schema(engine: Engine) -> dict[str, Any]:
    """What a migration may change, table by table: columns, keys, indexes, constraints; and
    the triggers that keep the ledger append-only."""
    inspector = inspect(engine)
    parts = {
        "columns": {
            key: [(c["name"], str(c["type"]), c["nullable"]) for c in columns]
            for key, columns in inspector.get_multi_columns().items()
        },
        "primary_key": {
            key: pk["constrained_columns"]
            for key, pk in inspector.get_multi_pk_constraint().items()
        },
        "foreign_keys": {
            key: sorted((tuple(fk["constrained_columns"]), fk["referred_table"]) for fk in fks)
            for key, fks in inspector.get_multi_foreign_keys().items()
        },
        "indexes": {
            key: sorted((i["name"], tuple(i["column_names"]), bool(i["unique"])) for i in found)
            for key, found in inspector.get_multi_indexes().items()
        },
        "unique": {
            key: sorted(str(u["name"]) for u in found)
            for key, found in inspector.get_multi_unique_constraints().items()
        },
        "checks": {
            # with their text: a migration may change only what a CHECK allows
            key: sorted((str(c["name"]), str(c["sqltext"])) for c in found)
            for key, found in inspector.get_multi_check_constraints().items()
        },
    }
    tables: dict[str, Any] = {
        table: {part: found[(schema_name, table)] for part, found in parts.items()}
        for schema_name, table in parts["columns"]
    }
    triggers = (
        "SELECT name, tbl_name FROM sqlite_master WHERE type = 'trigger'"
        if engine.dialect.name == "sqlite"
        else "SELECT tgname, tgrelid::regclass::text FROM pg_trigger WHERE NOT tgisinternal"
    )
    with engine.connect() as connection:
        tables["(triggers)"] = sorted(tuple(row) for row in connection.execute(text(triggers)))
    return tables


def test_every_migration_downgrades_and_upgrades_step_by_step(scratch_database: str) -> None:
    """From an empty database, each revision in turn: upgrade to it, downgrade one step (the
    schema must be exactly as before the upgrade), upgrade again (exactly as after it)."""
    config = alembic_config(scratch_database)
    script = ScriptDirectory.from_config(config)
    revisions = [r.revision for r in reversed(list(script.walk_revisions()))]
    engine = create_db_engine(scratch_database)
    try:
        command.downgrade(config, "base")
        before = schema(engine)
        assert set(before) == {"alembic_version", "(triggers)"} and before["(triggers)"] == []
        for revision in revisions:
            command.upgrade(config, revision)
            after = schema(engine)
            assert after != before, f"{revision} changes nothing"
            command.downgrade(config, "-1")
            assert schema(engine) == before, f"downgrading {revision} does not undo it"
            command.upgrade(config, revision)
            assert schema(engine) == after, f"upgrading to {revision} again differs"
            before = after
        with engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            assert context.get_current_revision() == script.get_current_head()
            assert compare_metadata(context, metadata) == []
    finally:
        engine.dispose()


def test_alembic_command_line_rolls_back_the_service_database(scratch_database: str) -> None:
    """As docs/operations.md says: alembic.ini at the top of the checkout, the database from
    the service's own setting; `alembic downgrade -1` steps back, `alembic current` says where
    it is."""
    script = ScriptDirectory.from_config(alembic_config(scratch_database))
    head = script.get_revision(script.get_current_head())
    alembic = Path(sys.executable).parent / "alembic"
    environment = {**os.environ, "VOUCHER_DATABASE_URL": scratch_database}

    def run(*args: str) -> str:
        done = subprocess.run(
            [str(alembic), *args],
            cwd=ROOT,
            env=environment,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert done.returncode == 0, done.stderr
        return done.stdout

    run("downgrade", "-1")
    assert run("current").split() == [head.down_revision]
