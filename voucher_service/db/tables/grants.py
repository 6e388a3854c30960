"""Grants (专项资金): a program funded as grants rather than vouchers (``program.funding =
'grants'``; measure 2's network monitoring and quality assessment, 每年安排不超过300万元)
spends its year's pool on projects. A project (an organisation registered as an enterprise:
name and credit code) applies with a title and an amount; the bureau approves an amount,
which the ledger reserves from the year's pool (pool -> grant:<g>); the grant is then paid in
instalments against accepted milestones (grant:<g> -> granted:<g>).

The database refuses what must never happen: an approval above what was asked, instalments
above the approved amount (``paid_fen <= approved_fen``), a negative amount. The year's
ceiling is the pool's total (at most the program's ``pool_maximum_fen``), and the pool's
``available_fen >= 0`` holds reserved and paid grants within it."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import CheckConstraint, Column, ForeignKey, Index, String
from sqlmodel import Field, SQLModel

from voucher_service.db import base  # noqa: F401  (naming convention before any table)
from voucher_service.db.columns import money, one_of, status_column, timestamp
from voucher_service.db.types import BigInt


class Funding(StrEnum):
    """How a program spends its pools."""

    VOUCHERS = "vouchers"  # vouchers to enterprises, priced on usage (measures 2 and 3)
    GRANTS = "grants"  # grants to projects, paid in instalments against milestones


class GrantStatus(StrEnum):
    APPLIED = "applied"  # waits for the bureau's decision
    APPROVED = "approved"  # its approved amount is reserved from the year's pool
    REJECTED = "rejected"  # refused, with a reason; nothing reserved


class MilestoneStatus(StrEnum):
    OPEN = "open"  # declared, not yet accepted
    ACCEPTED = "accepted"  # the bureau accepted the work: its instalment may be paid
    PAID = "paid"  # its instalment was paid through the ledger


class ProjectGrant(SQLModel, table=True):
    """One project's grant from one year's pool of a grants program."""

    __tablename__ = "project_grant"
    __table_args__ = (
        one_of("status", GrantStatus),
        CheckConstraint("asked_fen > 0", name="asked_positive"),
        CheckConstraint(
            "(status = 'approved') = (approved_fen IS NOT NULL)", name="approved_when_approved"
        ),
        CheckConstraint(
            "approved_fen IS NULL OR (approved_fen > 0 AND approved_fen <= asked_fen)",
            name="approved_within_asked",
        ),
        CheckConstraint("paid_fen >= 0", name="paid_nonnegative"),
        CheckConstraint("paid_fen <= COALESCE(approved_fen, 0)", name="paid_within_approved"),
        Index(None, "pool_id", "status"),
    )

    id: int | None = Field(default=None, primary_key=True)
    program_id: int = Field(foreign_key="program.id", nullable=False)
    pool_id: int = Field(foreign_key="pool.id", nullable=False)
    enterprise_id: int = Field(foreign_key="enterprise.id", nullable=False)
    title: str = Field(sa_column=Column(String(200), nullable=False))
    asked_fen: int = money()  # type: ignore[assignment]
    approved_fen: int | None = Field(default=None, sa_column=Column(BigInt, nullable=True))
    paid_fen: int = money(default=0)  # type: ignore[assignment]
    status: str = status_column(GrantStatus.APPLIED)  # type: ignore[assignment]
    reason: str = Field(default="", sa_column=Column(String(1000), nullable=False))
    applied_by: str = Field(sa_column=Column(String(250), nullable=False))
    decided_by_id: int | None = Field(default=None, foreign_key="principal.id")
    decided_at: datetime | None = timestamp(nullable=True)  # type: ignore[assignment]
    created_at: datetime = timestamp()  # type: ignore[assignment]


class GrantMilestone(SQLModel, table=True):
    """A milestone of an approved grant: what is to be delivered and the instalment it
    earns, accepted by a reviewer and then paid by finance through the ledger."""

    __tablename__ = "grant_milestone"
    __table_args__ = (
        one_of("status", MilestoneStatus),
        CheckConstraint("amount_fen > 0", name="amount_positive"),
        CheckConstraint("(status = 'open') = (accepted_at IS NULL)", name="accepted_unless_open"),
        CheckConstraint("(status = 'paid') = (paid_at IS NOT NULL)", name="paid_when_paid"),
    )

    id: int | None = Field(default=None, primary_key=True)
    grant_id: int = Field(
        sa_column=Column(ForeignKey("project_grant.id"), nullable=False, index=True)
    )
    description: str = Field(sa_column=Column(String(500), nullable=False))
    amount_fen: int = money()  # type: ignore[assignment]
    status: str = status_column(MilestoneStatus.OPEN)  # type: ignore[assignment]
    accepted_by_id: int | None = Field(default=None, foreign_key="principal.id")
    accepted_at: datetime | None = timestamp(nullable=True)  # type: ignore[assignment]
    paid_by_id: int | None = Field(default=None, foreign_key="principal.id")
    paid_at: datetime | None = timestamp(nullable=True)  # type: ignore[assignment]
    created_at: datetime = timestamp()  # type: ignore[assignment]
