"""Only ``voucher_service.ledger`` writes money. The watcher of ``one_door`` runs around every
test of the suite (``tests/conftest.py``); these tests show that it sees what it must."""

from __future__ import annotations

import ast
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.orm import Session

from tests.factories import make_pool, make_program, make_voucher
from tests.ledger.one_door import watching, writes_money

REPOSITORY = Path(__file__).resolve().parents[2]
# Every folder of the repository with code that runs against the books: the service, its
# tooling (tools/), the provider client, the scripts and the migrations. Only tests/ is left
# out (tests tamper with the books on purpose, and the statement watcher sees what they run).
CODE = ("voucher_service", "tools", "clients", "scripts", "migrations")


@pytest.mark.parametrize(
    ("statement", "money"),
    [
        ("INSERT INTO ledger_posting (kind) VALUES (?)", True),
        ("INSERT INTO voucher (code, balance_fen) VALUES (?, ?)", True),
        ("INSERT INTO cap_usage (enrolment_id) VALUES (?)", True),
        ("UPDATE voucher SET balance_fen=(voucher.balance_fen - ?) WHERE voucher.id = ?", True),
        ("UPDATE pool SET available_fen=(pool.available_fen + %(x)s) WHERE pool.id = 1", True),
        ("UPDATE cap_usage SET used_fen=(cap_usage.used_fen + ?) WHERE cap_usage.id = ?", True),
        ("UPDATE voucher SET status=?, closed_at=? WHERE voucher.id = ?", False),
        ("UPDATE provider SET status=? WHERE provider.id = ?", False),
        ("UPDATE project_grant SET paid_fen=(project_grant.paid_fen + ?) WHERE id = ?", True),
        ("UPDATE project_grant SET reason=?, decided_at=? WHERE project_grant.id = ?", False),
        ("INSERT INTO usage_record (record_id) VALUES (?)", False),
        ("COPY ledger_posting (kind, amount_fen) FROM STDIN", True),
        ("COPY usage_record (id, record_id) FROM STDIN", False),
        ("SELECT balance_fen FROM voucher WHERE id = 1 FOR UPDATE", False),
        ("WITH r AS (INSERT INTO usage_record (x) VALUES (1) RETURNING id) SELECT 1", False),
        ("WITH r AS (SELECT 1), p AS (INSERT INTO ledger_posting (kind) SELECT 1) SELECT 1", True),
        (
            "WITH d AS (UPDATE voucher SET balance_fen = balance_fen - 1 WHERE id = 2) SELECT 1",
            True,
        ),
    ],
)
def test_what_counts_as_writing_money(statement: str, money: bool) -> None:
    assert writes_money(statement) is money


@pytest.mark.rogue_writes
def test_a_write_from_outside_the_ledger_is_caught(session: Session) -> None:
    voucher = make_voucher(session)
    # The same UPDATE the ledger makes, issued from a module of the service that is not
    # the ledger (as if usage/ moved a balance itself).
    rogue = {"__name__": "voucher_service.usage.rogue", "text": text, "session": session}
    exec(
        compile(
            "def move(voucher_id):\n"
            "    session.execute(text('UPDATE voucher SET balance_fen = balance_fen - 1,"
            " subsidised_fen = subsidised_fen + 1 WHERE id = :id'), {'id': voucher_id})\n",
            "rogue.py",
            "exec",
        ),
        rogue,
    )
    with watching() as watcher:
        rogue["move"](voucher.id)
    assert len(watcher.violations) == 1
    assert watcher.violations[0].startswith("voucher_service.usage.rogue: UPDATE voucher")


def test_the_ledger_moving_money_is_not_a_violation(session: Session) -> None:
    with watching() as watcher:
        program = make_program(session)
        make_pool(session, program)
        make_voucher(session, program=program, today=date(2026, 6, 1))
    assert watcher.violations == []


MONEY_ATTRIBUTES = {"available_fen", "balance_fen", "subsidised_fen", "released_fen", "used_fen"}
MONEY_TABLES = {"LedgerPosting", "CapUsage", "POSTINGS", "CAPS"}
# The exceptions, each by file and the name of the statement. The benchmark's floor is raw SQL
# on purpose: it measures the database doing the same writes as the API (a usage record, its
# posting, the voucher's balance and the cap counter) without the service, so it writes the
# tables itself, through psycopg, on a scratch database it drops afterwards
# (docs/performance.md). Routing these through the ledger would measure the ledger twice.
FLOOR = {
    ("tools/voucher_tools/bench.py", name)
    for name in (
        "RAW_POSTING",
        "RAW_VOUCHER",
        "RAW_CAP",
        "RAW_COPY_POSTINGS",
        "RAW_VOUCHERS_UNNEST",
        "RAW_CAPS_UNNEST",
    )
}


def named_strings(tree: ast.AST) -> dict[int, str]:
    """id(string constant) -> the name it is assigned to (``RAW_CAP = "UPDATE ..."``)."""
    return {
        id(node.value): node.targets[0].id
        for node in ast.walk(tree)
        if isinstance(node, ast.Assign)
        and len(node.targets) == 1
        and isinstance(node.targets[0], ast.Name)
        and isinstance(node.value, ast.Constant)
    }


def money_writes(relative: str, source: str) -> tuple[list[str], set[tuple[str, str]]]:
    """What a module's source writes of money (each as ``file:line what``), and which of
    the FLOOR exceptions it holds."""
    found, excused = [], set()
    tree = ast.parse(source)
    names = named_strings(tree)
    for node in ast.walk(tree):
        if isinstance(node, (ast.Assign, ast.AugAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for target in targets:
                if isinstance(target, ast.Attribute) and target.attr in MONEY_ATTRIBUTES:
                    found.append(f"{relative}:{node.lineno} assigns .{target.attr}")
        if isinstance(node, ast.Call):
            name = getattr(node.func, "id", getattr(node.func, "attr", ""))
            args = [getattr(a, "id", "") for a in node.args]
            if name == "LedgerPosting" or (
                name in ("insert", "update", "dialect_insert") and set(args) & MONEY_TABLES
            ):
                found.append(f"{relative}:{node.lineno} writes {name}({', '.join(args)})")
            if name == "values" and {k.arg for k in node.keywords} & MONEY_ATTRIBUTES:
                found.append(f"{relative}:{node.lineno} sets a money column")
            if name in ("Pool", "Voucher") and {k.arg for k in node.keywords} & MONEY_ATTRIBUTES:
                found.append(f"{relative}:{node.lineno} builds a {name} with its balance")
        # Hand-written SQL (the PostgreSQL hot paths run it through psycopg, unseen by
        # the statement watcher): no string outside the ledger may write money.
        sql = node.value if isinstance(node, ast.Constant) else None
        if isinstance(sql, str) and writes_money(sql):
            where = (relative, names.get(id(node), ""))
            if where in FLOOR:
                excused.add(where)
            else:
                found.append(f"{relative}:{node.lineno} has SQL that writes money")
    return found, excused


def test_no_module_outside_the_ledger_writes_money_in_its_source() -> None:
    """A walk of the repository's code for what the statement watcher can miss on untested
    paths or other connections: money attributes assigned, a pool or a voucher built with its
    balance (the ledger builds them), postings or cap counters built or inserted or updated,
    SQL strings that write them. The ledger alone may; the benchmark's
    floor is the one listed exception, and every entry of it must still be there."""
    found, excused = [], set()
    for folder in CODE:
        for path in sorted((REPOSITORY / folder).rglob("*.py")):
            relative = path.relative_to(REPOSITORY).as_posix()
            if relative.startswith("voucher_service/ledger/"):
                continue
            writes, floor = money_writes(relative, path.read_text(encoding="utf-8"))
            found += writes
            excused |= floor
    assert found == []
    assert excused == FLOOR, f"stale FLOOR exceptions: {sorted(FLOOR - excused)}"


def test_the_walk_sees_money_written_from_the_tooling() -> None:
    """A guard for the walk: a posting written by a tooling module outside the floor's
    named statements, or by a new statement of the benchmark, is found."""
    posting = "INSERT INTO ledger_posting (kind) VALUES ('subsidy')"
    found, _ = money_writes("tools/voucher_tools/new.py", f"SQL = {posting!r}\n")
    assert found == ["tools/voucher_tools/new.py:1 has SQL that writes money"]
    found, _ = money_writes("tools/voucher_tools/bench.py", f"RAW_EXTRA = {posting!r}\n")
    assert found == ["tools/voucher_tools/bench.py:1 has SQL that writes money"]
    found, excused = money_writes("tools/voucher_tools/bench.py", f"RAW_POSTING = {posting!r}\n")
    assert (found, excused) == ([], {("tools/voucher_tools/bench.py", "RAW_POSTING")})
