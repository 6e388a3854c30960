"""Fresh, migrated databases for tests: a SQLite file, or (with TEST_DATABASE_URL) a new
PostgreSQL database created beside the given one and dropped afterwards.

Each process of a run (each pytest-xdist worker) migrates one template database the first
time it needs a database, and every fresh database is a copy of it: SQLite's backup API
for a file, ``CREATE DATABASE ... TEMPLATE`` on PostgreSQL. A copy takes a tenth of the
migrations' time, and each is still at the newest revision with no rows. ``drop_template``
(called when the run ends, conftest.py) removes the template."""

from __future__ import annotations

import contextlib
import os
import shutil
import sqlite3
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import bindparam, create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from voucher_service.db.migrate import migrate
from voucher_service.db.session import normalise_url
from voucher_service.tools.scratch import empty_postgres_database

__all__ = ["backend", "drop_template", "empty_postgres_database", "fresh_database", "unprotect"]


def backend() -> str:
    return "postgresql" if os.environ.get("TEST_DATABASE_URL") else "sqlite"


@dataclass
class _Template:
    """The migrated database this process copies: a SQLite file or a PostgreSQL database."""

    sqlite_file: Path | None = None
    postgres_name: str | None = None
    server_url: str | None = None


_template = _Template()


def _sqlite_template() -> Path:
    if _template.sqlite_file is None:
        path = Path(tempfile.mkdtemp(prefix="voucher-template-")) / "template.db"
        migrate(f"sqlite:///{path}")
        _template.sqlite_file = path
    return _template.sqlite_file


def _postgres_template(server_url: str) -> str:
    if _template.postgres_name is None:
        name = f"voucher_template_{uuid.uuid4().hex[:12]}"
        admin = create_engine(normalise_url(server_url), isolation_level="AUTOCOMMIT")
        try:
            with admin.connect() as conn:
                conn.execute(text(f'CREATE DATABASE "{name}"'))
            _template.postgres_name, _template.server_url = name, server_url
            migrate(_database_url(server_url, name))
            # A template may have no other session: alembic's engine keeps one in its pool.
            with admin.connect() as conn:
                conn.execute(
                    text(
                        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                        " WHERE datname = :name AND pid <> pg_backend_pid()"
                    ),
                    {"name": name},
                )
        finally:
            admin.dispose()
    return _template.postgres_name


def _database_url(server_url: str, name: str) -> str:
    return make_url(normalise_url(server_url)).set(database=name).render_as_string(False)


@contextmanager
def fresh_database(tmp_dir: Path) -> Iterator[str]:
    """Yield the URL of a new database at the newest migration; remove it afterwards."""
    server_url = os.environ.get("TEST_DATABASE_URL")
    if not server_url:
        path = tmp_dir / f"voucher-{uuid.uuid4().hex[:8]}.db"
        with (
            contextlib.closing(sqlite3.connect(_sqlite_template())) as source,
            contextlib.closing(sqlite3.connect(path)) as copy,
        ):
            source.backup(copy)
        yield f"sqlite:///{path}"
        return
    with empty_postgres_database(server_url, template=_postgres_template(server_url)) as url:
        yield url


def drop_template() -> None:
    """Remove this process's template database, if it made one."""
    if _template.sqlite_file is not None:
        shutil.rmtree(_template.sqlite_file.parent, ignore_errors=True)
        _template.sqlite_file = None
    if _template.postgres_name is not None and _template.server_url is not None:
        admin = create_engine(normalise_url(_template.server_url), isolation_level="AUTOCOMMIT")
        try:
            with admin.connect() as conn:
                conn.execute(
                    text(f'DROP DATABASE IF EXISTS "{_template.postgres_name}" WITH (FORCE)')
                )
        finally:
            admin.dispose()
        _template.postgres_name = None


def unprotect(session: Session, *tables: str) -> None:
    """Switch off the triggers that keep ``tables`` append-only, in the session's
    transaction (rolled back with it), as someone with the database's rights could."""
    if session.get_bind().dialect.name == "postgresql":
        for table in tables:
            session.execute(text(f"ALTER TABLE {table} DISABLE TRIGGER USER"))
        return
    names = session.scalars(
        text(
            "SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name IN :tables"
        ).bindparams(bindparam("tables", expanding=True)),
        {"tables": list(tables)},
    ).all()
    for name in names:
        session.execute(text(f"DROP TRIGGER {name}"))
