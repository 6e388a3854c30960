"""Providers' webhook endpoints, the deliveries of events to them (an outbox of its own) and
each delivery's attempts (the delivery log)."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Column, Index, Integer, String, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from voucher_service.db import base  # noqa: F401  (naming convention before any table)
from voucher_service.db.columns import one_of, status_column, timestamp


class EndpointStatus(StrEnum):
    ACTIVE = "active"
    DELETED = "deleted"  # kept for its delivery log; nothing more is sent to it


class DeliveryStatus(StrEnum):
    PENDING = "pending"  # due at next_attempt_at (first try, a retry, or a resend)
    DELIVERED = "delivered"  # the receiver answered 2xx
    FAILED = "failed"  # retried until give_up_at without a 2xx (a resend starts it again)


class WebhookEndpoint(SQLModel, table=True):
    """A URL a provider registered to receive its events, with its signing secret. During a
    rotation the previous secret still signs (a second ``v1=``) until it expires."""

    __tablename__ = "webhook_endpoint"
    __table_args__ = (one_of("status", EndpointStatus), Index(None, "provider_id", "status"))

    id: int | None = Field(default=None, primary_key=True)
    provider_id: int = Field(foreign_key="provider.id", nullable=False)
    url: str = Field(sa_column=Column(String(500), nullable=False))
    description: str = Field(default="", sa_column=Column(String(200), nullable=False))
    secret: str = Field(sa_column=Column(String(100), nullable=False))
    previous_secret: str | None = Field(default=None, sa_column=Column(String(100)))
    previous_expires_at: datetime | None = timestamp(nullable=True)  # type: ignore[assignment]
    status: str = status_column(EndpointStatus.ACTIVE)  # type: ignore[assignment]
    created_at: datetime = timestamp()  # type: ignore[assignment]


class WebhookDelivery(SQLModel, table=True):
    """One event for one endpoint, written in the transaction of the change it tells of.
    The body is frozen then; its event id is the same for every endpoint and every attempt,
    so a receiver de-duplicates by it."""

    __tablename__ = "webhook_delivery"
    __table_args__ = (
        UniqueConstraint("endpoint_id", "event_id"),
        one_of("status", DeliveryStatus),
        Index(None, "status", "next_attempt_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    endpoint_id: int = Field(foreign_key="webhook_endpoint.id", nullable=False)
    event_id: str = Field(sa_column=Column(String(40), nullable=False))
    event_type: str = Field(sa_column=Column(String(40), nullable=False))
    body: str = Field(sa_column=Column(Text, nullable=False))
    status: str = status_column(DeliveryStatus.PENDING)  # type: ignore[assignment]
    attempts: int = Field(default=0, sa_column=Column(Integer, nullable=False))
    next_attempt_at: datetime = timestamp()  # type: ignore[assignment]
    # Set at the first attempt (a day after it, by default): an event waiting for a drain
    # that was down is still tried for a whole day.
    give_up_at: datetime | None = timestamp(nullable=True)  # type: ignore[assignment]
    delivered_at: datetime | None = timestamp(nullable=True)  # type: ignore[assignment]
    created_at: datetime = timestamp()  # type: ignore[assignment]


class WebhookAttempt(SQLModel, table=True):
    """One try of a delivery: when, how long it took, what the receiver answered (or why
    there was no answer)."""

    __tablename__ = "webhook_attempt"

    id: int | None = Field(default=None, primary_key=True)
    delivery_id: int = Field(foreign_key="webhook_delivery.id", nullable=False, index=True)
    attempted_at: datetime = timestamp()  # type: ignore[assignment]
    latency_ms: int = Field(sa_column=Column(Integer, nullable=False))
    response_status: int | None = Field(default=None, sa_column=Column(Integer))
    error: str = Field(default="", sa_column=Column(String(500), nullable=False))
