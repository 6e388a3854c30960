"""Fixtures: one migrated database per test run; each test in a transaction rolled back at
its end (API requests included), so tests never see each other's rows."""

from __future__ import annotations

import functools
import inspect
import os

# In-process apps do not seal the audit log in the background: tests seal when they mean to.
os.environ["VOUCHER_AUDIT_SEAL_SECONDS"] = "0"

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from fastapi import FastAPI
from hypothesis import settings as hypothesis_settings
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from tests.databases import backend, drop_template, fresh_database
from tests.factories import (
    NOW,
    Books,
    KeyedClient,
    People,
    Scene,
    make_books,
    make_people,
    make_scene,
)
from tests.ledger.one_door import watching
from voucher_service.api import create_app
from voucher_service.config import get_settings
from voucher_service.db.session import create_db_engine, get_engine

# The property tests check rules, not speed: hypothesis's 200 ms deadline per example failed
# them on a loaded machine, and speed is the benchmark's business (docs/performance.md).
hypothesis_settings.register_profile("voucher", deadline=None)
hypothesis_settings.load_profile("voucher")


def pytest_report_header() -> str:
    return f"database backend: {backend()}"


def pytest_configure(config: pytest.Config) -> None:
    # addopts has -q; one more (`pytest -q`, an editor's runner) makes -qq, at which pytest
    # drops its closing "N passed, M skipped in T s" line, the one people and CI read.
    config.option.verbose = max(config.option.verbose, -1)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Files with ``slow`` or ``browser`` tests (servers, drills, a browser: a minute or two
    each) first: ``pytest -n 2 --dist loadfile`` (make test) hands files out in this order,
    so the long ones start at once and the many short files fill in around them.

    In the second pass of ``make test`` (PostgreSQL, after the whole suite passed on SQLite)
    a test that cannot meet the run's database is not run again: see ``same_in_every_run``."""
    heavy = {
        item.path
        for item in items
        if item.get_closest_marker("slow") or item.get_closest_marker("browser")
    }
    items.sort(key=lambda item: item.path not in heavy)
    if os.environ.get(SECOND_PASS) and backend() == "postgresql":
        again = pytest.mark.skip(
            reason=f"the same with any database: it ran in the SQLite pass ({SECOND_PASS})"
        )
        for item in items:
            if same_in_every_run(item):
                item.add_marker(again)


# Set by `make test` for its PostgreSQL pass (Makefile): the SQLite pass has just run the suite.
SECOND_PASS = "VOUCHER_TESTS_SECOND_PASS"
# The fixtures that hand a test the run's database, and the words by which a test module or a
# fixture reaches it some other way (a scratch database, a server on one, the backend's name).
DATABASE_FIXTURES = frozenset(
    {"database_url", "scratch_database", "cli_database", "engine", "session", "client"}
)
REACHES_THE_DATABASE = (
    "TEST_DATABASE_URL",
    "backend(",
    "fresh_database",
    "empty_postgres_database",
    "database_url",
    "scratch_database",
    "cli_database",
    "api_processes",
    "tests.served",
    "monitoring.stack",
    "postgres",
)


@functools.cache
def _reaches_the_database(source: str) -> bool:
    return any(word in source for word in REACHES_THE_DATABASE)


def same_in_every_run(item: pytest.Item) -> bool:
    """A test that runs alike whatever TEST_DATABASE_URL says: no fixture of the run's database,
    no word of it in its module or in the fixtures it uses (rules, money, catalogs, the source's
    layers, the OpenAPI document, the gate, deploy files), and the console in a browser (its
    pages on PostgreSQL are the console's TestClient tests)."""
    if item.get_closest_marker("browser"):
        return True
    if DATABASE_FIXTURES & set(getattr(item, "fixturenames", ())):
        return False
    if _reaches_the_database(Path(item.path).read_text(encoding="utf-8")):
        return False
    info = getattr(item, "_fixtureinfo", None)
    for definitions in info.name2fixturedefs.values() if info else ():
        for definition in definitions:
            try:
                source, where = (
                    inspect.getsource(definition.func),
                    inspect.getsourcefile(definition.func),
                )
            except (OSError, TypeError):
                continue
            if where and Path(where).is_relative_to(TESTS) and _reaches_the_database(source):
                return False
    return True


TESTS = Path(__file__).resolve().parent


def pytest_sessionfinish() -> None:
    drop_template()


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    # Quiet runs show no header: say which database this run used, before its summary line.
    terminalreporter.write_line(f"database backend: {backend()}")


@pytest.fixture(autouse=True)
def only_the_ledger_writes_money(request: pytest.FixtureRequest) -> Iterator[None]:
    """Every statement every test runs is watched: money is written by the ledger alone."""
    if request.node.get_closest_marker("rogue_writes"):
        yield
        return
    with watching() as watcher:
        yield
    assert watcher.violations == [], "money written outside voucher_service.ledger"


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


@pytest.fixture(scope="session")
def app() -> FastAPI:
    """One application for the run: FastAPI builds each route's dependencies on the app's
    first request (about 0.4 s for the whole API), which a new app per test paid again.
    Tests may change its sessions, clock and dependency overrides: ``client`` resets them."""
    return create_app()


@pytest.fixture
def client(app: FastAPI, session: Session) -> Iterator[KeyedClient]:
    @contextmanager
    def request_session() -> Iterator[Session]:
        # Same contract as db.session.transaction: commit on success, roll back on error.
        # Here "commit" releases a savepoint inside the test's outer transaction.
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise

    app.state.sessions = app.state.auth_sessions = request_session
    app.state.clock = lambda: NOW
    try:
        with KeyedClient(app, session) as test_client:
            yield test_client
    finally:
        app.dependency_overrides.clear()


@pytest.fixture
def scratch_database(tmp_path: Path) -> Iterator[str]:
    """A database of its own (committed writes, other processes): for CLI tests."""
    with fresh_database(tmp_path) as url:
        yield url


@pytest.fixture
def cli_database(scratch_database: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A scratch database that the command line (``voucher_service.cli.main``) works on."""
    monkeypatch.setenv("VOUCHER_DATABASE_URL", scratch_database)
    get_settings.cache_clear()
    get_engine.cache_clear()
    yield scratch_database
    get_engine().dispose()
    get_settings.cache_clear()
    get_engine.cache_clear()


# Scenes more than one folder builds on: thin wrappers over tests/factories.py.


@pytest.fixture
def scene(client: KeyedClient, session: Session) -> Scene:
    """The metering scene: a program, its 2026 pool, an enterprise with a redeemed voucher,
    and a provider."""
    return make_scene(client, session)


@pytest.fixture
def books(client: KeyedClient, session: Session) -> Books:
    """A year of books to aggregate (usage, a refund, a revoked voucher)."""
    return make_books(client, session)


@pytest.fixture
def people(session: Session) -> People:
    """An account of each kind, signing in with factories.PASSWORD."""
    return make_people(session)
