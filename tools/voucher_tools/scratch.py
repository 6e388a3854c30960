"""Scratch PostgreSQL databases, for the benchmark and the test suite."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from voucher_service.db.session import normalise_url


@contextmanager
def empty_postgres_database(server_url: str, *, prefix: str = "voucher_test") -> Iterator[str]:
    """Yield the URL of a new, empty database beside the one ``server_url`` names; drop it
    afterwards, whoever is still connected."""
    server_url = normalise_url(server_url)
    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    admin = create_engine(server_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(server_url).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
