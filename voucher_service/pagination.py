"""One pagination shape for every list: ``{"items": [...], "next_cursor": "..."}``.

Keyset pagination on the id: stable under concurrent inserts, cheap at any depth. The cursor
is opaque to clients: pass ``next_cursor`` back as ``cursor`` until it is null.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date
from typing import Annotated, Any, Generic, TypeVar

from fastapi import Query
from pydantic import BaseModel, BeforeValidator, WithJsonSchema
from sqlalchemy import BigInteger, Select
from sqlalchemy.orm import Session

from voucher_service.config import get_settings
from voucher_service.fields import MAX_ID, MAX_ROW_ID, CursorError

T = TypeVar("T")
PAGE_SIZE_MAX = get_settings().page_size_max  # VOUCHER_PAGE_SIZE_MAX, read at start-up


class Page(BaseModel, Generic[T]):
    items: list[T]
    next_cursor: str | None = None


class PageParams(BaseModel):
    limit: int = 50
    after_id: int = 0


# A cursor is the last id of the page, in hexadecimal: every string the pattern allows is
# a cursor the service takes (an id from 0 to MAX_ID, 0x1fffffffffffff), so the published
# rule is the whole rule.
CURSOR_PATTERN = r"^([0-9a-f]{1,13}|1[0-9a-f]{13})$"
_CURSOR = re.compile(CURSOR_PATTERN)
assert int("1" + "f" * 13, 16) == MAX_ID


def encode_cursor(last_id: int) -> str:
    return format(last_id, "x")


def decode_cursor(cursor: str) -> int:
    """The id a cursor stands for; any other text (an id past the largest the database
    holds included) is refused, never sent to the database."""
    if not isinstance(cursor, str) or _CURSOR.fullmatch(cursor) is None:
        raise CursorError("cursor is not one this service issued: pass next_cursor back")
    return int(cursor, 16)


Cursor = Annotated[
    int,
    BeforeValidator(decode_cursor),
    WithJsonSchema(
        {
            "type": "string",
            "pattern": CURSOR_PATTERN,
            "description": "Opaque: the next_cursor of the previous page.",
        }
    ),
]


async def page_params(
    limit: Annotated[
        int, Query(ge=1, le=PAGE_SIZE_MAX, description=f"Items per page (1-{PAGE_SIZE_MAX}).")
    ] = 50,
    cursor: Annotated[
        Cursor | None, Query(description="Opaque: the next_cursor of the previous page.")
    ] = None,
) -> PageParams:
    return PageParams(limit=limit, after_id=cursor or 0)


def where_given(query: Select[Any], *conditions: tuple[Any, Any]) -> Select[Any]:
    """``column == value`` for each (column, value) whose value was given (not None): the
    optional equality filters every listing takes."""
    for column, value in conditions:
        if value is not None:
            query = query.where(column == value)
    return query


def where_days(
    query: Select[Any], column: Any, first: date | None, last: date | None
) -> Select[Any]:
    """``column`` from ``first`` to ``last``, both days included, each bound when given: the
    date range the listings and the audit sample take."""
    if first is not None:
        query = query.where(column >= first)
    if last is not None:
        query = query.where(column <= last)
    return query


def paginate(
    session: Session, query: Select[Any], id_column: Any, params: PageParams
) -> tuple[list[Any], str | None]:
    """Run ``query`` (selecting one entity) one page at a time, ordered by ``id_column``."""
    rows = list(session.scalars(_page_query(query, id_column, params)))
    return _cut(rows, params, lambda row: row.id)


def paginate_rows(
    session: Session,
    query: Select[Any],
    id_column: Any,
    params: PageParams,
    id_of: Callable[[Any], int],
) -> tuple[list[Any], str | None]:
    """The same for a query selecting several columns; ``id_of`` finds a row's id."""
    rows = list(session.execute(_page_query(query, id_column, params)))
    return _cut(rows, params, id_of)


def paginate_table(
    session: Session, query: Select[Any], id_column: Any, params: PageParams
) -> tuple[list[dict[str, Any]], str | None]:
    """Page a query over a table's columns; each row as a dict of its columns."""
    rows, cursor = paginate_rows(session, query, id_column, params, lambda row: row.id)
    return [dict(row._mapping) for row in rows], cursor


def _page_query(query: Select[Any], id_column: Any, params: PageParams) -> Select[Any]:
    # A cursor past a 32-bit id column's range names the end of its list: compared as the
    # column's largest id, never as a value the column's type cannot hold (PostgreSQL refuses
    # one in a prepared statement).
    largest = MAX_ID if isinstance(id_column.type, BigInteger) else MAX_ROW_ID
    after = min(params.after_id, largest)
    return query.where(id_column > after).order_by(id_column).limit(params.limit + 1)


def _cut(
    rows: list[Any], params: PageParams, id_of: Callable[[Any], int]
) -> tuple[list[Any], str | None]:
    more = len(rows) > params.limit
    rows = rows[: params.limit]
    return rows, encode_cursor(id_of(rows[-1])) if more and rows else None
