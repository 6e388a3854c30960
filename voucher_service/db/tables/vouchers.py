"""Vouchers."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import CheckConstraint, Column, Index, String, UniqueConstraint
from sqlmodel import Field, SQLModel

from voucher_service.db import base  # noqa: F401  (naming convention before any table)
from voucher_service.db.columns import money, one_of, status_column, timestamp


class VoucherStatus(StrEnum):
    ACTIVE = "active"  # may be drawn on
    REVOKED = "revoked"  # closed by the bureau; unspent balance back to the pool
    EXPIRED = "expired"  # closed after validity + grace; unspent balance back to the pool


class Voucher(SQLModel, table=True):
    """A face value reserved from a pool for one enterprise (算力服务券)."""

    __tablename__ = "voucher"
    __table_args__ = (
        UniqueConstraint("code"),
        CheckConstraint("face_value_fen > 0", name="face_positive"),
        CheckConstraint("balance_fen >= 0", name="balance_nonnegative"),
        CheckConstraint("subsidised_fen >= 0", name="subsidised_nonnegative"),
        CheckConstraint("released_fen >= 0", name="released_nonnegative"),
        CheckConstraint(
            "face_value_fen = balance_fen + subsidised_fen + released_fen", name="conservation"
        ),
        CheckConstraint("valid_to >= valid_from", name="valid_period"),
        one_of("status", VoucherStatus),
        Index(None, "enterprise_id", "program_id"),
        Index(None, "pool_id", "status"),
        Index(None, "status", "valid_to"),
    )

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(sa_column=Column(String(19), nullable=False))
    pool_id: int = Field(foreign_key="pool.id", nullable=False)
    program_id: int = Field(foreign_key="program.id", nullable=False)
    enterprise_id: int = Field(foreign_key="enterprise.id", nullable=False)
    enrolment_id: int = Field(foreign_key="enrolment.id", nullable=False)
    face_value_fen: int = money()  # type: ignore[assignment]
    balance_fen: int = money()  # type: ignore[assignment]
    subsidised_fen: int = money(default=0)  # type: ignore[assignment]
    released_fen: int = money(default=0)  # type: ignore[assignment]
    valid_from: date
    valid_to: date  # inclusive
    status: str = status_column(VoucherStatus.ACTIVE)  # type: ignore[assignment]
    issued_at: datetime = timestamp()  # type: ignore[assignment]
    closed_at: datetime | None = timestamp(nullable=True)  # type: ignore[assignment]
    close_reason: str | None = Field(default=None, sa_column=Column(String(500)))
