"""Fixtures: one migrated database per test run; each test in a transaction rolled back at
its end (API requests included), so tests never see each other's rows."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from tests.databases import backend, fresh_database
from voucher_service.api import create_app
from voucher_service.db.session import create_db_engine, session_dependency
from voucher_service.deps import now

# Tests run on a fixed clock: noon in Wuhan on 2026-06-15, so they never depend on the date.
NOW = datetime(2026, 6, 15, 4, 0, tzinfo=UTC)
TODAY = date(2026, 6, 15)


def pytest_report_header() -> str:
    return f"database backend: {backend()}"


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with fresh_database(tmp_path_factory.mktemp("db")) as url:
        yield url


@pytest.fixture(scope="session")
def engine(database_url: str) -> Iterator[Engine]:
    engine = create_db_engine(database_url)
    yield engine
    engine.dispose()


@pytest.fixture
def session(engine: Engine) -> Iterator[Session]:
    connection = engine.connect()
    outer = connection.begin()
    session = Session(
        bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False
    )
    try:
        yield session
    finally:
        session.close()
        outer.rollback()
        connection.close()


@pytest.fixture
def client(session: Session) -> Iterator[TestClient]:
    app = create_app()

    def request_session() -> Iterator[Session]:
        # Same contract as the real dependency: commit on success, roll back on error. Here
        # "commit" releases a savepoint inside the test's outer transaction.
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise

    app.dependency_overrides[session_dependency] = request_session
    app.dependency_overrides[now] = lambda: NOW
    with TestClient(app) as test_client:
        yield test_client


@pytest.fixture
def scratch_database(tmp_path: Path) -> Iterator[str]:
    """A database of its own (committed writes, other processes): for CLI tests."""
    with fresh_database(tmp_path) as url:
        yield url
