"""Monthly settlement statements and their lines."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import CheckConstraint, Column, Index, String, UniqueConstraint
from sqlmodel import Field, SQLModel

from voucher_service.db import base  # noqa: F401  (naming convention before any table)
from voucher_service.db.columns import money, one_of, status_column, timestamp
from voucher_service.db.types import BigInt, UTCDateTime


class StatementStatus(StrEnum):
    CLOSED = "closed"  # frozen: its lines never change
    APPROVED = "approved"
    PAID = "paid"  # the ledger moved its total from payable to paid


class Statement(SQLModel, table=True):
    """A provider's settlement statement (结算单) for one calendar month and one funding
    source (program): frozen at close, approved by the bureau, then paid (the ledger moves the
    total from payable to paid)."""

    __tablename__ = "statement"
    __table_args__ = (
        UniqueConstraint("provider_id", "period", "program_id"),
        one_of("status", StatementStatus),
        CheckConstraint(
            "(status = 'paid') = (payment_reference IS NOT NULL)", name="paid_has_reference"
        ),
        # Maker-checker (docs/access.md): the closer never approves, the approver never pays.
        CheckConstraint("approved_by_id <> closed_by_id", name="closer_never_approves"),
        CheckConstraint("paid_by_id <> approved_by_id", name="approver_never_pays"),
    )

    id: int | None = Field(default=None, primary_key=True)
    provider_id: int = Field(foreign_key="provider.id", nullable=False)
    # The funding source: the program whose subsidies the statement bills (a district top-up
    # is billed to its own funder, on a statement of its own). None only on statements closed
    # before funding sources were billed apart (they bill every program).
    program_id: int | None = Field(default=None, foreign_key="program.id")
    period: str = Field(sa_column=Column(String(7), nullable=False))  # YYYY-MM
    status: str = status_column(StatementStatus.CLOSED)  # type: ignore[assignment]
    record_count: int
    fee_fen: int = money()  # type: ignore[assignment]
    subsidy_fen: int = money()  # type: ignore[assignment]
    enterprise_share_fen: int = money()  # type: ignore[assignment]
    closed_at: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))
    approved_at: datetime | None = timestamp(nullable=True)  # type: ignore[assignment]
    paid_at: datetime | None = timestamp(nullable=True)  # type: ignore[assignment]
    payment_reference: str | None = Field(default=None, sa_column=Column(String(100)))
    # Who closed, approved and paid it (principals: people). None on statements closed before
    # duties were split.
    closed_by_id: int | None = Field(default=None, foreign_key="principal.id")
    approved_by_id: int | None = Field(default=None, foreign_key="principal.id")
    paid_by_id: int | None = Field(default=None, foreign_key="principal.id")


class StatementLine(SQLModel, table=True):
    """One usage record (or correction) in a statement: each record is settled once."""

    __tablename__ = "statement_line"
    __table_args__ = (UniqueConstraint("usage_record_id"), Index(None, "statement_id"))

    id: int | None = Field(default=None, sa_column=Column(BigInt, primary_key=True))
    statement_id: int = Field(foreign_key="statement.id", nullable=False)
    usage_record_id: int = Field(sa_column=Column(BigInt, nullable=False))
    late: bool = Field(default=False, description="serviced before the statement's month")
