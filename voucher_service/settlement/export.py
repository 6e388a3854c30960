"""Statement exports: CSV and XLSX, amounts in yuan with two decimals, in English or in
Chinese (headers and coded values). The XLSX has a summary sheet (per enterprise and
voucher) and a detail sheet."""

from __future__ import annotations

from typing import Any

from voucher_service.db.tables.settlement import Statement
from voucher_service.exports import (
    CSV,
    XLSX,
    ExportFile,
    Format,
    Sheet,
    csv_bytes,
    xlsx_bytes,
)
from voucher_service.labels_zh import in_chinese
from voucher_service.locale import messages
from voucher_service.money import fen_to_yuan
from voucher_service.settlement.service import StatementDetail

__all__ = ["ExportFile", "Format", "statement_file"]


def statement_file(
    statement: Statement, detail: StatementDetail, *, fmt: Format, chinese: bool
) -> ExportFile:
    """The statement as a file to hand over: CSV, or XLSX with a summary sheet."""
    name = f"statement-{detail.provider.uscc}-{statement.period}.{fmt}"
    if fmt == "xlsx":
        return ExportFile(name, XLSX, statement_xlsx(statement, detail, chinese=chinese))
    return ExportFile(name, CSV, statement_csv(statement, detail, chinese=chinese))


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


def _text(key: str, *, chinese: bool) -> str:
    """A label of the file (the total row, a sheet's name) from the catalogs."""
    return messages("zh-CN" if chinese else "en")[key]


def _totals(statement: Statement, *, chinese: bool) -> dict[str, Any]:
    return _yuan(
        {
            "uscc": _text("export.total", chinese=chinese),
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


def _headers(columns: list[tuple[str, str]], *, chinese: bool) -> list[str]:
    return [zh if chinese else en for en, zh in columns]


def _table(
    rows: list[dict[str, Any]], statement: Statement, columns: list[tuple[str, str]], chinese: bool
) -> list[list[Any]]:
    """The rows in yuan, then the statement's total."""
    return [
        _values(row, columns, chinese=chinese)
        for row in [*map(_yuan, rows), _totals(statement, chinese=chinese)]
    ]


def statement_csv(statement: Statement, detail: StatementDetail, *, chinese: bool) -> bytes:
    return csv_bytes(
        _headers(DETAIL, chinese=chinese), _table(detail.lines, statement, DETAIL, chinese)
    )


def statement_xlsx(statement: Statement, detail: StatementDetail, *, chinese: bool) -> bytes:
    provider = detail.provider
    status = in_chinese("status", statement.status) if chinese else statement.status
    return xlsx_bytes(
        [
            Sheet(
                _text("export.sheet.summary", chinese=chinese),
                _headers(SUMMARY, chinese=chinese),
                _table(detail.groups, statement, SUMMARY, chinese),
                preamble=[[f"{provider.name} ({provider.uscc})", statement.period, status]],
            ),
            Sheet(
                _text("export.sheet.lines", chinese=chinese),
                _headers(DETAIL, chinese=chinese),
                _table(detail.lines, statement, DETAIL, chinese),
            ),
        ]
    )
