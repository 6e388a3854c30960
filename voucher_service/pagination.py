"""One pagination shape for every list: ``{"items": [...], "next_cursor": "..."}``.

Keyset pagination on the id: stable under concurrent inserts, cheap at any depth. The cursor
is opaque to clients: pass ``next_cursor`` back as ``cursor`` until it is null.

Numbered pages for people (issue 23): a list that takes ``sort`` (a column name from the
list's own whitelist, ``-`` first for descending) or ``page`` (1, 2, ...) is read by offset,
ordered by that column and then the id (a stable order), and answers ``total`` (rows the
filters select) and ``page`` as well, with no cursor: the console's "第 2 / 7 页 · 共 130 条".
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Annotated, Any, Generic, TypeVar

from fastapi import Query
from pydantic import BaseModel, BeforeValidator, Field, WithJsonSchema
from sqlalchemy import BigInteger, Select, func, or_, select
from sqlalchemy.orm import Session

from voucher_service.config import get_settings
from voucher_service.errors import ErrorCode, InvalidInput
from voucher_service.fields import MAX_ID, MAX_ROW_ID, CursorError, SortError

T = TypeVar("T")
U = TypeVar("U")
PAGE_SIZE_MAX = get_settings().page_size_max  # VOUCHER_PAGE_SIZE_MAX, read at start-up
MAX_PAGE = 100_000


class Page(BaseModel, Generic[T]):
    items: list[T]
    next_cursor: str | None = None
    total: int | None = Field(
        default=None, description="Numbered pages (sort or page given): rows selected."
    )
    page: int | None = Field(default=None, description="Numbered pages: this page's number.")

    @classmethod
    def of(cls, found: Slice[Any], item: Callable[[Any], T]) -> Page[T]:
        """The reply for one slice of a list, each row shaped by ``item``."""
        return cls(
            items=[item(row) for row in found.items],
            next_cursor=found.next_cursor,
            total=found.total,
            page=found.page,
        )


class PageParams(BaseModel):
    limit: int = 50
    after_id: int = 0
    page: int | None = None  # numbered pages: offset (page - 1) * limit, with a total
    sort: str | None = None  # a name of the list's whitelist, "-" first for descending

    @property
    def numbered(self) -> bool:
        return self.page is not None or self.sort is not None


@dataclass(frozen=True)
class Slice(Generic[T]):
    """One page of a list: its rows, the cursor to the next (keyset pages), or the total and
    the page's number (numbered pages). Unpacks as ``(items, next_cursor)``, the shape the
    lists answered before pages were numbered."""

    items: list[T]
    next_cursor: str | None = None
    total: int | None = None
    page: int | None = None
    limit: int = 50

    @property
    def pages(self) -> int | None:
        """How many pages the total makes (at least 1), for numbered pages."""
        if self.total is None:
            return None
        return max(1, -(-self.total // max(1, self.limit)))

    def with_items(self, items: list[U]) -> Slice[U]:
        """The same page of other rows (each row described, in order)."""
        return Slice(items, self.next_cursor, self.total, self.page, self.limit)

    def map(self, item: Callable[[T], U]) -> Slice[U]:
        return Slice(
            [item(row) for row in self.items], self.next_cursor, self.total, self.page, self.limit
        )

    def __iter__(self) -> Iterator[Any]:
        yield self.items
        yield self.next_cursor


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
    page: Annotated[
        int | None,
        Query(ge=1, le=MAX_PAGE, description="Numbered pages: this page (with a total)."),
    ] = None,
) -> PageParams:
    return PageParams(limit=limit, after_id=cursor or 0, page=page)


def sort_pattern(names: Sequence[str]) -> str:
    """The ``sort`` values a list takes: each name, or it with ``-`` before (descending)."""
    return "^-?(" + "|".join(names) + ")$"


def sorted_pages(names: Sequence[str]) -> Callable[..., Any]:
    """``page_params`` with a ``sort`` among ``names`` (any other is a 422 ``invalid_sort``
    naming the allowed ones): the dependency of a list people sort."""
    allowed = re.compile(sort_pattern(names))

    def check(value: Any) -> Any:
        if not isinstance(value, str) or allowed.fullmatch(value) is None:
            raise SortError(f'sort must be one of {", ".join(names)} ("-" first: descending)')
        return value

    sort_type: Any = Annotated[
        str | None,
        BeforeValidator(check),
        WithJsonSchema({"type": "string", "pattern": allowed.pattern}),
        Query(
            description="Order by one of: " + ", ".join(names) + ' ("-" first: descending); '
            "numbered pages (with a total).",
        ),
    ]

    async def sorted_page_params(
        limit: int = 50, cursor: int | None = None, page: int | None = None, sort: Any = None
    ) -> PageParams:
        return PageParams(limit=limit, after_id=cursor or 0, page=page, sort=sort)

    # The annotations as objects (this module's are strings, which FastAPI would look up
    # among the module's names): page_params' own, and the sort this list takes.
    shown = inspect.signature(page_params, eval_str=True).parameters
    sort = inspect.Parameter(
        "sort", inspect.Parameter.POSITIONAL_OR_KEYWORD, default=None, annotation=sort_type
    )
    sorted_page_params.__signature__ = inspect.Signature(  # type: ignore[attr-defined]
        [*shown.values(), sort], return_annotation=PageParams
    )
    return sorted_page_params


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


def paginate_sorted(
    session: Session,
    query: Select[Any],
    id_column: Any,
    params: PageParams,
    sorts: Mapping[str, Any],
    *,
    default: Sequence[Any] = (),
) -> Slice[Any]:
    """One page of ``query`` (its rows as ``session.execute`` gives them), by keyset on
    ``id_column`` unless ``params`` asks for a sort (one of ``sorts``, by name) or a page
    number: then by offset, ordered by the sort's column (``default`` when none), ties by the
    id, with the total. A sort not in ``sorts`` is refused (422 ``invalid_sort``)."""
    if not params.numbered:
        rows, cursor = paginate_rows(session, query, id_column, params, _first_id)
        return Slice(rows, cursor, limit=params.limit)
    order: list[Any] = list(default)
    if params.sort is not None:
        name = params.sort.removeprefix("-")
        if name not in sorts:
            raise InvalidInput(
                'sort must be one of {sorts} ("-" first: descending)',
                code=ErrorCode.INVALID_SORT,
                sorts=", ".join(sorted(sorts)),
            )
        column = sorts[name]
        order = [column.desc() if params.sort.startswith("-") else column.asc()]
    # Ties by the id, the same way round as the sort: the order is total, so stable.
    ties = id_column.desc() if params.sort and params.sort.startswith("-") else id_column.asc()
    total = session.scalar(select(func.count()).select_from(query.order_by(None).subquery()))
    number = params.page or 1
    ordered = query.order_by(*order, ties).offset((number - 1) * params.limit)
    rows = list(session.execute(ordered.limit(params.limit)))
    return Slice(rows, None, total=int(total or 0), page=number, limit=params.limit)


def _first_id(row: Any) -> int:
    first = row[0]
    return int(first if isinstance(first, int) else first.id)


def where_search(
    query: Select[Any],
    text: str | None,
    *columns: Any,
    codes: Sequence[Any] = (),
    ids: Sequence[Any] = (),
) -> Select[Any]:
    """Rows where any of ``columns`` holds ``text``, ignoring case (a substring: a part of a
    name or a credit code), on SQLite and PostgreSQL alike; no filter without text. ``codes``
    are codes written in groups (``7KQ3-MZ8D-…``): matched with the hyphens and spaces left
    out of both, so a code is found however it is typed; ``ids`` (a statement's number, a
    record's id): equal to ``text`` when it is a number (``#12`` too). ``%``, ``_`` and
    ``\\`` in ``text`` match themselves."""
    found = search_condition(text, *columns, codes=codes, ids=ids)
    return query if found is None else query.where(found)


def search_condition(
    text: str | None, *columns: Any, codes: Sequence[Any] = (), ids: Sequence[Any] = ()
) -> Any:
    """The condition of ``where_search`` (None without text), to combine with others."""
    if not text or not text.strip():
        return None
    needle = text.strip().lower()
    found = [func.lower(c).like(_pattern(needle), escape="\\") for c in columns]
    compact = needle.replace("-", "").replace(" ", "")
    if compact:
        found += [
            func.lower(func.replace(c, "-", "")).like(_pattern(compact), escape="\\") for c in codes
        ]
    number = needle.removeprefix("#")
    if number.isascii() and number.isdigit() and int(number) <= MAX_ROW_ID:
        found += [c == int(number) for c in ids]
    return or_(*found)


def _pattern(needle: str) -> str:
    escaped = needle.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


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
