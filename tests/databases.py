"""Fresh, migrated databases for tests: a SQLite file, or (with TEST_DATABASE_URL) a new
PostgreSQL database created beside the given one and dropped afterwards."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from voucher_service.db.migrate import migrate
from voucher_service.tools.scratch import empty_postgres_database

__all__ = ["backend", "empty_postgres_database", "fresh_database"]


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
