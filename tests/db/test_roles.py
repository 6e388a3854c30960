"""The runtime role (db/roles.py) cannot erase its own evidence: as that role, disabling a
trigger, TRUNCATE, DROP, ALTER, a rewound audit chain head and a changed or deleted posting
are each refused, while the service (the command line and the API) works through it.

Roles are cluster-wide and the test server is shared by parallel runs: each run creates its
own two roles and database, named uniquely, and drops them at the end."""

from __future__ import annotations

import os
import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import psycopg
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from tests.databases import backend, fresh_database
from tests.deploy.test_backup_drill import load
from voucher_service.api import create_app
from voucher_service.cli import main
from voucher_service.config import get_settings
from voucher_service.db.migrate import migrate
from voucher_service.db.roles import APPEND_ONLY, RoleError
from voucher_service.db.session import get_engine, normalise_url

pytestmark = pytest.mark.skipif(backend() != "postgresql", reason="roles are PostgreSQL's")


@dataclass(frozen=True)
class Roles:
    owner_url: str
    runtime_url: str
    runtime: str


def _as(url: str, user: str) -> str:
    return make_url(url).set(username=user, password=None).render_as_string(hide_password=False)


@pytest.fixture(scope="module")
def roles() -> Iterator[Roles]:
    """A database owned by a fresh owner role (no superuser), migrated by it, with a fresh
    runtime role granted by ``migrate``."""
    server = normalise_url(os.environ["TEST_DATABASE_URL"])
    suffix = uuid.uuid4().hex[:10]
    owner, runtime, name = f"vs_owner_{suffix}", f"vs_app_{suffix}", f"voucher_roles_{suffix}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        for role in (owner, runtime):
            conn.execute(text(f"CREATE ROLE {role} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE"))
        conn.execute(text(f"CREATE DATABASE {name} OWNER {owner}"))
    database = make_url(server).set(database=name).render_as_string(hide_password=False)
    try:
        run = migrate(_as(database, owner), runtime_role=runtime)
        assert run.granted is not None
        assert sorted(run.granted.append_only) == sorted(APPEND_ONLY)
        yield Roles(_as(database, owner), _as(database, runtime), runtime)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
            for role in (runtime, owner):
                conn.execute(text(f"DROP ROLE IF EXISTS {role}"))
        admin.dispose()


@pytest.fixture(scope="module")
def served(roles: Roles, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Roles]:
    """The service run as the runtime role: the demo and a month of the program's life
    through the API (redemptions, a batch of usage records, a refund, a revocation, a
    statement closed, approved and paid: the backup drill's), then audit entries sealed, a
    checkpoint taken, vouchers expired and the books verified through the command line."""
    load(roles.runtime_url)
    saved = os.environ.get("VOUCHER_DATABASE_URL")
    os.environ["VOUCHER_DATABASE_URL"] = roles.runtime_url
    get_settings.cache_clear()
    get_engine.cache_clear()
    try:
        assert main(["audit", "seal"]) == 0
        key = tmp_path_factory.mktemp("keys") / "checkpoint.key"
        assert main(["audit", "keygen", "--out", str(key)]) == 0
        store = tmp_path_factory.mktemp("checkpoints")
        assert main(["audit", "checkpoint", "--out", str(store), "--key", str(key)]) == 0
        assert main(["expire", "--today", "2026-07-01"]) == 0
        assert main(["verify"]) == 0
        yield roles
    finally:
        get_engine().dispose()
        if saved is None:
            os.environ.pop("VOUCHER_DATABASE_URL", None)
        else:
            os.environ["VOUCHER_DATABASE_URL"] = saved
        get_settings.cache_clear()
        get_engine.cache_clear()


GENESIS = "0" * 64
REFUSED = {
    "disable a trigger": "ALTER TABLE audit_entry DISABLE TRIGGER USER",
    "disable every trigger": "ALTER TABLE ledger_posting DISABLE TRIGGER ALL",
    "drop a trigger": "DROP TRIGGER audit_entry_protect ON audit_entry",
    "replace a trigger function": (
        "CREATE OR REPLACE FUNCTION audit_entry_protect() RETURNS trigger AS $$ "
        "BEGIN RETURN NEW; END; $$ LANGUAGE plpgsql"
    ),
    "truncate the audit log": "TRUNCATE audit_entry",
    "truncate the ledger": "TRUNCATE ledger_posting CASCADE",
    "reset the chain head": f"UPDATE audit_chain_head SET seq = 0, hash = '{GENESIS}'",
    "delete the chain head": "DELETE FROM audit_chain_head",
    "delete a posting": "DELETE FROM ledger_posting WHERE id = 1",
    "update a posting": "UPDATE ledger_posting SET amount_fen = amount_fen + 1",
    "delete a usage record": "DELETE FROM usage_record",
    "delete an audit entry": "DELETE FROM audit_entry",
    "rewrite an audit entry": "UPDATE audit_entry SET actor = 'nobody'",
    "rewrite a sealed link": "UPDATE audit_entry SET hash = 'x' WHERE seq = 1",
    "alter a table": "ALTER TABLE ledger_posting ADD COLUMN note text",
    "drop a table": "DROP TABLE audit_entry",
    "create a table": "CREATE TABLE shadow (id int)",
    "change the migrations' revision": "UPDATE alembic_version SET version_num = '0001'",
}


@pytest.mark.parametrize("statement", REFUSED.values(), ids=REFUSED.keys())
def test_the_runtime_role_cannot_erase_evidence(served: Roles, statement: str) -> None:
    dsn = served.runtime_url.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(dsn) as connection:
        with pytest.raises(psycopg.Error) as refused:
            connection.execute(statement)
        connection.rollback()
    message = str(refused.value)
    assert re.search(
        r"permission denied|must be owner|only moves forward|cannot be changed", message
    ), message


def test_the_runtime_role_owns_nothing_and_is_no_superuser(served: Roles) -> None:
    dsn = served.owner_url.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(dsn) as connection:
        owned = connection.execute(
            "SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE n.nspname = 'public' AND pg_get_userbyid(c.relowner) = %s",
            (served.runtime,),
        ).fetchone()
        flags = connection.execute(
            "SELECT rolsuper, rolcreaterole, rolcreatedb, rolbypassrls FROM pg_roles "
            "WHERE rolname = %s",
            (served.runtime,),
        ).fetchone()
    assert owned == (0,) and flags == (False, False, False, False)


def test_the_api_serves_as_the_runtime_role(
    served: Roles, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("VOUCHER_DATABASE_URL", served.runtime_url)
    get_settings.cache_clear()
    get_engine.cache_clear()
    try:
        capsys.readouterr()
        assert main(["create-key", "--role", "bureau_admin", "--name", "roles test"]) == 0
        key = capsys.readouterr().out.split()[-1]
        with TestClient(create_app()) as client:
            assert client.get("/readyz").status_code == 200
            headers = {"Authorization": f"Bearer {key}"}
            programs = client.get("/v1/admin/programs", headers=headers)
            assert programs.status_code == 200, programs.text
            assert programs.json()["items"]
    finally:
        get_engine().dispose()
        get_settings.cache_clear()
        get_engine.cache_clear()


def test_migrate_refuses_to_grant_a_superuser(tmp_path: Path) -> None:
    server = normalise_url(os.environ["TEST_DATABASE_URL"])
    superuser = make_url(server).username or "postgres"
    with fresh_database(tmp_path) as url, pytest.raises(RoleError, match="superuser"):
        migrate(url, runtime_role=superuser)


def test_a_table_a_later_migration_adds_is_granted_by_the_next_migrate(served: Roles) -> None:
    """The grants are stated over the tables as they are: a table another branch's migration
    adds gets the runtime role's DML at the next `migrate`, without naming it anywhere."""
    owner = served.owner_url.replace("postgresql+psycopg://", "postgresql://")
    runtime = served.runtime_url.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(owner, autocommit=True) as connection:
        connection.execute("CREATE TABLE later_table (id serial PRIMARY KEY, note text)")
    try:
        run = migrate(served.owner_url, runtime_role=served.runtime)
        assert run.granted is not None and "later_table" in run.granted.read_write
        with psycopg.connect(runtime) as connection:
            connection.execute("INSERT INTO later_table (note) VALUES ('a')")
            connection.execute("UPDATE later_table SET note = 'b'")
            connection.execute("DELETE FROM later_table")
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                connection.execute("TRUNCATE later_table")
    finally:
        with psycopg.connect(owner, autocommit=True) as connection:
            connection.execute("DROP TABLE later_table")
