"""Reading usage records back: a page at a time, or one by its id, each with the record
id of the original it adjusts."""

from __future__ import annotations

from sqlalchemy.orm import Session

from voucher_service.pagination import PageParams
from voucher_service.usage import repository
from voucher_service.usage.repository import Record, RecordFilter


def list_records(
    session: Session, params: PageParams, where: RecordFilter
) -> tuple[list[tuple[Record, str | None]], str | None]:
    """A page of records, each with the record id it adjusts (for adjustments)."""
    rows, cursor = repository.list_records(session, params, where)
    return with_originals(session, rows), cursor


def get_record(session: Session, provider_id: int, record_id: str) -> tuple[Record, str | None]:
    [described] = with_originals(session, [repository.get_record(session, provider_id, record_id)])
    return described


def with_originals(session: Session, rows: list[Record]) -> list[tuple[Record, str | None]]:
    """Each record with the provider's id of the original it adjusts (None for usage)."""
    originals = repository.original_record_ids(session, rows)
    return [(row, originals.get(row["original_id"])) for row in rows]
