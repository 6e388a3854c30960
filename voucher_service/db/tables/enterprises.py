"""Enterprises (SMEs) and their enrolment in programs."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import CheckConstraint, Column, String, UniqueConstraint
from sqlmodel import Field, SQLModel

from voucher_service.db import base  # noqa: F401  (naming convention before any table)
from voucher_service.db.columns import timestamp


class Enterprise(SQLModel, table=True):
    """An SME, identified by its Unified Social Credit Code."""

    __tablename__ = "enterprise"
    __table_args__ = (UniqueConstraint("uscc"),)

    id: int | None = Field(default=None, primary_key=True)
    uscc: str = Field(sa_column=Column(String(18), nullable=False))
    name: str = Field(sa_column=Column(String(200), nullable=False))
    district_code: str = Field(sa_column=Column(String(6), nullable=False))
    created_at: datetime = timestamp()  # type: ignore[assignment]


class Enrolment(SQLModel, table=True):
    """An enterprise in a program: fixes its subsidy window at its first voucher."""

    __tablename__ = "enrolment"
    __table_args__ = (
        UniqueConstraint("enterprise_id", "program_id"),
        CheckConstraint("window_end > window_start", name="window_order"),
    )

    id: int | None = Field(default=None, primary_key=True)
    enterprise_id: int = Field(foreign_key="enterprise.id", nullable=False)
    program_id: int = Field(foreign_key="program.id", nullable=False)
    window_start: date
    window_end: date  # exclusive
    created_at: datetime = timestamp()  # type: ignore[assignment]
