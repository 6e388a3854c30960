"""Fresh, migrated databases for tests: a SQLite file, or (with TEST_DATABASE_URL) a new
PostgreSQL database created beside the given one and dropped afterwards."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import bindparam, text
from sqlalchemy.orm import Session

from voucher_service.db.migrate import migrate
from voucher_service.tools.scratch import empty_postgres_database

__all__ = ["backend", "empty_postgres_database", "fresh_database", "unprotect"]


def backend() -> str:
    return "postgresql" if os.environ.get("TEST_DATABASE_URL") else "sqlite"


@contextmanager
def fresh_database(tmp_dir: Path) -> Iterator[str]:
    """Yield the URL of a new database at the newest migration; remove it afterwards."""
    server_url = os.environ.get("TEST_DATABASE_URL")
    if not server_url:
        path = tmp_dir / f"voucher-{uuid.uuid4().hex[:8]}.db"
        url = f"sqlite:///{path}"
        migrate(url)
        yield url
        return
    with empty_postgres_database(server_url) as url:
        migrate(url)
        yield url


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
