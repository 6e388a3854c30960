"""Usage records as files, for providers' and enterprises' accounting: CSV or XLSX."""

from __future__ import annotations

from typing import Any

from voucher_service.exports import MEDIA_TYPES, ExportFile, Format, Sheet, csv_bytes, xlsx_bytes
from voucher_service.labels_zh import in_chinese
from voucher_service.locale import messages
from voucher_service.money import fen_to_yuan
from voucher_service.usage.records import RecordView

CSV_COLUMNS = [
    ("record_id", "记录编号"),
    ("kind", "类型"),
    ("adjusts_record_id", "原记录编号"),
    ("service_date", "服务日期"),
    ("voucher_code", "算力券编号"),
    ("uscc", "统一社会信用代码"),
    ("resource_kind", "资源类别"),
    ("resource_model", "资源型号"),
    ("quantity", "数量"),
    ("unit", "单位"),
    ("unit_price_yuan", "单价(元)"),
    ("fee_yuan", "费用(元)"),
    ("subsidy_yuan", "补贴(元)"),
    ("enterprise_share_yuan", "企业自付(元)"),
    ("outcome", "结果"),
    ("reason", "原因"),
    ("rule_version", "规则版本"),
]


def headers(*, chinese: bool) -> list[str]:
    return [zh if chinese else en for en, zh in CSV_COLUMNS]


def record_rows(described: list[RecordView], *, chinese: bool) -> list[list[Any]]:
    """One row per record (with the record id it adjusts), amounts in yuan with two
    decimals; on request in Chinese, coded values too (kinds, outcomes, reasons)."""
    rows = []
    for view in described:
        row = view.row
        values = {
            **row._asdict(),
            "adjusts_record_id": view.original_record_id or "",
            "unit_price_yuan": fen_to_yuan(row.unit_price_fen),
            "fee_yuan": fen_to_yuan(row.fee_fen),
            "subsidy_yuan": fen_to_yuan(row.subsidy_fen),
            "enterprise_share_yuan": fen_to_yuan(row.enterprise_share_fen),
        }
        rows.append(
            [
                "" if values[en] is None else in_chinese(en, values[en]) if chinese else values[en]
                for en, _ in CSV_COLUMNS
            ]
        )
    return rows


def records_file(
    described: list[RecordView], *, fmt: Format, chinese: bool, stem: str
) -> ExportFile:
    """The records as a file named ``<stem>.<fmt>``: CSV, or an XLSX of one sheet."""
    rows = record_rows(described, chinese=chinese)
    if fmt == "xlsx":
        title = messages("zh-CN" if chinese else "en")["export.sheet.usage_records"]
        body = xlsx_bytes([Sheet(title, headers(chinese=chinese), rows)])
    else:
        body = csv_bytes(headers(chinese=chinese), rows)
    return ExportFile(f"{stem}.{fmt}", MEDIA_TYPES[fmt], body)
