"""The append-only tables cannot be emptied, and the audit chain's head cannot be set back
(migrations 0001, 0002, 0004 and 0013): by TRUNCATE on PostgreSQL (whose row triggers do not
fire for it), by DELETE on both databases."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from tests.databases import backend
from tests.factories import Scene
from voucher_service.audit.service import seal

APPEND_ONLY = ("audit_entry", "ledger_posting", "usage_record")
on_postgres = pytest.mark.skipif(backend() != "postgresql", reason="SQLite has no TRUNCATE")


def refused(session: Session, statement: str, match: str) -> None:
    with pytest.raises(DBAPIError, match=match), session.begin_nested():
        session.execute(text(statement))


@pytest.fixture
def sealed_scene(scene: Scene, session: Session) -> Scene:
    """A record posted and the audit log sealed: every append-only table has rows."""
    assert scene.post("a-1").status_code == 201
    assert seal(session) > 0
    for table in APPEND_ONLY:
        assert session.scalar(text(f"SELECT count(*) FROM {table}")), table
    return scene


@on_postgres
@pytest.mark.parametrize("table", [*APPEND_ONLY, "audit_chain_head"])
def test_truncate_is_refused(sealed_scene: Scene, session: Session, table: str) -> None:
    # CASCADE: tables that reference it (a dispute references its usage record) would
    # otherwise refuse first; the table's own trigger refuses either way.
    refused(session, f"TRUNCATE {table} CASCADE", f"{table} is append-only: TRUNCATE is refused")


@on_postgres
def test_truncate_by_cascade_from_a_referenced_table_is_refused(
    sealed_scene: Scene, session: Session
) -> None:
    # usage_record and ledger_posting reference voucher: TRUNCATE ... CASCADE reaches them.
    refused(session, "TRUNCATE voucher CASCADE", "is append-only: TRUNCATE is refused")
    assert session.scalar(text("SELECT count(*) FROM ledger_posting"))


@pytest.mark.parametrize("table", APPEND_ONLY)
def test_deleting_every_row_is_refused(sealed_scene: Scene, session: Session, table: str) -> None:
    # On SQLite this is its TRUNCATE: the optimisation is not taken on a table with triggers.
    refused(session, f"DELETE FROM {table}", "append-only|cannot be changed or deleted")
    assert session.scalar(text(f"SELECT count(*) FROM {table}"))


def test_the_chain_head_only_moves_forward(sealed_scene: Scene, session: Session) -> None:
    head = session.execute(text("SELECT seq, hash FROM audit_chain_head")).one()
    for statement in (
        "UPDATE audit_chain_head SET seq = 0, hash = '" + "0" * 64 + "'",
        "UPDATE audit_chain_head SET seq = seq - 1",
        "UPDATE audit_chain_head SET hash = '" + "f" * 64 + "'",
        "DELETE FROM audit_chain_head",
    ):
        refused(session, statement, "the audit chain head only moves forward")
    assert session.execute(text("SELECT seq, hash FROM audit_chain_head")).one() == head
    # Sealing still moves it on.
    assert sealed_scene.post("a-2").status_code == 201
    assert seal(session) > 0
    assert session.scalar(text("SELECT seq FROM audit_chain_head")) > head.seq
