"""The backup and restore drill of docs/operations.md, run as the operator runs it.

A database is loaded through the service (the demo, then redemptions, metered usage, a refund,
a revocation and a paid settlement over the API), backed up and restored into a new database
with the documented commands — ``pg_dump -Fc`` and ``pg_restore`` on PostgreSQL, ``sqlite3
.backup`` on SQLite — and then: ``voucher-service verify`` finds the restored books clean, the
money adds up to the same totals as the source, and the restored database takes new usage
and still refuses edits to the ledger."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError

from tests.databases import backend, empty_postgres_database
from tests.factories import NOW, TODAY, usage_body
from tests.monitoring.tools import require
from voucher_service.api import create_app
from voucher_service.audit_log import CLI, set_actor
from voucher_service.db.session import create_db_engine, transaction
from voucher_service.demo import DemoResult, load_demo

CLOSE_OF_JUNE = datetime(2026, 7, 1, 2, 0, tzinfo=UTC)
SERVICE_START, SERVICE_END = (
    datetime(2026, 6, 15, 0, 0, tzinfo=UTC),
    datetime(2026, 6, 15, 1, 0, tzinfo=UTC),
)
POSTING_KINDS = {"fund", "issue", "subsidy", "reversal", "release", "settle", "reserve"}


@contextmanager
def api(url: str, clock: list[datetime]) -> Iterator[TestClient]:
    """The real app on the database at ``url``: each request commits, at ``clock[0]``."""
    engine = create_db_engine(url)

    app = create_app()
    app.state.sessions = app.state.auth_sessions = lambda: transaction(engine)
    app.state.clock = lambda: clock[0]
    try:
        with TestClient(app) as client:
            yield client
    finally:
        engine.dispose()


def usage(record_id: str, voucher: str, holder: str, fee: str) -> dict[str, Any]:
    """A card-hour on the morning of the test's day (June 15, 2026, in Wuhan)."""
    return usage_body(record_id, voucher, holder, fee, start=SERVICE_START, end=SERVICE_END)


def bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


def load(url: str) -> DemoResult:
    """The demo, then a month of the program's life through the API."""
    engine = create_db_engine(url)
    with transaction(engine) as session:
        set_actor(session, CLI)
        demo = load_demo(session, today=TODAY)
    engine.dispose()
    admin, provider = bearer(demo.keys["bureau_admin"]), bearer(demo.keys["provider"])
    it, finance = bearer(demo.keys["sysadmin"]), bearer(demo.keys["finance"])
    clock = [NOW]
    with api(url, clock) as http:
        holders = demo.enterprises[:3]
        for uscc, voucher in zip(holders, demo.vouchers, strict=False):
            made = http.post(
                "/v1/admin/keys",
                headers=it,
                json={"role": "enterprise", "uscc": uscc, "name": "drill"},
            )
            assert made.status_code == 201, made.text
            redeemed = http.post(
                f"/v1/enterprise/{uscc}/redemptions",
                headers=bearer(made.json()["key"]),
                json={"voucher_code": voucher, "provider_uscc": demo.provider},
            )
            assert redeemed.status_code == 201, redeemed.text
        records = [
            usage(f"drill-{i}", demo.vouchers[i % 3], holders[i % 3], f"{100 + 7 * i}.25")
            for i in range(60)
        ]
        batch = http.post(
            f"/v1/provider/{demo.provider}/usage-records/batch",
            headers=provider,
            json={"records": records},
        )
        assert batch.status_code == 200, batch.text
        assert batch.json()["created"] == len(records), batch.text
        refund = http.post(
            f"/v1/provider/{demo.provider}/adjustments",
            headers=provider,
            json={"record_id": "drill-refund", "adjusts_record_id": "drill-0", "refund_yuan": "50"},
        )
        assert refund.status_code == 201, refund.text
        revoked = http.post(
            f"/v1/admin/vouchers/{demo.vouchers[3]}/revoke", headers=admin, json={"reason": "drill"}
        )
        assert revoked.status_code == 200, revoked.text
        clock[0] = CLOSE_OF_JUNE
        closed = http.post(
            "/v1/admin/statements",
            headers=admin,
            json={"provider_uscc": demo.provider, "period": "2026-06"},
        )
        assert closed.status_code in (200, 201), closed.text
        [statement] = [s["id"] for s in closed.json()["statements"] if s["subsidy_yuan"] != "0.00"]
        # Two people: the admin closed, finance approves, the admin pays.
        approved = http.post(f"/v1/admin/statements/{statement}/approve", headers=finance)
        assert approved.status_code == 200, approved.text
        paid = http.post(
            f"/v1/admin/statements/{statement}/pay",
            headers=admin,
            json={"payment_reference": "DRILL-2026-07"},
        )
        assert paid.status_code == 200, paid.text
    return demo


def books(url: str) -> dict[str, Any]:
    """The money of a database, summed from its tables, and its schema revision."""
    engine = create_db_engine(url)
    try:
        with engine.connect() as db:

            def rows(sql: str) -> list[tuple[Any, ...]]:
                return [tuple(row) for row in db.execute(text(sql))]

            return {
                "revision": rows("SELECT version_num FROM alembic_version"),
                "pools": rows("SELECT year, total_fen, available_fen FROM pool ORDER BY id"),
                "voucher_balances_fen": rows("SELECT SUM(balance_fen) FROM voucher"),
                "postings_by_kind": rows(
                    "SELECT kind, SUM(amount_fen), COUNT(*) FROM ledger_posting"
                    " GROUP BY kind ORDER BY kind"
                ),
                "usage_records": rows("SELECT COUNT(*) FROM usage_record"),
                "audit_entries": rows("SELECT COUNT(*) FROM audit_entry"),
            }
    finally:
        engine.dispose()


@contextmanager
def backed_up_and_restored(url: str, tmp_path: Path) -> Iterator[str]:
    """Back ``url`` up and restore it into a new database with the commands of
    docs/operations.md; yield the new database's URL and remove it afterwards."""
    if backend() == "sqlite":
        copy = tmp_path / "restored.db"
        source = make_url(url).database
        assert source is not None
        sqlite3 = require("sqlite3")
        subprocess.run([sqlite3, source, f".backup '{copy}'"], check=True, timeout=60)
        yield f"sqlite:///{copy}"
        return
    pg_dump, pg_restore = require("pg_dump"), require("pg_restore")
    dump = tmp_path / "voucher.dump"
    subprocess.run([pg_dump, "-Fc", "-d", libpq(url), "-f", str(dump)], check=True, timeout=120)
    with empty_postgres_database(url) as restored:
        subprocess.run(
            [pg_restore, "--exit-on-error", "--single-transaction", "--no-owner"]
            + ["-d", libpq(restored), str(dump)],
            check=True,
            timeout=120,
        )
        yield restored


def libpq(url: str) -> str:
    """The URL as PostgreSQL's own tools take it (no SQLAlchemy driver name)."""
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def verify_cli(url: str) -> subprocess.CompletedProcess[str]:
    """``voucher-service verify`` as an operator runs it: a new process, the URL in the env."""
    cli = Path(sys.executable).parent / "voucher-service"
    return subprocess.run(
        [str(cli), "verify"],
        env={**os.environ, "VOUCHER_DATABASE_URL": url},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_backup_restores_into_a_clean_equal_database(scratch_database: str, tmp_path: Path) -> None:
    demo = load(scratch_database)
    source = books(scratch_database)
    assert {kind for kind, _, _ in source["postings_by_kind"]} == POSTING_KINDS
    assert source["usage_records"] == [(16 + 61,)]  # the demo's year so far, then the drill's

    with backed_up_and_restored(scratch_database, tmp_path) as restored:
        verified = verify_cli(restored)
        assert verified.returncode == 0, verified.stdout + verified.stderr
        assert "ledger consistent" in verified.stdout
        assert books(restored) == source

        # Keys, sequences and triggers came back too: new usage is taken, edits refused.
        with api(restored, [CLOSE_OF_JUNE]) as http:
            posted = http.post(
                f"/v1/provider/{demo.provider}/usage-records",
                headers=bearer(demo.keys["provider"]),
                json=usage("after-restore", demo.vouchers[0], demo.enterprises[0], "10.00"),
            )
            assert posted.status_code == 201, posted.text
        engine = create_db_engine(restored)
        with pytest.raises(DBAPIError, match="append-only"), engine.begin() as db:
            db.execute(text("UPDATE ledger_posting SET amount_fen = amount_fen + 1"))
        engine.dispose()
    # The drill changed the copy, never the source.
    assert books(scratch_database) == source
