"""Usage rolled up by provider, day and outcome: what /metrics and the quality score read
instead of scanning millions of usage records (``monitoring/rollup.py`` keeps it)."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Column, Index, String, UniqueConstraint
from sqlmodel import Field, SQLModel

from voucher_service.db import base  # noqa: F401  (naming convention before any table)
from voucher_service.db.columns import money
from voucher_service.db.types import BigInt, UTCDateTime


class UsageRollup(SQLModel, table=True):
    """Usage records of one provider, created on one day (UTC), with one outcome."""

    __tablename__ = "usage_rollup"
    __table_args__ = (UniqueConstraint("provider_id", "day", "outcome"), Index(None, "day"))

    id: int | None = Field(default=None, primary_key=True)
    provider_id: int = Field(foreign_key="provider.id", nullable=False)
    day: date
    outcome: str = Field(sa_column=Column(String(16), nullable=False))
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
