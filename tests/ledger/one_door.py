"""The ledger is the only code that writes money: a watcher on every statement the suite runs.

A statement writes money if it inserts a posting, a pool, a voucher or a cap counter, or
updates a balance column (pool available, voucher balance / subsidised / released, cap
used). The module that asked for it is the innermost ``voucher_service`` (or tooling,
``voucher_tools``) frame on the stack outside ``voucher_service.db`` (the engine, session and
statement helpers everyone uses); it must be in ``voucher_service.ledger``. Statements issued
by tests themselves (no such frame: a test tampering with the books on purpose) are not the
service's, and are allowed.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Engine, event

MONEY_TABLES = ("ledger_posting", "pool", "voucher", "cap_usage")
MONEY_COLUMNS = ("available_fen", "balance_fen", "subsidised_fen", "released_fen", "used_fen")
# A grant's row is made by the grants service (nothing held yet); its approved and paid
# amounts move only with their postings, in the ledger.
COUNTED = {"project_grant": ("approved_fen", "paid_fen")}
LEDGER = "voucher_service.ledger"
# The repository's code whose statements are watched: the service, and its tooling (tools/).
CODE = ("voucher_service.", "voucher_tools.")


_INSERT_ANYWHERE = re.compile(r"\b(?:INSERT\s+INTO|COPY)\s+\"?(\w+)\"?", re.IGNORECASE)
_UPDATE_ANYWHERE = re.compile(
    r"\bUPDATE\s+\"?(\w+)\"?\s+SET\s+(.*?)(?=\s+WHERE\s|\s+RETURNING\s|\)|$)", re.I | re.S
)


def writes_money(statement: str) -> bool:
    """Whether a statement (or any part of one, such as a data-modifying CTE) writes a
    posting, a money-bearing row or a balance column."""
    if any(m.group(1) in MONEY_TABLES for m in _INSERT_ANYWHERE.finditer(statement)):
        return True
    for update in _UPDATE_ANYWHERE.finditer(statement):
        columns = MONEY_COLUMNS if update.group(1) in MONEY_TABLES else COUNTED.get(update.group(1))
        if columns:
            assigned = {
                part.split("=")[0].strip().strip('"') for part in update.group(2).split(",")
            }
            if assigned & set(columns):
                return True
    return False


def writer() -> str | None:
    """The innermost module of the service or its tooling on the stack, outside the
    database plumbing."""
    frame = sys._getframe(1)
    while frame is not None:
        module = frame.f_globals.get("__name__", "")
        if module.startswith(CODE) and not module.startswith("voucher_service.db"):
            return str(module)
        frame = frame.f_back  # type: ignore[assignment]
    return None


class Watcher:
    def __init__(self) -> None:
        self.violations: list[str] = []

    def __call__(self, _conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        if not writes_money(statement):
            return
        module = writer()
        if module is not None and not module.startswith(LEDGER):
            self.violations.append(f"{module}: {' '.join(statement.split())[:160]}")


@contextmanager
def watching() -> Iterator[Watcher]:
    """Watch every engine of this process while the block runs."""
    watcher = Watcher()
    event.listen(Engine, "before_cursor_execute", watcher)
    try:
        yield watcher
    finally:
        event.remove(Engine, "before_cursor_execute", watcher)
