"""Events a provider hears of, and their enqueueing: each event is one body (its id, type,
time and data, frozen now) written as one delivery row per active endpoint of the provider, in
the transaction of the change. A rolled-back change sends nothing; a committed one is
delivered by the drain however long the receiver is down.

The event types (``EventType``) and their data are documented in docs/webhooks.md."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable, Mapping
from datetime import date, datetime
from enum import StrEnum
from typing import Any, Protocol

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from voucher_service.db.base import table
from voucher_service.db.tables.enterprises import Enterprise
from voucher_service.db.tables.providers import Provider
from voucher_service.db.tables.redemptions import Redemption
from voucher_service.db.tables.settlement import Statement
from voucher_service.db.tables.vouchers import Voucher
from voucher_service.db.tables.webhooks import (
    DeliveryStatus,
    EndpointStatus,
    WebhookDelivery,
    WebhookEndpoint,
)
from voucher_service.db.types import utcnow
from voucher_service.money import fen_to_yuan

DELIVERIES = table(WebhookDelivery)
REFUSED = "refused"  # domain.usage.Outcome.REFUSED


class EventType(StrEnum):
    REDEMPTION_CREATED = "redemption.created"
    REDEMPTION_ENDED = "redemption.ended"
    STATEMENT_CLOSED = "statement.closed"
    STATEMENT_APPROVED = "statement.approved"
    STATEMENT_PAID = "statement.paid"
    RECORD_REFUSED = "usage_record.refused"


def new_event_id() -> str:
    """A unique event id: receivers de-duplicate by it (a retry or a resend keeps it)."""
    return f"evt_{uuid.uuid4().hex}"


def enqueue(
    session: Session,
    provider_id: int,
    events: Iterable[tuple[EventType, Mapping[str, Any]]],
    *,
    now: datetime | None = None,
) -> int:
    """Write each event as a delivery to every active endpoint of the provider (none: one
    query, nothing written). Returns how many deliveries were written."""
    endpoints = list(
        session.scalars(
            select(WebhookEndpoint.id).where(
                WebhookEndpoint.provider_id == provider_id,
                WebhookEndpoint.status == EndpointStatus.ACTIVE,
            )
        )
    )
    if not endpoints:
        return 0
    now = now or utcnow()
    uscc = session.scalar(select(Provider.uscc).where(Provider.id == provider_id))
    rows = []
    for event_type, data in events:
        event_id = new_event_id()
        body = json.dumps(
            {
                "id": event_id,
                "type": event_type.value,
                "created_at": now.isoformat().replace("+00:00", "Z"),
                "provider_uscc": uscc,
                "data": dict(data),
            },
            ensure_ascii=False,
            separators=(",", ":"),
        )
        for endpoint_id in endpoints:
            rows.append(
                {
                    "endpoint_id": endpoint_id,
                    "event_id": event_id,
                    "event_type": event_type.value,
                    "body": body,
                    "status": DeliveryStatus.PENDING.value,
                    "attempts": 0,
                    "next_attempt_at": now,
                    "give_up_at": None,
                    "created_at": now,
                }
            )
    if rows:
        session.execute(insert(DELIVERIES), rows)
    return len(rows)


def redemption_changed(session: Session, redemption: Redemption, event: EventType) -> None:
    """A redemption was created (or made active again) or ended: tell its provider."""
    voucher_code, uscc = session.execute(
        select(Voucher.code, Enterprise.uscc)
        .join(Enterprise, Enterprise.id == Voucher.enterprise_id)
        .where(Voucher.id == redemption.voucher_id)
    ).one()
    data = {
        "redemption_id": redemption.id,
        "voucher_code": voucher_code,
        "uscc": uscc,
        "status": redemption.status,
        "ended_at": redemption.ended_at.isoformat() if redemption.ended_at else None,
    }
    enqueue(session, redemption.provider_id, [(event, data)])


def statement_changed(
    session: Session, statement: Statement, event: EventType, *, now: datetime
) -> None:
    """A statement was closed, approved or paid: tell its provider, with its figures."""
    data = {
        "statement_id": statement.id,
        "period": statement.period,
        "status": statement.status,
        "record_count": statement.record_count,
        "fee_yuan": fen_to_yuan(statement.fee_fen),
        "subsidy_yuan": fen_to_yuan(statement.subsidy_fen),
        "enterprise_share_yuan": fen_to_yuan(statement.enterprise_share_fen),
        "payment_reference": statement.payment_reference,
    }
    enqueue(session, statement.provider_id, [(event, data)], now=now)


class RefusedRecord(Protocol):
    """What an event tells of a refused usage record (``usage.rows.UsageRow`` has it)."""

    @property
    def record_id(self) -> str: ...
    @property
    def voucher_code(self) -> str: ...
    @property
    def uscc(self) -> str: ...
    @property
    def fee_fen(self) -> int: ...
    @property
    def outcome(self) -> str: ...
    @property
    def reason(self) -> str | None: ...
    @property
    def service_date(self) -> date: ...


def records_refused(
    session: Session, provider_id: int, records: Iterable[RefusedRecord], *, now: datetime
) -> None:
    """Of the usage records just stored, those the service refused (no subsidy, with the
    reason's code): one event each. Nothing is looked up unless one was refused."""
    events = [
        (
            EventType.RECORD_REFUSED,
            {
                "record_id": r.record_id,
                "voucher_code": r.voucher_code,
                "uscc": r.uscc,
                "fee_yuan": fen_to_yuan(r.fee_fen),
                "reason": r.reason,
                "service_date": r.service_date.isoformat(),
            },
        )
        for r in records
        if r.outcome == REFUSED
    ]
    if events:
        enqueue(session, provider_id, events, now=now)
