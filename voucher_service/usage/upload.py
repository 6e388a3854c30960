"""Usage records from a spreadsheet (CSV or XLSX), for providers without an API integration.

A file is read into the API's record shape (``UsageRecordIn``'s fields, one row a record) and
goes through the batch path (``usage.batches.ingest_batch``): the same validation, the same
exactly-once record ids, the same outcomes. Uploading a file again replays every row.

The layout (docs/provider.md): a header row, then one record a row. Headers are the API's
field names or their Chinese names (the ones the records export uses where they exist), in
any order; unknown columns are refused, so a typo is never silently dropped. Values:

* amounts in yuan (``12.50``; a number cell of Excel is read back exactly as typed);
* times with a zone (``2026-06-01T09:00:00+08:00``) or without one, taken as Beijing time
  (Excel's date cells have none);
* resource kinds and units as the API's codes or their Chinese labels (``卡时``).

The file's type is told from its content, never its name: an XLSX is a zip with a workbook
part; anything else must be text, UTF-8 (with or without a byte-order mark) or GB18030 (what
Excel on a Chinese Windows writes). Size and row count are bounded.
"""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from voucher_service.domain.usage import UsageReport
from voucher_service.errors import ErrorCode, InvalidInput
from voucher_service.exports import Sheet, csv_bytes, xlsx_bytes
from voucher_service.labels_zh import RESOURCE_KIND, UNIT
from voucher_service.usage.batches import BatchResult, InvalidReport, ItemStatus, ingest_batch
from voucher_service.usage.schemas import MAX_BATCH, parse_record
from voucher_service.usage.service import PostingProvider

MAX_UPLOAD_BYTES = 4 << 20  # 10,000 rows of CSV are about 2 MB
MAX_UPLOAD_ROWS = MAX_BATCH
# An XLSX's parts unpacked: a zip that would inflate beyond this is refused unread.
MAX_UNPACKED_BYTES = 64 << 20

# (API field, Chinese header), in the template's order; the first six Chinese names are the
# records export's.
COLUMNS: tuple[tuple[str, str], ...] = (
    ("record_id", "记录编号"),
    ("voucher_code", "算力券编号"),
    ("redemption_id", "核销编号"),
    ("uscc", "统一社会信用代码"),
    ("resource_kind", "资源类别"),
    ("resource_model", "资源型号"),
    ("quantity", "数量"),
    ("unit", "单位"),
    ("unit_price_yuan", "单价(元)"),
    ("fee_yuan", "费用(元)"),
    ("service_start", "服务开始时间"),
    ("service_end", "服务结束时间"),
)
_HEADERS = {name: name for name, _ in COLUMNS} | {zh: name for name, zh in COLUMNS}
_HEADERS |= {"服务开始": "service_start", "服务结束": "service_end", "算力券编码": "voucher_code"}
_CODES = {
    "resource_kind": {zh: str(code) for code, zh in RESOURCE_KIND.items()},
    "unit": {zh: str(code) for code, zh in UNIT.items()},
}
EXAMPLE_ROW = (
    "job-2026-06-0001",
    "7KQ3-MZ8D-R2XW-HT4T",
    "",
    "91420106MA4K00005Y",
    "accelerator",
    "Ascend 910B",
    "8",
    "card_hour",
    "12.50",
    "100.00",
    "2026-06-01 09:00",
    "2026-06-01 10:00",
)


class UploadRefused(InvalidInput):
    """The file as a whole cannot be read: nothing of it is posted."""

    def __init__(self, message: str, **params: object) -> None:
        super().__init__(message, code=ErrorCode.INVALID_UPLOAD, **params)


@dataclass(frozen=True)
class ParsedFile:
    """The file's records, each one a report or the reason its row is invalid (with its row
    number in the file, the header being row 1)."""

    kind: str  # "csv" or "xlsx"
    entries: list[UsageReport | InvalidReport]
    row_numbers: list[int]  # each entry's row in the file (the header is row 1, or later)


def template(fmt: str, *, chinese: bool) -> bytes:
    """The template a provider fills in: the headers and one example row."""
    headers = [zh if chinese else en for en, zh in COLUMNS]
    if fmt == "xlsx":
        title = "计量记录" if chinese else "usage records"
        return xlsx_bytes([Sheet(title, headers, [list(EXAMPLE_ROW)])])
    return csv_bytes(headers, [list(EXAMPLE_ROW)])


def parse_upload(body: bytes, *, tz: ZoneInfo) -> ParsedFile:
    """Read an uploaded file into reports: UploadRefused when the file itself is wrong (too
    large, of another type, unknown headers, too many rows); a bad row is an InvalidReport
    and never stops the others."""
    if len(body) > MAX_UPLOAD_BYTES:
        raise UploadRefused(
            "the file is {size:,} bytes; at most {most:,} are taken: split it",
            size=len(body),
            most=MAX_UPLOAD_BYTES,
        )
    if not body.strip():
        raise UploadRefused("the file is empty")
    rows: Sequence[Sequence[Any]]
    if body.startswith(b"PK\x03\x04"):
        kind, rows = "xlsx", _xlsx_rows(body)
    elif body.startswith(b"\xd0\xcf\x11\xe0"):
        raise UploadRefused("this is an old Excel file (.xls): save it as .xlsx or .csv")
    else:
        kind, rows = "csv", _csv_rows(body)
    header, records = _trimmed(rows)
    fields = _fields(header)
    if not records:
        raise UploadRefused("the file has a header row but no records")
    if len(records) > MAX_UPLOAD_ROWS:
        raise UploadRefused(
            "the file has {count:,} records; at most {most:,} in one file",
            count=len(records),
            most=MAX_UPLOAD_ROWS,
        )
    return ParsedFile(
        kind,
        [_entry(fields, row, number, tz) for number, row in records],
        [number for number, _ in records],
    )


def _trimmed(rows: Iterable[Sequence[Any]]) -> tuple[list[Any], list[tuple[int, list[Any]]]]:
    """The header, and the records with their row numbers in the file (blank rows left
    out)."""
    kept = [
        (number, list(row))
        for number, row in enumerate(rows, start=1)
        if any(cell is not None and str(cell).strip() for cell in row)
    ]
    if not kept:
        raise UploadRefused("the file is empty")
    (_, header), *records = kept
    return header, records


def _fields(header: list[Any]) -> list[str | None]:
    fields: list[str | None] = []
    unknown = []
    for cell in header:
        name = _normalise_header(cell)
        if not name:
            fields.append(None)
            continue
        field = _HEADERS.get(name)
        if field is None:
            unknown.append(str(cell))
        fields.append(field)
    if unknown:
        raise UploadRefused(
            "unknown columns: {unknown} (the template's columns are {columns}, or their API names)",
            unknown=", ".join(unknown),
            columns=", ".join(zh for _, zh in COLUMNS),
        )
    missing = [zh for name, zh in COLUMNS if name not in fields and name != "redemption_id"]
    if "voucher_code" not in fields and "redemption_id" in fields:
        missing.remove("算力券编号")
    if missing:
        raise UploadRefused("missing columns: {missing}", missing=", ".join(missing))
    taken = [f for f in fields if f]
    if len(taken) != len(set(taken)):
        raise UploadRefused("a column appears twice")
    return fields


def _normalise_header(cell: Any) -> str:
    text = "" if cell is None else str(cell)
    return text.strip().replace("（", "(").replace("）", ")").replace(" ", "")


def _entry(
    fields: list[str | None], row: list[Any], number: int, tz: ZoneInfo
) -> UsageReport | InvalidReport:
    raw: dict[str, Any] = {}
    for field, cell in zip(fields, row, strict=False):
        if field is None:
            continue
        value = _value(field, cell, tz)
        if value is not None:
            raw[field] = value
    parsed = parse_record(raw)
    if isinstance(parsed, InvalidReport):
        return InvalidReport(parsed.record_id, f"row {number}: {parsed.message}", parsed.code)
    return parsed


def _value(field: str, cell: Any, tz: ZoneInfo) -> Any:
    """A cell as the API's JSON would carry it."""
    if cell is None:
        return None
    if isinstance(cell, datetime | date) and field.startswith("service_"):
        moment = cell if isinstance(cell, datetime) else datetime.combine(cell, time(0))
        return (moment if moment.tzinfo else moment.replace(tzinfo=tz)).isoformat()
    if isinstance(cell, bool):
        return str(cell)
    if isinstance(cell, int | float):
        # Excel stores numbers as doubles: the shortest repr is the number as typed.
        number = Decimal(repr(cell)) if isinstance(cell, float) else Decimal(cell)
        if field == "redemption_id":
            return int(number) if number == number.to_integral_value() else str(cell)
        text = format(number.normalize(), "f")
        if field.endswith("_yuan") and "." in text and len(text.split(".")[1]) == 1:
            text += "0"
        return text
    text = str(cell).strip()
    if not text:
        return None
    if field == "redemption_id":
        return int(text) if text.isdigit() and len(text) < 16 else text
    if field in _CODES:
        return _CODES[field].get(text, text)
    if field.startswith("service_"):
        return _instant(text, tz)
    return text


def _instant(text: str, tz: ZoneInfo) -> str:
    """A time with a zone as given; without one, Beijing time (the API refuses naive ones:
    a spreadsheet has no zone to give)."""
    try:
        moment = datetime.fromisoformat(text.replace("/", "-"))
    except ValueError:
        return text  # the record's validation says what is wrong with it
    return (moment if moment.tzinfo else moment.replace(tzinfo=tz)).isoformat()


def _csv_rows(body: bytes) -> list[list[str]]:
    if b"\x00" in body:
        raise UploadRefused("this is neither a CSV nor an XLSX file")
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = body.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:  # pragma: no cover - GB18030 decodes nearly any byte string
        raise UploadRefused("the CSV is neither UTF-8 nor GB18030 text")
    try:
        dialect = csv.Sniffer().sniff(text[:4096], delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    try:
        return list(csv.reader(io.StringIO(text, newline=""), dialect))
    except csv.Error as exc:
        raise UploadRefused("the CSV cannot be read: {problem}", problem=str(exc)) from None


def _xlsx_rows(body: bytes) -> list[tuple[Any, ...]]:
    from openpyxl import load_workbook  # only an upload needs it loaded

    try:
        with zipfile.ZipFile(io.BytesIO(body)) as archive:
            names = set(archive.namelist())
            unpacked = sum(info.file_size for info in archive.infolist())
    except zipfile.BadZipFile:
        raise UploadRefused("the file looks like an XLSX but is not a readable zip") from None
    if "[Content_Types].xml" not in names or "xl/workbook.xml" not in names:
        raise UploadRefused("this zip is not an XLSX workbook")
    if unpacked > MAX_UNPACKED_BYTES:
        raise UploadRefused("the workbook unpacks to too much data: save it as CSV")
    try:
        book = load_workbook(io.BytesIO(body), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a damaged workbook
        raise UploadRefused(
            "the workbook cannot be read ({problem})", problem=type(exc).__name__
        ) from None
    try:
        sheet = book.worksheets[0]
        rows = []
        for row in sheet.iter_rows(values_only=True):
            rows.append(row)
            if len(rows) > MAX_UPLOAD_ROWS + 1000:  # blank rows at most; stop reading
                break
        return rows
    finally:
        book.close()


def ingest_file(
    session: Session,
    provider: PostingProvider,
    body: bytes,
    *,
    now: datetime,
    tz: ZoneInfo,
    grace_days: int,
) -> Uploaded:
    """Post a spreadsheet's records as one batch (``ingest_batch``): each row its own
    outcome, as the batch endpoint gives them; a file read twice is replayed row by row."""
    parsed = parse_upload(body, tz=tz)
    result = ingest_batch(session, provider, parsed.entries, now=now, tz=tz, grace_days=grace_days)
    return Uploaded(parsed, result)


@dataclass(frozen=True)
class Uploaded:
    """A file posted: what was read of it, and each record's outcome (in the same order)."""

    file: ParsedFile
    result: BatchResult

    @property
    def unchanged(self) -> bool:
        """Whether the file changed nothing: every readable row was posted before."""
        return self.result.count(ItemStatus.CREATED) == 0 and self.result.count(
            ItemStatus.REPLAYED
        ) == len([e for e in self.file.entries if not isinstance(e, InvalidReport)])
