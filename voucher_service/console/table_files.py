"""A console table as a file: the rows a listing's filters select (every page of them, up to
``MOST_ROWS``), with the table's own columns, as CSV or as an XLSX workbook, in the page's
language. Amounts are exact yuan (a decimal number in the workbook, formatted ``#,##0.00``),
times are the program's wall clock, coded values are named as the page names them."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Literal

from starlette.responses import Response

from voucher_service.console.formatting import local_date, local_datetime
from voucher_service.console.i18n import Translator
from voucher_service.console.tables import Column
from voucher_service.exports import MEDIA_TYPES, ExportFile, Sheet, csv_bytes, xlsx_bytes
from voucher_service.pagination import PAGE_SIZE_MAX, PageParams, Slice, decode_cursor

FileFormat = Literal["csv", "xlsx"]
FORMATS: tuple[FileFormat, ...] = ("csv", "xlsx")
MOST_ROWS = 20_000  # a download is a report, not a dump: past this, narrow the filters

# One page of a listing's rows: a Slice (numbered pages, sorted) or (rows, next cursor).
Listing = Callable[[PageParams], Slice[dict[str, Any]] | tuple[list[dict[str, Any]], str | None]]


def every_row(listing: Listing, most: int = MOST_ROWS) -> Iterator[dict[str, Any]]:
    """The rows of every page of ``listing``, in order, at most ``most``."""
    params, given = PageParams(limit=PAGE_SIZE_MAX, after_id=0), 0
    while True:
        rows, cursor = listing(params)
        for row in rows:
            if given == most:
                return
            given += 1
            yield row
        if cursor is None:
            return
        params = PageParams(limit=PAGE_SIZE_MAX, after_id=decode_cursor(cursor))


def cell_value(column: Column, value: Any, t: Translator) -> Any:
    """A cell as a file holds it: exact yuan, local times, named codes."""
    if value is None:
        return None
    if column.kind == "money":
        return Decimal(value).scaleb(-2)
    if column.kind == "percent_bp":
        return Decimal(value).scaleb(-4)
    if column.kind == "datetime" and isinstance(value, datetime):
        return local_datetime(value)
    if column.kind == "date" and isinstance(value, date | datetime):
        return local_date(value)
    if column.kind == "status":
        return t(f"status.{value}")
    if column.kind == "label":
        return t(f"{column.prefix}{value}")
    return value


def table_file(
    columns: Sequence[Column],
    rows: Iterator[dict[str, Any]],
    t: Translator,
    *,
    fmt: FileFormat,
    name: str,
) -> Response:
    """The download: ``name.csv`` (UTF-8 with a byte-order mark, so spreadsheet programs read
    the Chinese) or ``name.xlsx``."""
    headers = [t(c.label) for c in columns]
    values = [[cell_value(c, row[c.key], t) for c in columns] for row in rows]
    if fmt == "xlsx":
        formats = ["0.00%" if c.kind == "percent_bp" else None for c in columns]
        sheet = t(f"export.sheet.{name}") if f"export.sheet.{name}" in t else name
        body = xlsx_bytes([Sheet(sheet, headers, values, formats=formats)])
    else:
        body = csv_bytes(headers, values)
    return ExportFile(f"{name}.{fmt}", MEDIA_TYPES[fmt], body).response()
