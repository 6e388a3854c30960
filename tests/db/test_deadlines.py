"""Database deadlines (issue 20, item 2): the API's connections carry a connect timeout,
``statement_timeout``, ``lock_timeout`` and ``idle_in_transaction_session_timeout`` from the
settings; commands keep only the connect timeout; SQLite's busy timeout is the lock's."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.exc import OperationalError

from tests.databases import backend
from voucher_service.config import get_settings
from voucher_service.db.session import (
    Deadlines,
    create_db_engine,
    get_engine,
    run_as_api,
    run_as_command,
)

postgres_only = pytest.mark.skipif(backend() != "postgresql", reason="PostgreSQL's own timeouts")


@pytest.fixture
def short(database_url: str) -> Iterator[Engine]:
    engine = create_db_engine(
        database_url,
        deadlines=Deadlines(connect=2, statement=1, lock=0.3, idle_in_transaction=4),
    )
    yield engine
    engine.dispose()


@postgres_only
def test_the_timeouts_are_the_sessions_own(short: Engine) -> None:
    with short.connect() as connection:
        shown = {
            name: connection.execute(text(f"SHOW {name}")).scalar()
            for name in ("statement_timeout", "lock_timeout", "idle_in_transaction_session_timeout")
        }
    assert shown == {
        "statement_timeout": "1s",
        "lock_timeout": "300ms",
        "idle_in_transaction_session_timeout": "4s",
    }


@postgres_only
def test_a_statement_past_its_deadline_is_cancelled(short: Engine) -> None:
    started = time.perf_counter()
    with short.connect() as connection, pytest.raises(OperationalError, match="statement timeout"):
        connection.execute(text("SELECT pg_sleep(5)"))
    assert time.perf_counter() - started < 3


@postgres_only
def test_a_lock_waited_for_past_its_deadline_is_given_up(short: Engine) -> None:
    with short.connect() as holder:
        holder.execute(text("SELECT pg_advisory_xact_lock(20020)"))
        # Given up at the lock's deadline (0.3 s), before the statement's (1 s).
        with short.connect() as waiter, pytest.raises(OperationalError, match="lock timeout"):
            waiter.execute(text("SELECT pg_advisory_xact_lock(20020)"))
        holder.rollback()


@postgres_only
def test_commands_have_no_statement_deadline_and_the_api_has_its_settings(
    database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("VOUCHER_DATABASE_URL", database_url)
    monkeypatch.setenv("VOUCHER_DB_STATEMENT_TIMEOUT_SECONDS", "45")
    get_settings.cache_clear()
    get_engine.cache_clear()
    try:
        run_as_command()
        with get_engine().connect() as connection:
            assert connection.execute(text("SHOW statement_timeout")).scalar() == "0"
            assert connection.execute(text("SHOW lock_timeout")).scalar() == "0"
        run_as_api()
        with get_engine().connect() as connection:
            assert connection.execute(text("SHOW statement_timeout")).scalar() == "45s"
            assert connection.execute(text("SHOW lock_timeout")).scalar() == "10s"
    finally:
        run_as_api()
        get_engine().dispose()
        get_settings.cache_clear()
        get_engine.cache_clear()


def test_a_server_that_never_answers_is_given_up_at_the_connect_timeout() -> None:
    """A listening socket that never accepts: the kernel completes the handshake (as for a
    stopped postmaster) and nothing answers the start-up packet."""
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)
        port = silent.getsockname()[1]
        engine = create_db_engine(
            f"postgresql://nobody@127.0.0.1:{port}/none", deadlines=Deadlines(connect=2)
        )
        started = time.perf_counter()
        with pytest.raises(OperationalError):
            engine.connect()
        assert 1.5 < time.perf_counter() - started < 6
        engine.dispose()


@pytest.mark.skipif(backend() != "sqlite", reason="SQLite's busy timeout")
def test_sqlite_waits_for_the_write_lock_as_long_as_the_lock_deadline(database_url: str) -> None:
    default = create_db_engine(database_url)
    short = create_db_engine(database_url, deadlines=Deadlines(lock=0.5))
    try:
        with default.connect() as connection:
            assert connection.execute(text("PRAGMA busy_timeout")).scalar() == 30000
        with short.connect() as connection:
            assert connection.execute(text("PRAGMA busy_timeout")).scalar() == 500
        # A writer holds the lock; another gives up after the lock deadline, not 30 s.
        with default.begin() as writer:
            writer.execute(text("UPDATE alembic_version SET version_num = version_num"))
            failed: list[float] = []

            def wait_for_it() -> None:
                started = time.perf_counter()
                try:
                    with short.begin() as other:
                        other.execute(text("UPDATE alembic_version SET version_num = version_num"))
                except OperationalError:
                    failed.append(time.perf_counter() - started)

            thread = threading.Thread(target=wait_for_it)
            thread.start()
            thread.join(10)
        assert failed and 0.4 < failed[0] < 5
    finally:
        default.dispose()
        short.dispose()
