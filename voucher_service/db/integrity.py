"""Telling a lost race from a bug when the database refuses a write.

A unique key that refuses a row another request has just written is a race the caller can
be told about (409: it already exists). Any other integrity error — a CHECK, a foreign key,
a NOT NULL — means the code let through what the schema forbids: a bug, to surface as one.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy.exc import IntegrityError

_POSTGRES_UNIQUE = "23505"  # SQLSTATE unique_violation
_SQLITE_UNIQUE = ("SQLITE_CONSTRAINT_UNIQUE", "SQLITE_CONSTRAINT_PRIMARYKEY")
_POSTGRES_KEY = re.compile(r"Key \((?P<columns>[^)]*)\)=")
_SQLITE_KEY = re.compile(r"UNIQUE constraint failed: (?P<columns>.*)")


@dataclass(frozen=True)
class UniqueViolation:
    """The table and the columns of the unique key a write ran into."""

    table: str
    columns: tuple[str, ...]

    def describe(self) -> str:
        return f"{self.table} with this {', '.join(self.columns) or 'key'}"


def unique_violation(exc: IntegrityError) -> UniqueViolation | None:
    """The unique key ``exc`` is about, or None when it is another integrity error."""
    orig = exc.orig
    if getattr(orig, "sqlstate", None) == _POSTGRES_UNIQUE:  # psycopg
        diag = getattr(orig, "diag", None)
        found = _POSTGRES_KEY.match(getattr(diag, "message_detail", None) or "")
        columns = tuple(c.strip() for c in found["columns"].split(",")) if found else ()
        return UniqueViolation(getattr(diag, "table_name", None) or "row", columns)
    if getattr(orig, "sqlite_errorname", None) in _SQLITE_UNIQUE:  # sqlite3
        found = _SQLITE_KEY.match(str(orig))
        names = [n.strip() for n in found["columns"].split(",")] if found else []
        table = names[0].partition(".")[0] if names else "row"
        return UniqueViolation(table, tuple(n.partition(".")[2] for n in names))
    return None
