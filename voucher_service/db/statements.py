"""Statements whose SQL differs between PostgreSQL and SQLite, and helpers for bulk ones."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from functools import cache
from typing import Any, TypeVar

from psycopg.rows import namedtuple_row
from sqlalchemy import Select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.dialects.postgresql import psycopg as postgresql_psycopg
from sqlalchemy.orm import Session

T = TypeVar("T")
CHUNK = 1000  # values per IN list: well inside SQLite's and PostgreSQL's parameter limits


def dialect_insert(session: Session, table: Any) -> Any:
    """The dialect's INSERT, which has ``on_conflict_do_nothing`` on both databases."""
    dialect = session.get_bind().dialect.name
    return (postgresql.insert if dialect == "postgresql" else sqlite.insert)(table)


def insert_if_absent(session: Session, table: Any, values: dict[str, Any]) -> None:
    """INSERT ... ON CONFLICT DO NOTHING: concurrent creators of the same row never fail."""
    session.execute(dialect_insert(session, table).values(**values).on_conflict_do_nothing())


def chunks(values: Sequence[T], size: int = CHUNK) -> Iterator[Sequence[T]]:
    """``values`` in slices of at most ``size``: one IN list each."""
    for start in range(0, len(values), size):
        yield values[start : start + size]


def postgres_connection(session: Session) -> Any | None:
    """The psycopg connection under the session's transaction on PostgreSQL (None on
    SQLite): the hot paths send their few fixed statements through it directly — prepared by
    psycopg after a few uses, with none of the ORM's per-statement work — inside the same
    transaction as everything else the session does."""
    connection = session.connection()
    if connection.dialect.name != "postgresql":
        return None
    return connection.connection.driver_connection


_PSYCOPG = postgresql_psycopg.dialect()  # type: ignore[no-untyped-call]


@cache
def _postgres_sql(statement: Select[Any]) -> str:
    """A fixed statement compiled once for psycopg (``%(name)s`` parameters)."""
    return str(statement.compile(dialect=_PSYCOPG))


def first_row(session: Session, statement: Select[Any], params: dict[str, Any]) -> Any | None:
    """The first row of a fixed, module-level SELECT (its columns by name), or None. On
    PostgreSQL the statement, compiled once, goes straight to psycopg (see
    ``postgres_connection``); elsewhere through the session. One definition of the query
    serves both: only columns whose values need no SQLAlchemy type processing belong in it
    (psycopg gives instants as aware datetimes, as the tables' type does)."""
    pg = postgres_connection(session)
    if pg is None:
        return session.execute(statement, params).first()
    with pg.cursor(row_factory=namedtuple_row) as cursor:
        cursor.execute(_postgres_sql(statement), params)
        return cursor.fetchone()
