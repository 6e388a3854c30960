"""Claims after payment (reimbursement mode): an enterprise claims a program's subsidy for a
period with its contract, its invoices and proof of payment; a reviewer approves each
invoice in full or in part (or rejects the claim); the approved subsidy is payable to the
enterprise, then paid; a correction reduces an approved amount with a reason."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import CheckConstraint, Column, Index, Integer, String, UniqueConstraint
from sqlmodel import Field, SQLModel

from voucher_service.db import base  # noqa: F401  (naming convention before any table)
from voucher_service.db.columns import money, one_of, status_column, timestamp


class ClaimStatus(StrEnum):
    SUBMITTED = "submitted"  # waits in the bureau's queue
    APPROVED = "approved"  # in full or in part: its subsidy is payable to the enterprise
    REJECTED = "rejected"  # with the reviewer's reason; nothing payable
    PAID = "paid"  # finance paid the payable subsidy (a payment reference)


class Claim(SQLModel, table=True):
    """One claim of one enterprise in one reimbursement program, for a period inside one
    year (the year's pool pays it)."""

    __tablename__ = "claim"
    __table_args__ = (
        one_of("status", ClaimStatus),
        CheckConstraint("period_end >= period_start", name="period_order"),
        CheckConstraint("claimed_fen > 0", name="claimed_positive"),
        CheckConstraint("subsidy_fen >= 0", name="subsidy_nonnegative"),
        CheckConstraint("paid_fen >= 0", name="paid_nonnegative"),
        CheckConstraint(
            "(status = 'paid') = (payment_reference IS NOT NULL)", name="paid_has_reference"
        ),
        # Maker-checker: who approved a claim never pays it.
        CheckConstraint("paid_by_id <> decided_by_id", name="approver_never_pays"),
        Index(None, "status", "submitted_at"),
        Index(None, "enterprise_id", "submitted_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    enterprise_id: int = Field(foreign_key="enterprise.id", nullable=False)
    program_id: int = Field(foreign_key="program.id", nullable=False)
    year: int = Field(sa_column=Column(Integer, nullable=False))
    # Set on approval: the year's pool that paid it, the enrolment whose caps count it.
    pool_id: int | None = Field(default=None, foreign_key="pool.id")
    enrolment_id: int | None = Field(default=None, foreign_key="enrolment.id")
    period_start: date
    period_end: date  # inclusive
    contract_reference: str = Field(sa_column=Column(String(100), nullable=False))
    payment_proof: str = Field(sa_column=Column(String(500), nullable=False))
    status: str = status_column(ClaimStatus.SUBMITTED)  # type: ignore[assignment]
    claimed_fen: int = money()  # type: ignore[assignment]
    approved_fen: int = money(default=0)  # type: ignore[assignment]
    subsidy_fen: int = money(default=0)  # type: ignore[assignment]
    paid_fen: int = money(default=0)  # type: ignore[assignment]
    reason: str = Field(default="", sa_column=Column(String(1000), nullable=False))
    submitted_by: str = Field(sa_column=Column(String(200), nullable=False))
    submitted_at: datetime = timestamp()  # type: ignore[assignment]
    decided_by_id: int | None = Field(default=None, foreign_key="principal.id")
    decided_by: str | None = Field(default=None, sa_column=Column(String(200), nullable=True))
    decided_at: datetime | None = timestamp(nullable=True)  # type: ignore[assignment]
    paid_by_id: int | None = Field(default=None, foreign_key="principal.id")
    paid_at: datetime | None = timestamp(nullable=True)  # type: ignore[assignment]
    payment_reference: str | None = Field(default=None, sa_column=Column(String(100)))


class ClaimInvoice(SQLModel, table=True):
    """One invoice of a claim. The same invoice (seller's credit code and invoice number)
    is claimed once, ever: the database refuses a second, whichever process asks."""

    __tablename__ = "claim_invoice"
    __table_args__ = (
        UniqueConstraint("seller_uscc", "invoice_number"),
        CheckConstraint("amount_fen > 0", name="amount_positive"),
        CheckConstraint(
            "approved_fen >= 0 AND approved_fen <= amount_fen", name="approved_within_amount"
        ),
        CheckConstraint("subsidy_fen >= 0 AND subsidy_fen <= approved_fen", name="subsidy_range"),
        Index(None, "claim_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    claim_id: int = Field(foreign_key="claim.id", nullable=False)
    invoice_number: str = Field(sa_column=Column(String(40), nullable=False))
    invoice_date: date
    amount_fen: int = money()  # type: ignore[assignment]
    seller_name: str = Field(sa_column=Column(String(200), nullable=False))
    seller_uscc: str = Field(sa_column=Column(String(18), nullable=False))
    approved_fen: int = money(default=0)  # type: ignore[assignment]
    subsidy_fen: int = money(default=0)  # type: ignore[assignment]
    reason: str = Field(default="", sa_column=Column(String(1000), nullable=False))
    rule_version: int | None = Field(default=None, sa_column=Column(Integer, nullable=True))
    cap_period: int | None = Field(default=None, sa_column=Column(Integer, nullable=True))
    shortfall: str | None = Field(default=None, sa_column=Column(String(40), nullable=True))


class ClaimCorrection(SQLModel, table=True):
    """A correction of an approved claim: an invoice's approved amount reduced, with a
    reason, and the subsidy given back to the pool through the ledger."""

    __tablename__ = "claim_correction"
    __table_args__ = (
        CheckConstraint("reduced_fen > 0", name="reduced_positive"),
        CheckConstraint("subsidy_back_fen >= 0", name="back_nonnegative"),
        Index(None, "claim_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    claim_id: int = Field(foreign_key="claim.id", nullable=False)
    invoice_id: int = Field(foreign_key="claim_invoice.id", nullable=False)
    reduced_fen: int = money()  # type: ignore[assignment]
    subsidy_back_fen: int = money()  # type: ignore[assignment]
    reason: str = Field(sa_column=Column(String(1000), nullable=False))
    corrected_by: str = Field(sa_column=Column(String(200), nullable=False))
    corrected_at: datetime = timestamp()  # type: ignore[assignment]
