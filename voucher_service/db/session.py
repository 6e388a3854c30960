"""Engine and sessions: one transaction per request (``routing.py``) or CLI command.

Service functions ``flush()`` and never ``commit()``: the caller that opened the session
commits once, so an issuance, its postings and its counters succeed or fail together.

SQLite (the embedded default) has a single writer. Every transaction begins IMMEDIATE so
that two writers never both read and then fail to upgrade their lock; WAL lets readers
run beside the writer; a busy timeout queues writers instead of failing them.

Deadlines (``Deadlines``): a database that hangs must cost a request a bounded time, never a
worker. The API's connections carry PostgreSQL's ``connect_timeout``, ``statement_timeout``,
``lock_timeout`` and ``idle_in_transaction_session_timeout`` from the settings, sent in the
connection's start-up packet (no round trip); a statement cut off fails its request with 503
``database_unavailable``. Commands (``verify``, checkpoints, a month's close over millions
of records) keep the connect timeout and no other limit: the command line's ``main`` calls
``run_as_command`` before any connection is made. A database
that stops answering altogether (its processes stopped) answers no statement timeout
either: there the gate's queue time and ``/readyz``'s own deadline bound the wait.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from voucher_service.config import Settings, get_settings

# SQLite's busy timeout when no lock deadline is set: how long a writer queues for the lock.
SQLITE_BUSY_SECONDS = 30.0
# libpq's TCP keepalives: probe after 30 s of silence, every 10 s, give up after 3 unanswered.
KEEPALIVES = {"keepalives": 1, "keepalives_idle": 30, "keepalives_interval": 10,
              "keepalives_count": 3}  # fmt: skip


@dataclass(frozen=True)
class Deadlines:
    """How long the database may take, in seconds (0: no limit): to accept a connection,
    to run one statement, to grant a lock, and how long a session may sit idle inside a
    transaction. PostgreSQL enforces each itself; SQLite has only the lock's (its busy
    timeout)."""

    connect: int = 0
    statement: float = 0.0
    lock: float = 0.0
    idle_in_transaction: float = 0.0

    @classmethod
    def for_the_api(cls, settings: Settings) -> Deadlines:
        return cls(
            connect=settings.db_connect_timeout_seconds,
            statement=settings.db_statement_timeout_seconds,
            lock=settings.db_lock_timeout_seconds,
            idle_in_transaction=settings.db_idle_in_transaction_seconds,
        )

    @classmethod
    def for_commands(cls, settings: Settings) -> Deadlines:
        return cls(connect=settings.db_connect_timeout_seconds)

    def postgres_connect_args(self) -> dict[str, Any]:
        """psycopg's connection arguments: the timeouts as start-up options, so that
        setting them costs no round trip (behind PgBouncer in transaction mode, which does
        not pass start-up options on, set them on the role instead: docs/operations.md)."""
        args: dict[str, Any] = {}
        if self.connect:
            args["connect_timeout"] = self.connect
            # A database host that vanishes (no reset ever comes) is noticed within about a
            # minute, instead of the operating system's two hours: a request waiting on it
            # fails, and its place and connection are free again. (A database that is only
            # stopped still answers these probes from its kernel: waits for it go on.)
            args |= KEEPALIVES
        options = [
            f"-c {name}={round(seconds * 1000)}"
            for name, seconds in (
                ("statement_timeout", self.statement),
                ("lock_timeout", self.lock),
                ("idle_in_transaction_session_timeout", self.idle_in_transaction),
            )
            if seconds
        ]
        if options:
            args["options"] = " ".join(options)
        return args

    @property
    def sqlite_busy_ms(self) -> int:
        return round((self.lock or SQLITE_BUSY_SECONDS) * 1000)


# Which deadlines the process's engine (``get_engine``) gets: the API's, unless the command
# line has said that this process runs a command.
_commands_only = False


def run_as_command() -> None:
    """This process runs a command, not the API: its engine gets ``Deadlines.for_commands``
    (``cli.main`` calls it; ``serve`` calls ``run_as_api`` before it starts uvicorn)."""
    _run_as(commands=True)


def run_as_api() -> None:
    _run_as(commands=False)


def _run_as(*, commands: bool) -> None:
    global _commands_only
    if _commands_only == commands:
        return
    if get_engine.cache_info().currsize:
        get_engine().dispose()
        get_engine.cache_clear()
    _commands_only = commands


def normalise_url(url: str) -> str:
    """Accept ``postgresql://`` and ``postgres://`` and use the psycopg 3 driver for them."""
    parsed = make_url(url)
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed.render_as_string(hide_password=False)


def sqlite_directory(url: str) -> Path | None:
    """The directory of the SQLite file ``url`` names (None: not a SQLite file). Only
    ``migrate`` makes it (``db.migrate``): an engine never does, so that a mistyped path is
    said ("run migrate") instead of becoming an empty database."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or parsed.database in (None, "", ":memory:"):
        return None
    return Path(parsed.database).parent


def create_db_engine(url: str, *, deadlines: Deadlines | None = None, **kwargs: Any) -> Engine:
    """An engine for ``url`` with ``deadlines`` (default: none but SQLite's 30 s busy
    timeout)."""
    url = normalise_url(url)
    parsed = make_url(url)
    deadlines = deadlines or Deadlines()
    if parsed.get_backend_name() == "sqlite":
        engine = create_engine(url, connect_args={"check_same_thread": False}, **kwargs)
        _make_sqlite_serialisable(engine, deadlines.sqlite_busy_ms)
        return engine
    kwargs.setdefault("connect_args", deadlines.postgres_connect_args())
    kwargs.setdefault("pool_size", 10)
    kwargs.setdefault("max_overflow", 10)
    # Bulk inserts go to psycopg's executemany, which pipelines one small prepared statement;
    # SQLAlchemy's multi-row VALUES rendering makes psycopg re-parse huge statements instead.
    kwargs.setdefault("use_insertmanyvalues", False)
    # Recycle connections instead of pinging each one at checkout (a round trip per request).
    kwargs.setdefault("pool_recycle", 1800)
    return create_engine(url, **kwargs)


def _make_sqlite_serialisable(engine: Engine, busy_ms: int) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy, not the driver, decide when transactions begin.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.execute(f"PRAGMA busy_timeout = {int(busy_ms)}")
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
    thread that waits longer than the pool time-out fails its request with a 503. Its
    deadlines are the API's, or a command's (``run_as_command``)."""
    settings = get_settings()
    deadlines = (
        Deadlines.for_commands(settings) if _commands_only else Deadlines.for_the_api(settings)
    )
    return create_db_engine(
        settings.database_url,
        deadlines=deadlines,
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


@contextmanager
def autocommit(engine: Engine | None = None) -> Iterator[Session]:
    """A session whose statements each commit on their own, for short independent reads and
    writes such as authentication: on PostgreSQL no BEGIN and no COMMIT, one round trip a
    statement. (SQLite: a transaction, as ever.)"""
    engine = engine or get_engine()
    if engine.dialect.name != "postgresql":
        with transaction(engine) as session:
            yield session
        return
    with Session(_autocommitting(engine), expire_on_commit=False) as session:
        yield session


@lru_cache
def _autocommitting(engine: Engine) -> Engine:
    return engine.execution_options(isolation_level="AUTOCOMMIT")
