"""Files handed to people: CSV (UTF-8 with a byte-order mark, so Excel on a Chinese Windows
reads it) or XLSX, with amounts in yuan as exact decimals, never floats.

Each capability decides its columns and rows (``usage/export.py``, ``settlement/export.py``);
this module only writes them."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Literal

from openpyxl import Workbook
from openpyxl.styles import Font
from starlette.responses import Response

from voucher_service.routing import XLSX as XLSX

Format = Literal["csv", "xlsx"]
CSV = "text/csv; charset=utf-8"
MEDIA_TYPES: dict[str, str] = {"csv": CSV, "xlsx": XLSX}


@dataclass(frozen=True)
class ExportFile:
    name: str
    media_type: str
    body: bytes

    @property
    def disposition(self) -> str:
        """The Content-Disposition header that makes a browser save it under its name."""
        return f'attachment; filename="{self.name}"'

    def response(self) -> Response:
        """The file as an HTTP response that a browser saves under its name."""
        return Response(
            self.body, media_type=self.media_type, headers={"Content-Disposition": self.disposition}
        )


@dataclass(frozen=True)
class Sheet:
    title: str
    headers: Sequence[str]
    rows: Sequence[Sequence[Any]]
    preamble: Sequence[Sequence[Any]] = ()  # lines above the headers (whose file it is)
    # a number format per column (None: the default, #,##0.00 for a decimal amount)
    formats: Sequence[str | None] = ()


def csv_bytes(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(headers)
    writer.writerows(rows)
    return out.getvalue().encode("utf-8-sig")


def xlsx_bytes(sheets: Sequence[Sheet]) -> bytes:
    """A workbook, one sheet each, headers in bold; yuan strings become exact decimals shown
    with two places (``#,##0.00``)."""
    book = Workbook()
    first = book.active
    assert first is not None
    book.remove(first)
    for spec in sheets:
        sheet = book.create_sheet(spec.title)
        for line in spec.preamble:
            sheet.append(list(line))
        sheet.append(list(spec.headers))
        header_row = len(spec.preamble) + 1
        for cell in sheet[header_row]:
            cell.font = Font(bold=True)
        for row in spec.rows:
            sheet.append([yuan_cell(value) for value in row])
        for index, column in enumerate(sheet.iter_cols(min_row=header_row + 1)):
            given = spec.formats[index] if index < len(spec.formats) else None
            for cell in column:
                if isinstance(cell.value, Decimal):
                    cell.number_format = given or "#,##0.00"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def yuan_cell(value: Any) -> Any:
    """A yuan string (``"-12.50"``) as an exact decimal for a spreadsheet; others unchanged."""
    if (
        isinstance(value, str)
        and "." in value
        and value.replace("-", "", 1).replace(".", "", 1).isdigit()
    ):
        return Decimal(value)
    return value
