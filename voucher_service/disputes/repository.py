"""The SQL of disputes: one dispute with what it is shown with (the record's provider id and
figures, the provider's credit code and name), a page of them, and the open one of a record."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from voucher_service.db.tables.disputes import UsageDispute
from voucher_service.db.tables.providers import Provider
from voucher_service.db.tables.usage import UsageRecord
from voucher_service.pagination import PageParams, paginate_rows


@dataclass(frozen=True)
class DisputeView:
    """A dispute as both sides read it: the dispute, and the record it is about."""

    dispute: UsageDispute
    provider_uscc: str
    provider_name: str
    record_id: str
    outcome: str
    record_reason: str | None
    fee_fen: int
    subsidy_fen: int
    service_date: date
    created_at: datetime


def _query() -> Select[Any]:
    query: Select[Any] = (
        select(
            UsageDispute,
            Provider.uscc,
            Provider.name,
            UsageRecord.record_id,
            UsageRecord.outcome,
            UsageRecord.reason,
            UsageRecord.fee_fen,
            UsageRecord.subsidy_fen,
            UsageRecord.service_date,
            UsageRecord.created_at,
        )
        .join(Provider, Provider.id == UsageDispute.provider_id)
        .join(UsageRecord, UsageRecord.id == UsageDispute.usage_record_id)
    )
    return query


def _view(row: Any) -> DisputeView:
    return DisputeView(row[0], *row[1:])


def find(
    session: Session, dispute_id: int, *, provider_id: int | None = None
) -> DisputeView | None:
    """One dispute (of this provider's, when given), or None."""
    query = _query().where(UsageDispute.id == dispute_id)
    if provider_id is not None:
        query = query.where(UsageDispute.provider_id == provider_id)
    row = session.execute(query).first()
    return _view(row) if row is not None else None


def page(
    session: Session,
    params: PageParams,
    *,
    provider_id: int | None = None,
    status: str | None = None,
) -> tuple[list[DisputeView], str | None]:
    """A page of disputes, oldest first (the queue's order), of one provider or status."""
    query = _query()
    if provider_id is not None:
        query = query.where(UsageDispute.provider_id == provider_id)
    if status is not None:
        query = query.where(UsageDispute.status == status)
    rows, cursor = paginate_rows(session, query, UsageDispute.id, params, lambda row: row[0].id)
    return [_view(row) for row in rows], cursor


def open_dispute(session: Session, usage_record_id: int) -> UsageDispute | None:
    found: UsageDispute | None = session.scalar(
        select(UsageDispute).where(
            UsageDispute.usage_record_id == usage_record_id,
            UsageDispute.status == "open",
        )
    )
    return found
