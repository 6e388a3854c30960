"""Redemptions: vouchers bound to providers."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from voucher_service.db import base  # noqa: F401  (naming convention before any table)
from voucher_service.db.columns import one_of, status_column, timestamp


class RedemptionStatus(StrEnum):
    ACTIVE = "active"  # the provider may draw on the voucher
    ENDED = "ended"


class Redemption(SQLModel, table=True):
    """A voucher bound to a provider (兑付): that provider may draw on it."""

    __tablename__ = "redemption"
    __table_args__ = (
        UniqueConstraint("voucher_id", "provider_id"),
        one_of("status", RedemptionStatus),
        Index(None, "provider_id", "status"),
    )

    id: int | None = Field(default=None, primary_key=True)
    voucher_id: int = Field(foreign_key="voucher.id", nullable=False)
    provider_id: int = Field(foreign_key="provider.id", nullable=False)
    status: str = status_column(RedemptionStatus.ACTIVE)  # type: ignore[assignment]
    created_at: datetime = timestamp()  # type: ignore[assignment]
    ended_at: datetime | None = timestamp(nullable=True)  # type: ignore[assignment]
