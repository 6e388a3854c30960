"""Fresh, migrated databases for tests: a SQLite file, or (with TEST_DATABASE_URL) a new
PostgreSQL database created beside the given one and dropped afterwards.

Each process of a run (each pytest-xdist worker) migrates one template database the first
time it needs a database, and every fresh database is a copy of it: SQLite's backup API
for a file (5 ms against 170 ms of migrations), ``CREATE DATABASE ... TEMPLATE`` on
PostgreSQL (0.1 s against 0.4 s or more). A PostgreSQL database is dropped in a thread of
its own, since a drop waits for the server's checkpoint. ``drop_template``, called when the
run ends (conftest.py), waits for the drops and removes the template."""

from __future__ import annotations

import contextlib
import os
import queue
import shutil
import sqlite3
import tempfile
import threading
import uuid
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Connection, bindparam, create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from voucher_service.db.migrate import migrate
from voucher_service.db.session import normalise_url
from voucher_tools.scratch import empty_postgres_database

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
        with _server(server_url) as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        _template.postgres_name, _template.server_url = name, server_url
        migrate(_database_url(server_url, name))
        # A template may have no other session: alembic's engine keeps one in its pool.
        with _server(server_url) as conn:
            conn.execute(
                text(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                    " WHERE datname = :name AND pid <> pg_backend_pid()"
                ),
                {"name": name},
            )
    return _template.postgres_name


@contextmanager
def _server(server_url: str) -> Iterator[Connection]:
    admin = create_engine(normalise_url(server_url), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            yield conn
    finally:
        admin.dispose()


def _database_url(server_url: str, name: str) -> str:
    return make_url(normalise_url(server_url)).set(database=name).render_as_string(False)


class _Dropper:
    """Drops PostgreSQL databases in a thread of its own: a drop waits for the shared
    server's checkpoint (about a second), which no test needs to wait for."""

    def __init__(self) -> None:
        self.queue: queue.Queue[tuple[str, str] | None] = queue.Queue()
        self.thread: threading.Thread | None = None
        self.failures: list[str] = []

    def drop(self, server_url: str, name: str) -> None:
        if self.thread is None:
            self.thread = threading.Thread(target=self._run, name="drop-databases", daemon=True)
            self.thread.start()
        self.queue.put((server_url, name))

    def _run(self) -> None:
        while (job := self.queue.get()) is not None:
            server_url, name = job
            try:
                with _server(server_url) as conn:
                    conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            except Exception as error:  # noqa: BLE001 (reported when the run ends)
                self.failures.append(f"{name}: {error!r}")

    def finish(self) -> list[str]:
        """Wait for every drop asked for; the ones that failed."""
        if self.thread is not None:
            self.queue.put(None)
            self.thread.join()
            self.thread = None
        return self.failures


_dropper = _Dropper()


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
    template = _postgres_template(server_url)
    name = f"voucher_test_{uuid.uuid4().hex[:12]}"
    with _server(server_url) as conn:
        conn.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{template}"'))
    try:
        yield _database_url(server_url, name)
    finally:
        _dropper.drop(server_url, name)


def drop_template() -> None:
    """When the run ends: wait for the databases being dropped, then remove this process's
    template database, if it made one."""
    failures = _dropper.finish()
    if _template.sqlite_file is not None:
        shutil.rmtree(_template.sqlite_file.parent, ignore_errors=True)
        _template.sqlite_file = None
    if _template.postgres_name is not None and _template.server_url is not None:
        with _server(_template.server_url) as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{_template.postgres_name}" WITH (FORCE)'))
        _template.postgres_name = None
    if failures:
        warnings.warn(f"test databases left behind: {failures}", stacklevel=1)


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
