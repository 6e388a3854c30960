"""Usage rolled up by provider, day, outcome, pool and service month: what /metrics, the
quality score and the bureau's aggregates read instead of scanning millions of usage records
(``monitoring/rollup.py`` keeps it)."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Column, Index, String, UniqueConstraint
from sqlmodel import Field, SQLModel

from voucher_service.db import base  # noqa: F401  (naming convention before any table)
from voucher_service.db.columns import money
from voucher_service.db.types import BigInt, UTCDateTime


class UsageRollup(SQLModel, table=True):
    """Usage records of one provider, created on one day (UTC), with one outcome, drawn on
    the vouchers of one pool (none: a record refused before a voucher was found), serviced
    in one month (its first day, in the program's timezone)."""

    __tablename__ = "usage_rollup"
    __table_args__ = (
        UniqueConstraint("provider_id", "day", "outcome", "pool_id", "service_month"),
        Index(None, "day"),
        Index(None, "pool_id", "service_month"),
    )

    id: int | None = Field(default=None, primary_key=True)
    provider_id: int = Field(foreign_key="provider.id", nullable=False)
    day: date
    outcome: str = Field(sa_column=Column(String(16), nullable=False))
    pool_id: int | None = Field(default=None, foreign_key="pool.id")
    service_month: date
    records: int = Field(sa_column=Column(BigInt, nullable=False))
    fee_fen: int = money()  # type: ignore[assignment]
    subsidy_fen: int = money()  # type: ignore[assignment]


class RollupState(SQLModel, table=True):
    """When the rollup was last brought up to date (one row, locked by its refresher)."""

    __tablename__ = "rollup_state"

    id: int = Field(primary_key=True)
    refreshed_at: datetime | None = Field(
        default=None, sa_column=Column(UTCDateTime, nullable=True)
    )
    built: bool = False  # the whole history rolled up once
