"""Programs, their versioned rules, annual pools, and the top-ups stacked on a program."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Column,
    Integer,
    String,
    Text,
    UniqueConstraint,
    false,
)
from sqlmodel import Field, SQLModel

from voucher_service.db import base  # noqa: F401  (naming convention before any table)
from voucher_service.db.columns import money, timestamp
from voucher_service.db.types import BigInt


class Program(SQLModel, table=True):
    """A subsidy scheme (政策项目). Its numbers live in its rule versions."""

    __tablename__ = "program"
    __table_args__ = (
        UniqueConstraint("code"),
        CheckConstraint("valid_to >= valid_from", name="valid_period"),
        CheckConstraint(
            "voucher_validity IN ('pool_year', 'months', 'window')", name="voucher_validity_known"
        ),
        CheckConstraint(
            "(voucher_validity = 'months') = (voucher_validity_months IS NOT NULL)"
            " AND (voucher_validity_months IS NULL OR voucher_validity_months BETWEEN 1 AND 36)",
            name="voucher_validity_months",
        ),
        CheckConstraint("mode IN ('point_of_sale', 'reimbursement')", name="mode_known"),
        CheckConstraint("funding IN ('vouchers', 'grants')", name="funding_known"),
    )

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(sa_column=Column(String(40), nullable=False))
    name: str = Field(sa_column=Column(String(200), nullable=False))
    description: str = Field(default="", sa_column=Column(String(2000), nullable=False))
    valid_from: date
    valid_to: date
    # Eligibility for applications: registered in this region (a prefix of the division code,
    # "4201" for Wuhan; empty for anywhere), and an SME by these declared thresholds.
    region_prefix: str = Field(
        default="4201", sa_column=Column(String(6), nullable=False, server_default="4201")
    )
    sme_max_headcount: int = Field(
        default=1000, sa_column=Column(Integer, nullable=False, server_default="1000")
    )
    sme_max_revenue_fen: int = Field(
        default=40_000_000_000,
        sa_column=Column(BigInt, nullable=False, server_default="40000000000"),
    )
    # Measure 3 (垂直行业模型): only enterprises selected (遴选) for a year's batch may be
    # issued that year's vouchers.
    requires_selection: bool = Field(
        default=False, sa_column=Column(Boolean, nullable=False, server_default=false())
    )
    # Maker-checker (docs/access.md): an application approved for more than this, or a
    # voucher revoked with more than this unspent, waits for a second reviewer's
    # confirmation. None: one reviewer decides every amount.
    second_review_above_fen: int | None = Field(
        default=None, sa_column=Column(BigInt, nullable=True)
    )
    # How long a voucher lives (domain.rules.VoucherValidity): to its pool year's end, a
    # number of months from its first day, or to the enterprise's window's end.
    voucher_validity: str = Field(
        default="pool_year",
        sa_column=Column(String(16), nullable=False, server_default="pool_year"),
    )
    voucher_validity_months: int | None = Field(
        default=None, sa_column=Column(Integer, nullable=True)
    )
    # Measure 3's fields (领域) as JSON [{"code", "name"}]; NULL: the policy's seven
    # (domain.rules.POLICY_SELECTION_FIELDS).
    selection_fields: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    # Paperwork (materials/, notices/): the kinds of material an application must carry
    # before approval (comma-separated codes of ``materials.kinds``), and public notice
    # (公示): when on, an approval first stands this many working days in public notice.
    required_materials: str = Field(
        default="", sa_column=Column(String(500), nullable=False, server_default="")
    )
    notice_enabled: bool = Field(
        default=False, sa_column=Column(Boolean, nullable=False, server_default=false())
    )
    notice_working_days: int = Field(
        default=5, sa_column=Column(Integer, nullable=False, server_default="5")
    )
    # How the subsidy is paid (domain.rules.ProgramMode): vouchers at the point of sale, or
    # claims after payment (claims/).
    mode: str = Field(
        default="point_of_sale",
        sa_column=Column(String(16), nullable=False, server_default="point_of_sale"),
    )
    # How its pools are spent (db/tables/grants.py Funding): vouchers to enterprises, or
    # grants to projects paid in instalments against milestones.
    funding: str = Field(
        default="vouchers",
        sa_column=Column(String(16), nullable=False, server_default="vouchers"),
    )
    created_at: datetime = timestamp()  # type: ignore[assignment]


class RuleVersion(SQLModel, table=True):
    """One version of a program's rules, in force from ``effective_from``."""

    __tablename__ = "rule_version"
    __table_args__ = (
        UniqueConstraint("program_id", "version"),
        UniqueConstraint("program_id", "effective_from"),
        CheckConstraint("rate_bp > 0 AND rate_bp <= 10000", name="rate_range"),
        CheckConstraint("cap_fen > 0", name="cap_positive"),
        CheckConstraint("cap_scope IN ('lifetime', 'per_year')", name="cap_scope_known"),
        CheckConstraint("window_months BETWEEN 1 AND 120", name="window_range"),
        CheckConstraint("pool_minimum_fen >= 0", name="pool_minimum_nonnegative"),
        CheckConstraint(
            "pool_maximum_fen IS NULL OR (pool_maximum_fen > 0"
            " AND pool_maximum_fen >= pool_minimum_fen)",
            name="pool_maximum_range",
        ),
        CheckConstraint(
            "year_cap_fen IS NULL OR (cap_scope = 'lifetime' AND year_cap_fen > 0"
            " AND year_cap_fen <= cap_fen)",
            name="year_cap_within_cap",
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    program_id: int = Field(foreign_key="program.id", nullable=False)
    version: int
    effective_from: date
    rate_bp: int
    cap_fen: int = money()  # type: ignore[assignment]
    cap_scope: str = Field(sa_column=Column(String(16), nullable=False))
    window_months: int
    pool_minimum_fen: int = money()  # type: ignore[assignment]
    pool_maximum_fen: int | None = Field(default=None, sa_column=Column(BigInt, nullable=True))
    created_at: datetime = timestamp()  # type: ignore[assignment]
    # A cap per subsidy year beside the lifetime cap (0028); None: the one cap of cap_scope.
    year_cap_fen: int | None = Field(default=None, sa_column=Column(BigInt, nullable=True))


class Pool(SQLModel, table=True):
    """A program's budget for one year (年度券池). Touched only by issuance, revocation and
    expiry: never by the usage hot path."""

    __tablename__ = "pool"
    __table_args__ = (
        UniqueConstraint("program_id", "year"),
        CheckConstraint("total_fen > 0", name="total_positive"),
        CheckConstraint("available_fen >= 0", name="available_nonnegative"),
        CheckConstraint("available_fen <= total_fen", name="available_within_total"),
    )

    id: int | None = Field(default=None, primary_key=True)
    program_id: int = Field(foreign_key="program.id", nullable=False)
    year: int
    total_fen: int = money()  # type: ignore[assignment]
    available_fen: int = money()  # type: ignore[assignment]
    created_at: datetime = timestamp()  # type: ignore[assignment]


class TopUp(SQLModel, table=True):
    """A program declared a top-up of another (a district topping up the city's measure 2):
    one usage record is priced by the base program first, then by its top-ups in
    ``stack_order``, together never above ``ceiling_bp`` of the fee (domain/stacking.py).
    Stacks are one level deep: a base is no top-up, a top-up is no base."""

    __tablename__ = "program_top_up"
    __table_args__ = (
        UniqueConstraint("program_id"),
        UniqueConstraint("base_program_id", "stack_order"),
        CheckConstraint("program_id <> base_program_id", name="not_itself"),
        CheckConstraint("stack_order >= 1", name="order_positive"),
        CheckConstraint("ceiling_bp BETWEEN 1 AND 10000", name="ceiling_range"),
    )

    id: int | None = Field(default=None, primary_key=True)
    program_id: int = Field(foreign_key="program.id", nullable=False)
    base_program_id: int = Field(foreign_key="program.id", nullable=False)
    stack_order: int
    ceiling_bp: int
    created_at: datetime = timestamp()  # type: ignore[assignment]
