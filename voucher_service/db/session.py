"""Engine and sessions: one transaction per request (``routing.py``) or CLI command.

Service functions ``flush()`` and never ``commit()``: the caller that opened the session
commits once, so an issuance, its postings and its counters succeed or fail together.

SQLite (the embedded default) has a single writer. Every transaction begins IMMEDIATE so
that two writers never both read and then fail to upgrade their lock; WAL lets readers
run beside the writer; a busy timeout queues writers instead of failing them.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from voucher_service.config import get_settings


def normalise_url(url: str) -> str:
    """Accept ``postgresql://`` and ``postgres://`` and use the psycopg 3 driver for them."""
    parsed = make_url(url)
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed.render_as_string(hide_password=False)


def create_db_engine(url: str, **kwargs: Any) -> Engine:
    url = normalise_url(url)
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"check_same_thread": False}, **kwargs)
        _make_sqlite_serialisable(engine)
        return engine
    kwargs.setdefault("pool_size", 10)
    kwargs.setdefault("max_overflow", 10)
    # Bulk inserts go to psycopg's executemany, which pipelines one small prepared statement;
    # SQLAlchemy's multi-row VALUES rendering makes psycopg re-parse huge statements instead.
    kwargs.setdefault("use_insertmanyvalues", False)
    # Recycle connections instead of pinging each one at checkout (a round trip per request).
    kwargs.setdefault("pool_recycle", 1800)
    return create_engine(url, **kwargs)


def _make_sqlite_serialisable(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy, not the driver, decide when transactions begin.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.execute("PRAGMA busy_timeout = 30000")
        cursor.execute("PRAGMA journal_mode = WAL")
        cursor.execute("PRAGMA synchronous = NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        connection.exec_driver_sql("BEGIN IMMEDIATE")


@lru_cache
def get_engine() -> Engine:
    """The process's engine. Its pool is sized for the request model (``routing.py``): an
    admitted request holds at most one connection, so the pool never needs to overflow; a
    thread that waits longer than the pool time-out fails its request with a 503."""
    settings = get_settings()
    return create_db_engine(
        settings.database_url,
        pool_size=settings.pool_size,
        max_overflow=0,
        pool_timeout=settings.db_pool_timeout_seconds,
    )


@contextmanager
def transaction(engine: Engine | None = None) -> Iterator[Session]:
    """A session whose work is committed on success and rolled back on any error."""
    with Session(engine or get_engine(), expire_on_commit=False) as session:
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise
