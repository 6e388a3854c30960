"""Fresh, migrated databases for tests: a SQLite file, or (with TEST_DATABASE_URL) a new
PostgreSQL database created beside the given one and dropped afterwards."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from voucher_service.cli import migrate
from voucher_service.db.session import normalise_url


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


@contextmanager
def empty_postgres_database(server_url: str) -> Iterator[str]:
    """Yield the URL of a new, empty database beside the one ``server_url`` names; drop it
    afterwards, whoever is still connected."""
    server_url = normalise_url(server_url)
    name = f"voucher_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(server_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(server_url).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
