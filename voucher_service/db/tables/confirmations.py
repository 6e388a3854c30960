"""Maker-checker proposals: an action one person asked for that takes effect only when a
second person confirms it (docs/access.md): large approvals and revocations (review), pools,
rule versions, top-up layers and the second-review amount (program administration)."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import CheckConstraint, Column, Index, String, Text, text
from sqlmodel import Field, SQLModel

from voucher_service.db import base  # noqa: F401  (naming convention before any table)
from voucher_service.db.columns import one_of, status_column, timestamp


class ConfirmationKind(StrEnum):
    APPROVE_APPLICATION = "application.approve"  # above the program's second-review amount
    REVOKE_VOUCHER = "voucher.revoke"  # a balance above that amount goes back to the pool
    # Program administration: always a second program administrator (docs/access.md).
    CREATE_POOL = "pool.create"  # a program's annual pool, funded from the budget
    ADD_RULE_VERSION = "rules.add"  # the yearly review: what later fees are priced at
    DECLARE_TOP_UP = "top_up.declare"  # a program stacks on another (or changes its place)
    WITHDRAW_TOP_UP = "top_up.withdraw"  # a program prices on its own again
    SET_SECOND_REVIEW = "program.second_review"  # the amount above which a reviewer checks
    SET_PROGRAM_SETTINGS = "program.settings"  # voucher validity, measure 3's fields
    CREATE_PROGRAM = "program.create"  # a whole program from a program file


class ConfirmationStatus(StrEnum):
    PENDING = "pending"  # waits for a second person
    CONFIRMED = "confirmed"  # a second person confirmed it: the action was done
    REJECTED = "rejected"  # a second person refused it
    WITHDRAWN = "withdrawn"  # the proposer took it back


class Confirmation(SQLModel, table=True):
    """A proposal (the action, its target and its values) and who proposed and decided it.
    At most one is pending per target and action; the decider is never the proposer (the
    service checks, the database refuses)."""

    __tablename__ = "confirmation"
    __table_args__ = (
        one_of("status", ConfirmationStatus),
        one_of("kind", ConfirmationKind, name="kind_known"),
        CheckConstraint(
            "status = 'withdrawn' OR decided_by_id IS NULL OR decided_by_id <> proposed_by_id",
            name="checker_is_not_maker",
        ),
        Index(
            "uq_confirmation_pending_target",
            "kind",
            "target_id",
            unique=True,
            sqlite_where=text("status = 'pending'"),
            postgresql_where=text("status = 'pending'"),
        ),
        Index(None, "status"),
    )

    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(sa_column=Column(String(32), nullable=False))
    target_id: str = Field(sa_column=Column(String(64), nullable=False))
    # What the proposal does, as the service will do it (JSON): amounts in fen, a reason.
    payload: str = Field(sa_column=Column(Text, nullable=False))
    # What a checker reads in the queue: the difference it makes, in words.
    summary: str = Field(sa_column=Column(String(500), nullable=False))
    status: str = status_column(ConfirmationStatus.PENDING)  # type: ignore[assignment]
    proposed_by_id: int = Field(foreign_key="principal.id", nullable=False)
    proposed_at: datetime = timestamp()  # type: ignore[assignment]
    decided_by_id: int | None = Field(default=None, foreign_key="principal.id")
    decided_at: datetime | None = timestamp(nullable=True)  # type: ignore[assignment]
