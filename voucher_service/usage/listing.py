"""Reading usage records back: filtered, paginated, and as CSV for providers."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from voucher_service.errors import ErrorCode, NotFound
from voucher_service.money import fen_to_yuan
from voucher_service.pagination import PageParams, paginate_table, where_given
from voucher_service.usage.service import RECORDS


@dataclass(frozen=True)
class RecordFilter:
    provider_id: int | None = None
    enterprise_id: int | None = None
    voucher_code: str | None = None
    outcome: str | None = None
    date_from: date | None = None
    date_to: date | None = None


def list_records(
    session: Session, params: PageParams, where: RecordFilter
) -> tuple[list[dict[str, Any]], str | None]:
    """Records matching ``where``, oldest first, one page at a time."""
    query = select(RECORDS)
    query = where_given(
        query,
        (RECORDS.c.provider_id, where.provider_id),
        (RECORDS.c.enterprise_id, where.enterprise_id),
        (RECORDS.c.voucher_code, where.voucher_code),
        (RECORDS.c.outcome, where.outcome),
    )
    if where.date_from is not None:
        query = query.where(RECORDS.c.service_date >= where.date_from)
    if where.date_to is not None:
        query = query.where(RECORDS.c.service_date <= where.date_to)
    return paginate_table(session, query, RECORDS.c.id, params)


def get_record(session: Session, provider_id: int, record_id: str) -> dict[str, Any]:
    row = session.execute(
        select(RECORDS).where(
            RECORDS.c.provider_id == provider_id, RECORDS.c.record_id == record_id
        )
    ).first()
    if row is None:
        raise NotFound(f"you have no usage record {record_id!r}", code=ErrorCode.RECORD_NOT_FOUND)
    return dict(row._mapping)


def original_record_ids(session: Session, rows: list[dict[str, Any]]) -> dict[int, str]:
    """The provider's record ids of the originals that adjustments point at."""
    ids = {row["original_id"] for row in rows if row["original_id"] is not None}
    if not ids:
        return {}
    return {
        id_: record_id
        for id_, record_id in session.execute(
            select(RECORDS.c.id, RECORDS.c.record_id).where(RECORDS.c.id.in_(ids))
        )
    }


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


def records_csv(rows: list[dict[str, Any]], originals: dict[int, str], *, chinese: bool) -> str:
    """CSV of records, amounts in yuan with two decimals; Chinese headers on request."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([zh if chinese else en for en, zh in CSV_COLUMNS])
    for row in rows:
        values = {
            **row,
            "adjusts_record_id": originals.get(row["original_id"], ""),
            "unit_price_yuan": fen_to_yuan(row["unit_price_fen"]),
            "fee_yuan": fen_to_yuan(row["fee_fen"]),
            "subsidy_yuan": fen_to_yuan(row["subsidy_fen"]),
            "enterprise_share_yuan": fen_to_yuan(row["enterprise_share_fen"]),
        }
        writer.writerow(["" if values[en] is None else values[en] for en, _ in CSV_COLUMNS])
    return out.getvalue()
