"""Voucher applications, model selections (measure 3) and the blacklist."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import CheckConstraint, Column, Index, String, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from voucher_service.db import base  # noqa: F401  (naming convention before any table)
from voucher_service.db.columns import money, one_of, timestamp
from voucher_service.db.types import BigInt


class ApplicationStatus(StrEnum):
    SUBMITTED = "submitted"  # waiting for review
    RETURNED = "returned"  # back with the enterprise for changes
    APPROVED = "approved"  # a voucher was issued
    REJECTED = "rejected"
    IN_NOTICE = "in_notice"  # approved, standing in public notice; the pool holds the amount


class SizeClass(StrEnum):
    MICRO = "micro"
    SMALL = "small"
    MEDIUM = "medium"


# The size class reports give an enterprise issued a voucher without an application.
UNDECLARED = "undeclared"


class SelectionStatus(StrEnum):
    SUBMITTED = "submitted"  # waiting for the year's batch
    SELECTED = "selected"  # in the batch: may be issued that year's vouchers
    DECLINED = "declined"  # final for that year


class Sector(StrEnum):
    """The codes of the seven fields measure 3 names (电子信息制造、工业质检、教育、医疗、遥感、
    文创、金融), a program's default list. The list is program data (``等领域``: a program may name
    others), so a selection's ``sector`` is any code of its program's list, not only these."""

    MANUFACTURING = "manufacturing"
    INDUSTRIAL_INSPECTION = "industrial_inspection"
    EDUCATION = "education"
    HEALTHCARE = "healthcare"
    REMOTE_SENSING = "remote_sensing"
    CULTURE = "culture"
    FINANCE = "finance"


class BlacklistEntry(SQLModel, table=True):
    """An enterprise barred from applying (失信 or earlier abuse), with the reason."""

    __tablename__ = "blacklist_entry"
    __table_args__ = (UniqueConstraint("enterprise_id"),)

    id: int | None = Field(default=None, primary_key=True)
    enterprise_id: int = Field(foreign_key="enterprise.id", nullable=False)
    reason: str = Field(sa_column=Column(String(500), nullable=False))
    created_at: datetime = timestamp()  # type: ignore[assignment]


class Application(SQLModel, table=True):
    """An enterprise's application for a voucher (申领), its automatic checks and review."""

    __tablename__ = "application"
    __table_args__ = (
        one_of("status", ApplicationStatus),
        one_of("size_class", SizeClass, name="size_known"),
        CheckConstraint("requested_fen > 0", name="requested_positive"),
        CheckConstraint(
            "(status = 'approved') = (voucher_id IS NOT NULL)", name="approved_has_voucher"
        ),
        Index(None, "status", "program_id", "year"),
        Index(None, "enterprise_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    enterprise_id: int = Field(foreign_key="enterprise.id", nullable=False)
    program_id: int = Field(foreign_key="program.id", nullable=False)
    year: int
    requested_fen: int = money()  # type: ignore[assignment]
    approved_fen: int | None = Field(default=None, sa_column=Column(BigInt, nullable=True))
    planned_use: str = Field(sa_column=Column(String(2000), nullable=False))
    intended_providers: str = Field(sa_column=Column(String(2000), nullable=False))  # JSON
    size_class: str = Field(sa_column=Column(String(10), nullable=False))
    headcount: int
    revenue_fen: int = money()  # type: ignore[assignment]
    declares_no_related_party: bool
    eligible: bool
    checks: str = Field(sa_column=Column(Text, nullable=False))  # JSON: [{check, ok, message}]
    flags: str = Field(sa_column=Column(Text, nullable=False))  # JSON: [message]
    status: str = Field(sa_column=Column(String(16), nullable=False))
    decision_reason: str | None = Field(default=None, sa_column=Column(String(1000)))
    decided_by: str | None = Field(default=None, sa_column=Column(String(250)))
    decided_at: datetime | None = timestamp(nullable=True)  # type: ignore[assignment]
    voucher_id: int | None = Field(default=None, foreign_key="voucher.id")
    created_at: datetime = timestamp()  # type: ignore[assignment]
    updated_at: datetime = timestamp()  # type: ignore[assignment]
    # Public notice (公示, notices/): its first and last day, set on entering it.
    notice_start: date | None = None
    notice_end: date | None = None


class ModelSelection(SQLModel, table=True):
    """An enterprise's application to have its vertical-industry model selected (遴选) for a
    program's yearly batch (measure 3). One per enterprise, program and year; a selected one
    admits the enterprise to that year's vouchers of the program."""

    __tablename__ = "model_selection"
    __table_args__ = (
        UniqueConstraint("enterprise_id", "program_id", "year"),
        one_of("status", SelectionStatus),
        Index(None, "program_id", "year", "status"),
    )

    id: int | None = Field(default=None, primary_key=True)
    enterprise_id: int = Field(foreign_key="enterprise.id", nullable=False)
    program_id: int = Field(foreign_key="program.id", nullable=False)
    year: int
    model_name: str = Field(sa_column=Column(String(200), nullable=False))
    sector: str = Field(sa_column=Column(String(40), nullable=False))
    # The model's filing (备案) or registration (登记) reference with the regulator.
    filing_reference: str = Field(sa_column=Column(String(100), nullable=False))
    description: str = Field(default="", sa_column=Column(String(2000), nullable=False))
    eligible: bool
    checks: str = Field(sa_column=Column(Text, nullable=False))  # JSON: [{check, ok, message}]
    status: str = Field(sa_column=Column(String(16), nullable=False))
    decision_reason: str | None = Field(default=None, sa_column=Column(String(1000)))
    decided_by: str | None = Field(default=None, sa_column=Column(String(250)))
    decided_at: datetime | None = timestamp(nullable=True)  # type: ignore[assignment]
    created_at: datetime = timestamp()  # type: ignore[assignment]
    updated_at: datetime = timestamp()  # type: ignore[assignment]
