"""Statement exports: CSV and XLSX, amounts in yuan with two decimals, English or Chinese
headers. The XLSX has a summary sheet (per enterprise and voucher) and a detail sheet."""

from __future__ import annotations

import csv
import io
from decimal import Decimal
from typing import Any

from openpyxl import Workbook

from voucher_service.db.tables.providers import Provider
from voucher_service.db.tables.settlement import Statement
from voucher_service.money import fen_to_yuan
from voucher_service.settlement.service import StatementDetail

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


def statement_csv(statement: Statement, detail: StatementDetail, *, chinese: bool) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([zh if chinese else en for en, zh in DETAIL])
    for row in [*map(_yuan, detail.lines), _totals(statement)]:
        writer.writerow([row[en] for en, _ in DETAIL])
    return out.getvalue().encode("utf-8-sig")


def statement_xlsx(
    statement: Statement, provider: Provider, detail: StatementDetail, *, chinese: bool
) -> bytes:
    book = Workbook()
    summary = book.active
    assert summary is not None
    summary.title = "汇总" if chinese else "summary"
    summary.append([f"{provider.name} ({provider.uscc})", statement.period, statement.status])
    for sheet, columns, rows in (
        (summary, SUMMARY, detail.groups),
        (book.create_sheet("明细" if chinese else "lines"), DETAIL, detail.lines),
    ):
        sheet.append([zh if chinese else en for en, zh in columns])
        for row in [*map(_yuan, rows), _totals(statement)]:
            sheet.append([_cell(row[en]) for en, _ in columns])
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
