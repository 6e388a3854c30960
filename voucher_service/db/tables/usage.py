"""Usage records."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import CheckConstraint, Column, Index, String, UniqueConstraint
from sqlmodel import Field, SQLModel

from voucher_service.db import base  # noqa: F401  (naming convention before any table)
from voucher_service.db.columns import money, one_of, timestamp
from voucher_service.db.types import BigInt, UTCDateTime
from voucher_service.domain.usage import Outcome


class RecordKind(StrEnum):
    USAGE = "usage"  # metered compute and its fee, priced once
    ADJUSTMENT = "adjustment"  # a refund of part of an earlier record's fee
    TOP_UP = "topup"  # a top-up program's layer of a usage record's subsidy (no fee of its own)


class UsageRecord(SQLModel, table=True):
    """A provider's report of metered compute and its fee (计量记录), priced once and never
    changed: an adjustment (refund) is a new record pointing at its original, with negative
    fee and subsidy. Refused records are stored too, so a retry gets the same answer.

    A usage record priced through a stack of programs carries the base program's subsidy;
    each top-up program's part is a ``topup`` record pointing at it, drawn on that program's
    own voucher and cap, with no fee of its own (so fees are counted once) and a negative
    enterprise share (what the top-up takes off the enterprise's bill)."""

    __tablename__ = "usage_record"
    __table_args__ = (
        UniqueConstraint("provider_id", "record_id"),
        one_of("kind", RecordKind, name="kind_known"),
        one_of("outcome", Outcome, name="outcome_known"),
        CheckConstraint(
            "(kind = 'usage' AND fee_fen >= 0 AND subsidy_fen >= 0 AND subsidy_fen <= fee_fen)"
            " OR (kind = 'adjustment' AND fee_fen <= 0 AND subsidy_fen <= 0"
            " AND original_id IS NOT NULL)"
            " OR (kind = 'topup' AND fee_fen = 0 AND subsidy_fen >= 0 AND original_id IS NOT NULL"
            " AND stack_layer >= 1)",
            name="amounts_by_kind",
        ),
        CheckConstraint("enterprise_share_fen = fee_fen - subsidy_fen", name="shares_add_up"),
        Index(None, "provider_id", "service_date"),
        Index(None, "voucher_id", "service_date"),
        Index(None, "enterprise_id", "service_date"),
        Index(None, "original_id"),
        Index(None, "created_at"),
    )

    id: int | None = Field(default=None, sa_column=Column(BigInt, primary_key=True))
    provider_id: int = Field(foreign_key="provider.id", nullable=False)
    record_id: str = Field(sa_column=Column(String(128), nullable=False))
    body_hash: str = Field(sa_column=Column(String(64), nullable=False))
    kind: str = Field(sa_column=Column(String(16), nullable=False))
    original_id: int | None = Field(default=None, sa_column=Column(BigInt, nullable=True))
    voucher_id: int | None = Field(default=None, foreign_key="voucher.id")
    enterprise_id: int | None = Field(default=None, foreign_key="enterprise.id")
    enrolment_id: int | None = Field(default=None, foreign_key="enrolment.id")
    cap_period: int | None = None
    voucher_code: str = Field(sa_column=Column(String(19), nullable=False))
    uscc: str = Field(sa_column=Column(String(18), nullable=False))
    resource_kind: str = Field(sa_column=Column(String(20), nullable=False))
    resource_model: str = Field(sa_column=Column(String(100), nullable=False))
    quantity: str = Field(sa_column=Column(String(24), nullable=False))
    unit: str = Field(sa_column=Column(String(20), nullable=False))
    unit_price_fen: int = money()  # type: ignore[assignment]
    fee_fen: int = money()  # type: ignore[assignment]
    full_subsidy_fen: int = money()  # type: ignore[assignment]
    subsidy_fen: int = money()  # type: ignore[assignment]
    enterprise_share_fen: int = money()  # type: ignore[assignment]
    outcome: str = Field(sa_column=Column(String(16), nullable=False))
    reason: str | None = Field(default=None, sa_column=Column(String(40)))
    rule_version: int | None = None
    # A stacked record (a district top-up on a city program): the combined rate ceiling that
    # priced it, on the usage record and on each top-up layer; the layer's place (1, 2, ...).
    ceiling_bp: int | None = None
    stack_layer: int | None = None
    service_start: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))
    service_end: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))
    service_date: date
    attributes: str = Field(default="{}", sa_column=Column(String(4000), nullable=False))
    created_at: datetime = timestamp()  # type: ignore[assignment]
