"""The ledger's tables: postings, and the cap counters it keeps beside them."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import CheckConstraint, Column, Index, String, UniqueConstraint
from sqlmodel import Field, SQLModel

from voucher_service.db import base  # noqa: F401  (naming convention before any table)
from voucher_service.db.columns import money, one_of, timestamp
from voucher_service.db.types import BigInt


class PostingKind(StrEnum):
    """What a posting does (DESIGN.md, the money flow)."""

    FUND = "fund"  # budget -> pool: a pool is opened
    ISSUE = "issue"  # pool -> voucher: face value reserved
    SUBSIDY = "subsidy"  # voucher -> payable: usage priced
    REVERSAL = "reversal"  # payable -> voucher: a refund gives subsidy back
    RELEASE = "release"  # voucher -> pool: unspent balance of a closed voucher
    SETTLE = "settle"  # payable -> paid: a statement paid
    RESERVE = "reserve"  # pool -> reserved: an approval in public notice holds its amount
    UNRESERVE = "unreserve"  # reserved -> pool: the notice ended (then issued, or upheld)
    CLAIM = "claim"  # pool -> claim: an approved claim's subsidy, payable to its enterprise
    CLAIM_REVERSAL = "claim_reversal"  # claim -> pool: a correction gives subsidy back
    CLAIM_PAY = "claim_pay"  # claim -> enterprise: finance paid the claim
    GRANT = "grant"  # pool -> grant: a grant approved holds its amount from the year's pool
    INSTALMENT = "instalment"  # grant -> granted: an accepted milestone's instalment paid


class CapUsage(SQLModel, table=True):
    """Net subsidy counted against an enterprise's cap: period 0 for a lifetime cap, else
    the subsidy year (1, 2, 3). A counter kept in step with the ledger, re-derivable."""

    __tablename__ = "cap_usage"
    __table_args__ = (
        UniqueConstraint("enrolment_id", "period"),
        CheckConstraint("used_fen >= 0", name="used_nonnegative"),
    )

    id: int | None = Field(default=None, primary_key=True)
    enrolment_id: int = Field(foreign_key="enrolment.id", nullable=False)
    period: int
    used_fen: int = money()  # type: ignore[assignment]


class LedgerPosting(SQLModel, table=True):
    """One movement of money between two accounts. Append-only (trigger in the migration)."""

    __tablename__ = "ledger_posting"
    __table_args__ = (
        CheckConstraint("amount_fen > 0", name="amount_positive"),
        CheckConstraint("from_account <> to_account", name="distinct_accounts"),
        one_of("kind", PostingKind, name="kind_known"),
        Index(None, "from_account"),
        Index(None, "to_account"),
        Index(None, "usage_record_id"),
    )

    id: int | None = Field(default=None, sa_column=Column(BigInt, primary_key=True))
    kind: str = Field(sa_column=Column(String(16), nullable=False))
    from_account: str = Field(sa_column=Column(String(40), nullable=False))
    to_account: str = Field(sa_column=Column(String(40), nullable=False))
    amount_fen: int = money()  # type: ignore[assignment]
    pool_id: int | None = Field(default=None, foreign_key="pool.id")
    voucher_id: int | None = Field(default=None, foreign_key="voucher.id")
    # The usage record or adjustment this posting prices (no foreign key: postings are
    # written in bulk beside their records, and SQLite cannot add one to this table).
    usage_record_id: int | None = Field(default=None, sa_column=Column(BigInt, nullable=True))
    memo: str = Field(default="", sa_column=Column(String(500), nullable=False))
    created_at: datetime = timestamp()  # type: ignore[assignment]
