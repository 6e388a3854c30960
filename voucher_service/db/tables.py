"""The tables. Schema changes go through Alembic only (``migrations/``); a test checks that
these models and the migrations agree.

Money columns end in ``_fen`` and are 64-bit integers. The database itself refuses what
must never happen: negative balances, a voucher whose face value does not equal balance +
net subsidies + released, a pool with more available than its total. Ledger postings are
append-only: a trigger (in the migration) refuses UPDATE and DELETE on ``ledger_posting``.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import CheckConstraint, Column, Index, Integer, String, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from voucher_service.db import base  # noqa: F401  (naming convention before any table)
from voucher_service.db.types import BigInt, UTCDateTime, utcnow


def _money(**kw: object) -> object:
    return Field(sa_column=Column(BigInt, nullable=False, **kw))


def _timestamp(nullable: bool = False) -> object:
    return Field(
        default_factory=utcnow if not nullable else None,
        sa_column=Column(UTCDateTime, nullable=nullable),
    )


class Program(SQLModel, table=True):
    """A subsidy scheme (政策项目). Its numbers live in its rule versions."""

    __tablename__ = "program"
    __table_args__ = (
        UniqueConstraint("code"),
        CheckConstraint("valid_to >= valid_from", name="valid_period"),
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
    created_at: datetime = _timestamp()  # type: ignore[assignment]


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
    )

    id: int | None = Field(default=None, primary_key=True)
    program_id: int = Field(foreign_key="program.id", nullable=False)
    version: int
    effective_from: date
    rate_bp: int
    cap_fen: int = _money()  # type: ignore[assignment]
    cap_scope: str = Field(sa_column=Column(String(16), nullable=False))
    window_months: int
    pool_minimum_fen: int = _money()  # type: ignore[assignment]
    created_at: datetime = _timestamp()  # type: ignore[assignment]


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
    total_fen: int = _money()  # type: ignore[assignment]
    available_fen: int = _money()  # type: ignore[assignment]
    created_at: datetime = _timestamp()  # type: ignore[assignment]


class Enterprise(SQLModel, table=True):
    """An SME, identified by its Unified Social Credit Code."""

    __tablename__ = "enterprise"
    __table_args__ = (UniqueConstraint("uscc"),)

    id: int | None = Field(default=None, primary_key=True)
    uscc: str = Field(sa_column=Column(String(18), nullable=False))
    name: str = Field(sa_column=Column(String(200), nullable=False))
    district_code: str = Field(sa_column=Column(String(6), nullable=False))
    created_at: datetime = _timestamp()  # type: ignore[assignment]


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
    created_at: datetime = _timestamp()  # type: ignore[assignment]


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
    used_fen: int = _money()  # type: ignore[assignment]


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
        CheckConstraint("status IN ('active', 'revoked', 'expired')", name="status_known"),
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
    face_value_fen: int = _money()  # type: ignore[assignment]
    balance_fen: int = _money()  # type: ignore[assignment]
    subsidised_fen: int = _money(default=0)  # type: ignore[assignment]
    released_fen: int = _money(default=0)  # type: ignore[assignment]
    valid_from: date
    valid_to: date  # inclusive
    status: str = Field(default="active", sa_column=Column(String(16), nullable=False))
    issued_at: datetime = _timestamp()  # type: ignore[assignment]
    closed_at: datetime | None = _timestamp(nullable=True)  # type: ignore[assignment]
    close_reason: str | None = Field(default=None, sa_column=Column(String(500)))


class LedgerPosting(SQLModel, table=True):
    """One movement of money between two accounts. Append-only (trigger in the migration)."""

    __tablename__ = "ledger_posting"
    __table_args__ = (
        CheckConstraint("amount_fen > 0", name="amount_positive"),
        CheckConstraint("from_account <> to_account", name="distinct_accounts"),
        CheckConstraint(
            "kind IN ('fund', 'issue', 'subsidy', 'reversal', 'release', 'settle')",
            name="kind_known",
        ),
        Index(None, "from_account"),
        Index(None, "to_account"),
        Index(None, "usage_record_id"),
    )

    id: int | None = Field(default=None, sa_column=Column(BigInt, primary_key=True))
    kind: str = Field(sa_column=Column(String(16), nullable=False))
    from_account: str = Field(sa_column=Column(String(40), nullable=False))
    to_account: str = Field(sa_column=Column(String(40), nullable=False))
    amount_fen: int = _money()  # type: ignore[assignment]
    pool_id: int | None = Field(default=None, foreign_key="pool.id")
    voucher_id: int | None = Field(default=None, foreign_key="voucher.id")
    # The usage record or adjustment this posting prices (no foreign key: postings are
    # written in bulk beside their records, and SQLite cannot add one to this table).
    usage_record_id: int | None = Field(default=None, sa_column=Column(BigInt, nullable=True))
    memo: str = Field(default="", sa_column=Column(String(500), nullable=False))
    created_at: datetime = _timestamp()  # type: ignore[assignment]


class Provider(SQLModel, table=True):
    """A registered compute-service provider (算力服务商)."""

    __tablename__ = "provider"
    __table_args__ = (
        UniqueConstraint("uscc"),
        CheckConstraint("status IN ('active', 'suspended')", name="status_known"),
    )

    id: int | None = Field(default=None, primary_key=True)
    uscc: str = Field(sa_column=Column(String(18), nullable=False))
    name: str = Field(sa_column=Column(String(200), nullable=False))
    status: str = Field(default="active", sa_column=Column(String(16), nullable=False))
    status_reason: str = Field(default="", sa_column=Column(String(500), nullable=False))
    health_url: str | None = Field(default=None, sa_column=Column(String(500), nullable=True))
    created_at: datetime = _timestamp()  # type: ignore[assignment]


class ProviderOffering(SQLModel, table=True):
    """One line of a provider's catalogue: a resource and its list price per unit."""

    __tablename__ = "provider_offering"
    __table_args__ = (
        UniqueConstraint("provider_id", "resource_kind", "resource_model", "unit"),
        CheckConstraint("list_price_fen >= 0", name="price_nonnegative"),
    )

    id: int | None = Field(default=None, primary_key=True)
    provider_id: int = Field(foreign_key="provider.id", nullable=False)
    resource_kind: str = Field(sa_column=Column(String(20), nullable=False))
    resource_model: str = Field(sa_column=Column(String(100), nullable=False))
    unit: str = Field(sa_column=Column(String(20), nullable=False))
    list_price_fen: int = _money()  # type: ignore[assignment]


class ProviderStatusChange(SQLModel, table=True):
    """Suspensions and reinstatements, with their reasons: the history is kept."""

    __tablename__ = "provider_status_change"

    id: int | None = Field(default=None, primary_key=True)
    provider_id: int = Field(foreign_key="provider.id", nullable=False, index=True)
    status: str = Field(sa_column=Column(String(16), nullable=False))
    reason: str = Field(sa_column=Column(String(500), nullable=False))
    created_at: datetime = _timestamp()  # type: ignore[assignment]


class Redemption(SQLModel, table=True):
    """A voucher bound to a provider (兑付): that provider may draw on it."""

    __tablename__ = "redemption"
    __table_args__ = (
        UniqueConstraint("voucher_id", "provider_id"),
        CheckConstraint("status IN ('active', 'ended')", name="status_known"),
        Index(None, "provider_id", "status"),
    )

    id: int | None = Field(default=None, primary_key=True)
    voucher_id: int = Field(foreign_key="voucher.id", nullable=False)
    provider_id: int = Field(foreign_key="provider.id", nullable=False)
    status: str = Field(default="active", sa_column=Column(String(16), nullable=False))
    created_at: datetime = _timestamp()  # type: ignore[assignment]
    ended_at: datetime | None = _timestamp(nullable=True)  # type: ignore[assignment]


class UsageRecord(SQLModel, table=True):
    """A provider's report of metered compute and its fee (计量记录), priced once and never
    changed: an adjustment (refund) is a new record pointing at its original, with negative
    fee and subsidy. Refused records are stored too, so a retry gets the same answer."""

    __tablename__ = "usage_record"
    __table_args__ = (
        UniqueConstraint("provider_id", "record_id"),
        CheckConstraint("kind IN ('usage', 'adjustment')", name="kind_known"),
        CheckConstraint(
            "outcome IN ('subsidised', 'partial', 'refused', 'adjusted')", name="outcome_known"
        ),
        CheckConstraint(
            "(kind = 'usage' AND fee_fen >= 0 AND subsidy_fen >= 0 AND subsidy_fen <= fee_fen)"
            " OR (kind = 'adjustment' AND fee_fen <= 0 AND subsidy_fen <= 0"
            " AND original_id IS NOT NULL)",
            name="amounts_by_kind",
        ),
        CheckConstraint("enterprise_share_fen = fee_fen - subsidy_fen", name="shares_add_up"),
        Index(None, "provider_id", "service_date"),
        Index(None, "voucher_id", "service_date"),
        Index(None, "enterprise_id", "service_date"),
        Index(None, "original_id"),
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
    unit_price_fen: int = _money()  # type: ignore[assignment]
    fee_fen: int = _money()  # type: ignore[assignment]
    full_subsidy_fen: int = _money()  # type: ignore[assignment]
    subsidy_fen: int = _money()  # type: ignore[assignment]
    enterprise_share_fen: int = _money()  # type: ignore[assignment]
    outcome: str = Field(sa_column=Column(String(16), nullable=False))
    reason: str | None = Field(default=None, sa_column=Column(String(40)))
    rule_version: int | None = None
    service_start: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))
    service_end: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))
    service_date: date
    attributes: str = Field(default="{}", sa_column=Column(String(4000), nullable=False))
    created_at: datetime = _timestamp()  # type: ignore[assignment]


class Principal(SQLModel, table=True):
    """Who acts: a bureau user (admin, reviewer, auditor), an enterprise or a provider."""

    __tablename__ = "principal"
    __table_args__ = (
        Index(None, "role", "name"),
        UniqueConstraint("enterprise_id"),
        UniqueConstraint("provider_id"),
        CheckConstraint(
            "role IN ('bureau_admin', 'bureau_reviewer', 'auditor', 'enterprise', 'provider')",
            name="role_known",
        ),
        CheckConstraint(
            "(role = 'enterprise') = (enterprise_id IS NOT NULL)"
            " AND (role = 'provider') = (provider_id IS NOT NULL)",
            name="subject_matches_role",
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    role: str = Field(sa_column=Column(String(20), nullable=False))
    name: str = Field(sa_column=Column(String(200), nullable=False))
    enterprise_id: int | None = Field(default=None, foreign_key="enterprise.id")
    provider_id: int | None = Field(default=None, foreign_key="provider.id")
    created_at: datetime = _timestamp()  # type: ignore[assignment]


class ApiKey(SQLModel, table=True):
    """A bearer key of a principal. Only a hash of the secret is kept; several keys per
    principal allow rotation (create the new one, switch, revoke the old)."""

    __tablename__ = "api_key"
    __table_args__ = (UniqueConstraint("prefix"), Index(None, "principal_id"))

    id: int | None = Field(default=None, primary_key=True)
    principal_id: int = Field(foreign_key="principal.id", nullable=False)
    prefix: str = Field(sa_column=Column(String(16), nullable=False))
    secret_hash: str = Field(sa_column=Column(String(64), nullable=False))
    name: str = Field(sa_column=Column(String(200), nullable=False))
    created_by_key_id: int | None = None
    created_at: datetime = _timestamp()  # type: ignore[assignment]
    last_used_at: datetime | None = _timestamp(nullable=True)  # type: ignore[assignment]
    expires_at: datetime | None = _timestamp(nullable=True)  # type: ignore[assignment]
    revoked_at: datetime | None = _timestamp(nullable=True)  # type: ignore[assignment]


class AuditEntry(SQLModel, table=True):
    """Who did what, when, with the values before and after. Written unchained in the
    action's own transaction; a sealing step later gives it its place in the hash chain
    (seq, prev_hash, hash). Sealed entries cannot be changed (trigger in the migration)."""

    __tablename__ = "audit_entry"
    __table_args__ = (
        UniqueConstraint("seq"),
        Index(None, "target_type", "target_id"),
        Index(None, "action"),
        Index(None, "principal_id"),
        Index(None, "occurred_at"),
    )

    id: int | None = Field(default=None, sa_column=Column(BigInt, primary_key=True))
    occurred_at: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))
    principal_id: int | None = None
    key_id: int | None = None
    actor: str = Field(sa_column=Column(String(250), nullable=False))
    action: str = Field(sa_column=Column(String(60), nullable=False))
    target_type: str = Field(sa_column=Column(String(40), nullable=False))
    target_id: str = Field(sa_column=Column(String(100), nullable=False))
    before: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    after: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    seq: int | None = Field(default=None, sa_column=Column(BigInt, nullable=True))
    prev_hash: str | None = Field(default=None, sa_column=Column(String(64), nullable=True))
    hash: str | None = Field(default=None, sa_column=Column(String(64), nullable=True))


class AuditChainHead(SQLModel, table=True):
    """The end of the audit chain: one row, locked while entries are sealed."""

    __tablename__ = "audit_chain_head"

    id: int = Field(primary_key=True)
    seq: int = Field(sa_column=Column(BigInt, nullable=False))
    hash: str = Field(sa_column=Column(String(64), nullable=False))


class AuthFailure(SQLModel, table=True):
    """Failed authentications per key prefix and client address, in a sliding window: past
    the limit, that source is refused (429) until the window has passed."""

    __tablename__ = "auth_failure"
    __table_args__ = (UniqueConstraint("source"),)

    id: int | None = Field(default=None, primary_key=True)
    source: str = Field(sa_column=Column(String(200), nullable=False))
    window_start: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))
    failures: int


class Statement(SQLModel, table=True):
    """A provider's settlement statement (结算单) for one calendar month: frozen at close,
    approved by the bureau, then paid (the ledger moves the total from payable to paid)."""

    __tablename__ = "statement"
    __table_args__ = (
        UniqueConstraint("provider_id", "period"),
        CheckConstraint("status IN ('closed', 'approved', 'paid')", name="status_known"),
        CheckConstraint(
            "(status = 'paid') = (payment_reference IS NOT NULL)", name="paid_has_reference"
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    provider_id: int = Field(foreign_key="provider.id", nullable=False)
    period: str = Field(sa_column=Column(String(7), nullable=False))  # YYYY-MM
    status: str = Field(default="closed", sa_column=Column(String(16), nullable=False))
    record_count: int
    fee_fen: int = _money()  # type: ignore[assignment]
    subsidy_fen: int = _money()  # type: ignore[assignment]
    enterprise_share_fen: int = _money()  # type: ignore[assignment]
    closed_at: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))
    approved_at: datetime | None = _timestamp(nullable=True)  # type: ignore[assignment]
    paid_at: datetime | None = _timestamp(nullable=True)  # type: ignore[assignment]
    payment_reference: str | None = Field(default=None, sa_column=Column(String(100)))


class StatementLine(SQLModel, table=True):
    """One usage record (or correction) in a statement: each record is settled once."""

    __tablename__ = "statement_line"
    __table_args__ = (UniqueConstraint("usage_record_id"), Index(None, "statement_id"))

    id: int | None = Field(default=None, sa_column=Column(BigInt, primary_key=True))
    statement_id: int = Field(foreign_key="statement.id", nullable=False)
    usage_record_id: int = Field(sa_column=Column(BigInt, nullable=False))
    late: bool = Field(default=False, description="serviced before the statement's month")


class BlacklistEntry(SQLModel, table=True):
    """An enterprise barred from applying (失信 or earlier abuse), with the reason."""

    __tablename__ = "blacklist_entry"
    __table_args__ = (UniqueConstraint("enterprise_id"),)

    id: int | None = Field(default=None, primary_key=True)
    enterprise_id: int = Field(foreign_key="enterprise.id", nullable=False)
    reason: str = Field(sa_column=Column(String(500), nullable=False))
    created_at: datetime = _timestamp()  # type: ignore[assignment]


class Application(SQLModel, table=True):
    """An enterprise's application for a voucher (申领), its automatic checks and review."""

    __tablename__ = "application"
    __table_args__ = (
        CheckConstraint(
            "status IN ('submitted', 'returned', 'approved', 'rejected')", name="status_known"
        ),
        CheckConstraint("size_class IN ('micro', 'small', 'medium')", name="size_known"),
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
    requested_fen: int = _money()  # type: ignore[assignment]
    approved_fen: int | None = Field(default=None, sa_column=Column(BigInt, nullable=True))
    planned_use: str = Field(sa_column=Column(String(2000), nullable=False))
    intended_providers: str = Field(sa_column=Column(String(2000), nullable=False))  # JSON
    size_class: str = Field(sa_column=Column(String(10), nullable=False))
    headcount: int
    revenue_fen: int = _money()  # type: ignore[assignment]
    declares_no_related_party: bool
    eligible: bool
    checks: str = Field(sa_column=Column(Text, nullable=False))  # JSON: [{check, ok, message}]
    flags: str = Field(sa_column=Column(Text, nullable=False))  # JSON: [message]
    status: str = Field(sa_column=Column(String(16), nullable=False))
    decision_reason: str | None = Field(default=None, sa_column=Column(String(1000)))
    decided_by: str | None = Field(default=None, sa_column=Column(String(250)))
    decided_at: datetime | None = _timestamp(nullable=True)  # type: ignore[assignment]
    voucher_id: int | None = Field(default=None, foreign_key="voucher.id")
    created_at: datetime = _timestamp()  # type: ignore[assignment]
    updated_at: datetime = _timestamp()  # type: ignore[assignment]


class TelemetrySnapshot(SQLModel, table=True):
    """A provider's report of its capacity for one accelerator model at one moment."""

    __tablename__ = "telemetry_snapshot"
    __table_args__ = (
        Index(None, "provider_id", "resource_model", "observed_at"),
        CheckConstraint("available >= 0 AND available <= total", name="available_within_total"),
        CheckConstraint("utilisation_bp BETWEEN 0 AND 10000", name="utilisation_range"),
        CheckConstraint("queue_wait_seconds >= 0", name="wait_nonnegative"),
        CheckConstraint("list_price_fen >= 0", name="price_nonnegative"),
    )

    id: int | None = Field(default=None, sa_column=Column(BigInt, primary_key=True))
    provider_id: int = Field(foreign_key="provider.id", nullable=False)
    observed_at: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))
    resource_model: str = Field(sa_column=Column(String(100), nullable=False))
    total: int
    available: int
    utilisation_bp: int
    queue_wait_seconds: int
    list_price_fen: int = _money()  # type: ignore[assignment]


class ProbeResult(SQLModel, table=True):
    """One health probe of a provider's registered endpoint."""

    __tablename__ = "probe_result"
    __table_args__ = (Index(None, "provider_id", "probed_at"),)

    id: int | None = Field(default=None, sa_column=Column(BigInt, primary_key=True))
    provider_id: int = Field(foreign_key="provider.id", nullable=False)
    probed_at: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))
    ok: bool
    latency_ms: int | None = None
    status_code: int | None = None
    error: str | None = Field(default=None, sa_column=Column(String(300), nullable=True))
