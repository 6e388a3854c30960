"""verify re-derives the books from the postings; a hand-corrupted database fails it."""

from __future__ import annotations

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.orm import Session

from tests.databases import unprotect
from tests.factories import Scene, demo_keys, make_pool, make_program, make_voucher
from voucher_service.books import verify_ledger
from voucher_service.cli import main
from voucher_service.db.session import normalise_url, transaction
from voucher_service.db.tables.programs import Pool
from voucher_service.db.tables.vouchers import Voucher


def books(session: Session) -> tuple[Pool, Voucher]:
    program = make_program(session)
    pool = make_pool(session, program, total_fen=1_000_000_00)
    return pool, make_voucher(session, program=program)


def test_consistent_books_pass(session: Session) -> None:
    books(session)
    assert verify_ledger(session) == []


def test_pool_counter_out_of_step_with_postings_is_named(session: Session) -> None:
    pool, _ = books(session)
    session.execute(
        text("UPDATE pool SET available_fen = available_fen - 100 WHERE id = :id"), {"id": pool.id}
    )
    violations = verify_ledger(session)
    assert any(f"pool {pool.id}" in v and "ledger balance" in v for v in violations), violations
    assert any(f"pool {pool.id}" in v and "!= available" in v for v in violations), violations


def test_voucher_moved_without_a_posting_is_named(session: Session) -> None:
    _, voucher = books(session)
    # Keeps the row's own CHECK (face = balance + subsidised + released) but has no posting.
    session.execute(
        text(
            "UPDATE voucher SET balance_fen = balance_fen - 7,"
            " subsidised_fen = subsidised_fen + 7 WHERE id = :id"
        ),
        {"id": voucher.id},
    )
    violations = verify_ledger(session)
    assert any(voucher.code in v and "ledger balance" in v for v in violations), violations
    assert any(voucher.code in v and "net subsidies" in v for v in violations), violations
    assert any("cap counters" in v for v in violations), violations


def test_database_refuses_negative_balances_and_broken_conservation(session: Session) -> None:
    pool, voucher = books(session)
    for statement in (
        "UPDATE voucher SET balance_fen = -1,"
        " released_fen = released_fen + balance_fen + 1 WHERE id = :id",
        "UPDATE voucher SET balance_fen = balance_fen + 1 WHERE id = :id",
    ):
        with pytest.raises(IntegrityError), session.begin_nested():
            session.execute(text(statement), {"id": voucher.id})
    with pytest.raises(IntegrityError), session.begin_nested():
        session.execute(text("UPDATE pool SET available_fen = -1 WHERE id = :id"), {"id": pool.id})


def test_postings_are_append_only(session: Session) -> None:
    books(session)
    for statement in ("UPDATE ledger_posting SET amount_fen = 1", "DELETE FROM ledger_posting"):
        with pytest.raises(DBAPIError, match="append-only"), session.begin_nested():
            session.execute(text(statement))


def subsidy_posting(scene: Scene, session: Session, record_id: str) -> tuple[int, int]:
    """Post a record; the ids of its subsidy posting and of its stored usage record."""
    assert scene.post(record_id).status_code == 201
    return session.execute(  # type: ignore[return-value]
        text(
            "SELECT p.id, r.id FROM ledger_posting p JOIN usage_record r"
            " ON r.id = p.usage_record_id WHERE r.record_id = :record AND p.kind = 'subsidy'"
        ),
        {"record": record_id},
    ).one()


@pytest.mark.parametrize(
    "change",
    [
        "amount_fen = amount_fen + 1000",
        # to another provider's payable account: every voucher's counters still agree
        "to_account = 'payable:999999'",
        "voucher_id = NULL",
    ],
)
def test_an_altered_posting_is_named_by_its_id(scene: Scene, session: Session, change: str) -> None:
    posting_id, _ = subsidy_posting(scene, session, "p-1")
    other, _ = subsidy_posting(scene, session, "p-2")
    unprotect(session, "ledger_posting")
    session.execute(text(f"UPDATE ledger_posting SET {change} WHERE id = :id"), {"id": posting_id})
    violations = verify_ledger(session)
    named = [v for v in violations if v.startswith(f"ledger posting id {posting_id} (subsidy ")]
    assert len(named) == 1, violations
    assert "does not match what it records" in named[0]
    assert not any(f"ledger posting id {other} " in v for v in violations)


def test_a_removed_or_repeated_posting_is_named(scene: Scene, session: Session) -> None:
    removed, removed_record = subsidy_posting(scene, session, "p-1")
    repeated, repeated_record = subsidy_posting(scene, session, "p-2")
    unprotect(session, "ledger_posting")
    session.execute(text("DELETE FROM ledger_posting WHERE id = :id"), {"id": removed})
    columns = "kind, from_account, to_account, amount_fen, pool_id, voucher_id, usage_record_id"
    session.execute(
        text(
            f"INSERT INTO ledger_posting ({columns}, memo, created_at) SELECT {columns}, memo,"
            " created_at FROM ledger_posting WHERE id = :id"
        ),
        {"id": repeated},
    )
    copy = session.scalar(text("SELECT max(id) FROM ledger_posting"))
    violations = verify_ledger(session)
    by_uscc = text("SELECT id FROM provider WHERE uscc = :u")
    provider = session.scalar(by_uscc, {"u": scene.provider})
    named = f"usage record id {removed_record} ('p-1' of provider {provider})"
    assert f"{named}: its subsidy has no posting" in violations
    assert (
        f"usage record id {repeated_record} ('p-2' of provider {provider}): posted 2 times "
        f"(ledger posting ids {repeated}, {copy})"
    ) in violations


def test_cli_demo_verify_and_corruption(
    cli_database: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["demo", "--today", "2026-06-15"]) == 0
    assert main(["demo", "--today", "2026-06-15"]) == 0
    assert "already loaded" in capsys.readouterr().out
    assert main(["verify"]) == 0
    assert "ledger consistent" in capsys.readouterr().out
    with transaction() as session:
        session.execute(text("UPDATE pool SET available_fen = available_fen - 1 WHERE year = 2025"))
    assert main(["verify"]) == 1
    err = capsys.readouterr().err
    assert "VIOLATION pool" in err and "2025" in err


def test_cli_expire_is_idempotent(cli_database: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["demo", "--today", "2026-06-15"]) == 0
    assert main(["expire", "--today", "2027-01-31", "--force"]) == 0
    # The demo's 2026 vouchers: four issued today (370,000.00 unspent), three approved early
    # in the year (64,375.00 + 118,375.00 + 34,218.75 left after their usage), measure 3's
    # (425,000.00 left of 1,000,000.00) and the Hongshan top-up's (20,000.00).
    assert "expired 9 voucher(s); 1031968.75 yuan" in capsys.readouterr().out
    assert main(["expire", "--today", "2027-02-01", "--force"]) == 0
    assert "expired 0 voucher(s)" in capsys.readouterr().out
    assert main(["verify"]) == 0


def test_normalise_url_uses_psycopg() -> None:
    assert normalise_url("postgresql://u@h/db").startswith("postgresql+psycopg://")
    assert normalise_url("sqlite:///x.db") == "sqlite:///x.db"
    create_engine("sqlite://").dispose()


def test_cli_settlement(cli_database: str, capsys: pytest.CaptureFixture[str], tmp_path) -> None:  # type: ignore[no-untyped-def]
    from openpyxl import load_workbook

    assert main(["demo", "--today", "2026-06-15"]) == 0
    keys = demo_keys(capsys.readouterr().out)
    admin, finance = ("--as", keys["ADMIN_KEY"]), ("--as", keys["FINANCE_KEY"])
    close = ["settle", "close", "--period", "2026-05", "--today", "2026-06-15", *admin]
    assert main(close) == 0
    first = capsys.readouterr().out
    assert "91420100MA4K00100E 2026-05: statement 1 closed, 0 records, 0.00 yuan" in first
    assert main(close) == 0
    assert "already closed" in capsys.readouterr().out
    # Two people: the admin closed, finance approves, the admin pays (docs/access.md).
    assert main(["settle", "approve", "--statement", "1", *finance]) == 0
    assert main(["settle", "pay", "--statement", "1", "--reference", "T-2026-06-1", *admin]) == 0
    assert "statement 1 (2026-05): paid" in capsys.readouterr().out
    out = tmp_path / "s.xlsx"
    assert (
        main(
            [
                "settle",
                "export",
                "--statement",
                "1",
                "--format",
                "xlsx",
                "--headers",
                "zh",
                "--out",
                str(out),
            ]
        )
        == 0
    )
    assert load_workbook(out).sheetnames == ["汇总", "明细"]
    assert main(["verify"]) == 0
