"""Disputes (异议): a provider contests how one of its usage records was priced or why it
was refused; the bureau's reviewer accepts or declines it.

A dispute never moves money. The correction an accepted dispute calls for goes through the
paths that already exist: the provider reposts the work under a new record id (a refused
record) or refunds part of the fee (an adjustment); the dispute records which one was agreed
(``correction``) and, once made, the record that made it (``correction_record_id``)."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import CheckConstraint, Column, ForeignKey, Index, String, text
from sqlmodel import Field, SQLModel

from voucher_service.db import base  # noqa: F401  (naming convention before any table)
from voucher_service.db.columns import one_of, status_column, timestamp
from voucher_service.db.types import BigInt


class DisputeStatus(StrEnum):
    OPEN = "open"  # waits in the bureau's queue
    ACCEPTED = "accepted"  # the provider was right: the agreed correction follows
    DECLINED = "declined"  # the record stands, with the reviewer's reason


class Correction(StrEnum):
    """What an accepted dispute lets the provider do, through the ordinary paths."""

    REPOST = "repost"  # post the work again under a new record id (a refused record)
    REFUND = "refund"  # an adjustment refunds part of the fee (a record priced too high)
    NONE = "none"  # nothing to correct in the books (an explanation was enough)


class UsageDispute(SQLModel, table=True):
    """One dispute of one usage record: at most one open per record (the database refuses a
    second); decided once, by a bureau reviewer, with a resolution in words."""

    __tablename__ = "usage_dispute"
    __table_args__ = (
        one_of("status", DisputeStatus),
        one_of("correction", Correction, name="correction_known"),
        CheckConstraint(
            "(status = 'open' AND decided_at IS NULL) OR (status <> 'open' AND decided_at IS NOT"
            " NULL AND resolution <> '')",
            name="decided_with_reason",
        ),
        Index(
            "uq_usage_dispute_open_record",
            "usage_record_id",
            unique=True,
            sqlite_where=text("status = 'open'"),
            postgresql_where=text("status = 'open'"),
        ),
        Index(None, "status", "raised_at"),
        Index(None, "provider_id", "raised_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    provider_id: int = Field(foreign_key="provider.id", nullable=False)
    usage_record_id: int = Field(
        sa_column=Column(BigInt, ForeignKey("usage_record.id"), nullable=False)
    )
    reason: str = Field(sa_column=Column(String(1000), nullable=False))
    status: str = status_column(DisputeStatus.OPEN)  # type: ignore[assignment]
    correction: str | None = Field(default=None, sa_column=Column(String(16), nullable=True))
    resolution: str = Field(default="", sa_column=Column(String(1000), nullable=False))
    correction_record_id: str | None = Field(
        default=None, sa_column=Column(String(128), nullable=True)
    )
    raised_by: str = Field(sa_column=Column(String(200), nullable=False))
    raised_at: datetime = timestamp()  # type: ignore[assignment]
    decided_by_id: int | None = Field(default=None, foreign_key="principal.id")
    decided_by: str | None = Field(default=None, sa_column=Column(String(200), nullable=True))
    decided_at: datetime | None = timestamp(nullable=True)  # type: ignore[assignment]
