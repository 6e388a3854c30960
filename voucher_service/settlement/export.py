"""Statement exports: CSV and XLSX, amounts in yuan with two decimals, in English or in
Chinese (headers and coded values). The XLSX has a summary sheet (per enterprise and
voucher) and a detail sheet."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Literal

from openpyxl import Workbook

from voucher_service.db.tables.settlement import Statement
from voucher_service.labels_zh import in_chinese
from voucher_service.money import fen_to_yuan
from voucher_service.routing import XLSX
from voucher_service.settlement.service import StatementDetail

Format = Literal["csv", "xlsx"]


@dataclass(frozen=True)
class ExportFile:
    name: str
    media_type: str
    body: bytes


def statement_file(
    statement: Statement, detail: StatementDetail, *, fmt: Format, chinese: bool
) -> ExportFile:
    """The statement as a file to hand over: CSV, or XLSX with a summary sheet."""
    name = f"statement-{detail.provider.uscc}-{statement.period}.{fmt}"
    if fmt == "xlsx":
        return ExportFile(name, XLSX, statement_xlsx(statement, detail, chinese=chinese))
    return ExportFile(
        name, "text/csv; charset=utf-8", statement_csv(statement, detail, chinese=chinese)
    )


DETAIL = [
    ("uscc", "统一社会信用代码"),
    ("name", "企业名称"),
    ("voucher_code", "算力券编号"),
    ("record_id", "记录编号"),
    ("kind", "类型"),
    ("service_date", "服务日期"),
    ("late", "迟报"),
    ("fee_yuan", "费用(元)"),
    ("subsidy_yuan", "补贴(元)"),
    ("enterprise_share_yuan", "企业自付(元)"),
]
SUMMARY = [
    ("uscc", "统一社会信用代码"),
    ("name", "企业名称"),
    ("voucher_code", "算力券编号"),
    ("records", "记录数"),
    ("fee_yuan", "费用(元)"),
    ("subsidy_yuan", "补贴(元)"),
    ("enterprise_share_yuan", "企业自付(元)"),
]


def _yuan(row: dict[str, Any]) -> dict[str, Any]:
    return {
        **row,
        "fee_yuan": fen_to_yuan(row["fee_fen"]),
        "subsidy_yuan": fen_to_yuan(row["subsidy_fen"]),
        "enterprise_share_yuan": fen_to_yuan(row["enterprise_share_fen"]),
    }


def _totals(statement: Statement) -> dict[str, Any]:
    return _yuan(
        {
            "uscc": "TOTAL 合计",
            "name": "",
            "voucher_code": "",
            "record_id": "",
            "kind": "",
            "service_date": "",
            "late": "",
            "records": statement.record_count,
            "fee_fen": statement.fee_fen,
            "subsidy_fen": statement.subsidy_fen,
            "enterprise_share_fen": statement.enterprise_share_fen,
        }
    )


def _values(row: dict[str, Any], columns: list[tuple[str, str]], *, chinese: bool) -> list[Any]:
    """The row's values in the columns' order; coded values by their Chinese names in a
    Chinese export."""
    return [in_chinese(en, row[en]) if chinese else row[en] for en, _ in columns]


def statement_csv(statement: Statement, detail: StatementDetail, *, chinese: bool) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([zh if chinese else en for en, zh in DETAIL])
    for row in [*map(_yuan, detail.lines), _totals(statement)]:
        writer.writerow(_values(row, DETAIL, chinese=chinese))
    return out.getvalue().encode("utf-8-sig")


def statement_xlsx(statement: Statement, detail: StatementDetail, *, chinese: bool) -> bytes:
    provider = detail.provider
    book = Workbook()
    summary = book.active
    assert summary is not None
    summary.title = "汇总" if chinese else "summary"
    status = in_chinese("status", statement.status) if chinese else statement.status
    summary.append([f"{provider.name} ({provider.uscc})", statement.period, status])
    for sheet, columns, rows in (
        (summary, SUMMARY, detail.groups),
        (book.create_sheet("明细" if chinese else "lines"), DETAIL, detail.lines),
    ):
        sheet.append([zh if chinese else en for en, zh in columns])
        for row in [*map(_yuan, rows), _totals(statement)]:
            sheet.append([_cell(value) for value in _values(row, columns, chinese=chinese)])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _cell(value: Any) -> Any:
    """Yuan strings become exact decimals in the sheet (never floats)."""
    if (
        isinstance(value, str)
        and value.replace("-", "", 1).replace(".", "", 1).isdigit()
        and "." in value
    ):
        return Decimal(value)
    return value
