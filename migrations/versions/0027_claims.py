"""claims after payment (reimbursement mode): a program's mode (point of sale or
reimbursement); claims with their invoices (each seller's invoice claimed once, ever) and
corrections; the ledger's claim postings (pool -> claim:<c> approved, claim:<c> -> pool
corrected, claim:<c> -> enterprise:<e> paid)

Revision ID: 0027
Revises: 0026
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0027"
down_revision: str | None = "0026"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

POSTING_KINDS = (
    "fund",
    "issue",
    "subsidy",
    "reversal",
    "release",
    "settle",
    "reserve",
    "unreserve",
)
POSTING_KINDS_AFTER = (*POSTING_KINDS, "claim", "claim_reversal", "claim_pay")
_APPEND_ONLY_MESSAGE = "ledger_posting is append-only"
BIG = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN (" + ", ".join(f"'{v}'" for v in values) + ")"


def _posting_kinds(kinds: tuple[str, ...]) -> None:
    """Replace ledger_posting's kind check (as 0023: SQLite rebuilds the table, so its
    append-only triggers are made again after)."""
    if op.get_bind().dialect.name == "postgresql":
        op.drop_constraint(op.f("ck_ledger_posting_kind_known"), "ledger_posting", type_="check")
        op.create_check_constraint("kind_known", "ledger_posting", _in("kind", kinds))
        return
    with op.batch_alter_table("ledger_posting", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_ledger_posting_kind_known"), type_="check")
        batch_op.create_check_constraint("kind_known", _in("kind", kinds))
    for action in ("UPDATE", "DELETE"):
        op.execute(f"DROP TRIGGER IF EXISTS ledger_posting_no_{action.lower()}")
        op.execute(
            f"CREATE TRIGGER ledger_posting_no_{action.lower()} BEFORE {action} "
            f"ON ledger_posting BEGIN SELECT RAISE(ABORT, '{_APPEND_ONLY_MESSAGE}'); END"
        )


def _fk(table: str, column: str, target: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        [column], [f"{target}.id"], name=op.f(f"fk_{table}_{column}_{target}")
    )


def upgrade() -> None:
    with op.batch_alter_table("program", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("mode", sa.String(16), nullable=False, server_default="point_of_sale")
        )
        batch_op.create_check_constraint("mode_known", "mode IN ('point_of_sale', 'reimbursement')")
    op.create_table(
        "claim",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("enterprise_id", sa.Integer(), nullable=False),
        sa.Column("program_id", sa.Integer(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("pool_id", sa.Integer(), nullable=True),
        sa.Column("enrolment_id", sa.Integer(), nullable=True),
        sa.Column("period_start", sa.Date(), nullable=False),
        sa.Column("period_end", sa.Date(), nullable=False),
        sa.Column("contract_reference", sa.String(100), nullable=False),
        sa.Column("payment_proof", sa.String(500), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("claimed_fen", BIG, nullable=False),
        sa.Column("approved_fen", BIG, nullable=False),
        sa.Column("subsidy_fen", BIG, nullable=False),
        sa.Column("paid_fen", BIG, nullable=False),
        sa.Column("reason", sa.String(1000), nullable=False),
        sa.Column("submitted_by", sa.String(200), nullable=False),
        sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("decided_by_id", sa.Integer(), nullable=True),
        sa.Column("decided_by", sa.String(200), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("paid_by_id", sa.Integer(), nullable=True),
        sa.Column("paid_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("payment_reference", sa.String(100), nullable=True),
        sa.CheckConstraint(
            "status IN ('submitted', 'approved', 'rejected', 'paid')",
            name=op.f("ck_claim_status_known"),
        ),
        sa.CheckConstraint("period_end >= period_start", name=op.f("ck_claim_period_order")),
        sa.CheckConstraint("claimed_fen > 0", name=op.f("ck_claim_claimed_positive")),
        sa.CheckConstraint("subsidy_fen >= 0", name=op.f("ck_claim_subsidy_nonnegative")),
        sa.CheckConstraint("paid_fen >= 0", name=op.f("ck_claim_paid_nonnegative")),
        sa.CheckConstraint(
            "(status = 'paid') = (payment_reference IS NOT NULL)",
            name=op.f("ck_claim_paid_has_reference"),
        ),
        sa.CheckConstraint(
            "paid_by_id <> decided_by_id", name=op.f("ck_claim_approver_never_pays")
        ),
        _fk("claim", "enterprise_id", "enterprise"),
        _fk("claim", "program_id", "program"),
        _fk("claim", "pool_id", "pool"),
        _fk("claim", "enrolment_id", "enrolment"),
        _fk("claim", "decided_by_id", "principal"),
        _fk("claim", "paid_by_id", "principal"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_claim")),
    )
    op.create_index(op.f("ix_claim_status"), "claim", ["status", "submitted_at"])
    op.create_index(op.f("ix_claim_enterprise_id"), "claim", ["enterprise_id", "submitted_at"])
    op.create_table(
        "claim_invoice",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("claim_id", sa.Integer(), nullable=False),
        sa.Column("invoice_number", sa.String(40), nullable=False),
        sa.Column("invoice_date", sa.Date(), nullable=False),
        sa.Column("amount_fen", BIG, nullable=False),
        sa.Column("seller_name", sa.String(200), nullable=False),
        sa.Column("seller_uscc", sa.String(18), nullable=False),
        sa.Column("approved_fen", BIG, nullable=False),
        sa.Column("subsidy_fen", BIG, nullable=False),
        sa.Column("reason", sa.String(1000), nullable=False),
        sa.Column("rule_version", sa.Integer(), nullable=True),
        sa.Column("cap_period", sa.Integer(), nullable=True),
        sa.Column("shortfall", sa.String(40), nullable=True),
        sa.CheckConstraint("amount_fen > 0", name=op.f("ck_claim_invoice_amount_positive")),
        sa.CheckConstraint(
            "approved_fen >= 0 AND approved_fen <= amount_fen",
            name=op.f("ck_claim_invoice_approved_within_amount"),
        ),
        sa.CheckConstraint(
            "subsidy_fen >= 0 AND subsidy_fen <= approved_fen",
            name=op.f("ck_claim_invoice_subsidy_range"),
        ),
        _fk("claim_invoice", "claim_id", "claim"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_claim_invoice")),
        sa.UniqueConstraint(
            "seller_uscc",
            "invoice_number",
            name=op.f("uq_claim_invoice_seller_uscc_invoice_number"),
        ),
    )
    op.create_index(op.f("ix_claim_invoice_claim_id"), "claim_invoice", ["claim_id"])
    op.create_table(
        "claim_correction",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("claim_id", sa.Integer(), nullable=False),
        sa.Column("invoice_id", sa.Integer(), nullable=False),
        sa.Column("reduced_fen", BIG, nullable=False),
        sa.Column("subsidy_back_fen", BIG, nullable=False),
        sa.Column("reason", sa.String(1000), nullable=False),
        sa.Column("corrected_by", sa.String(200), nullable=False),
        sa.Column("corrected_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("reduced_fen > 0", name=op.f("ck_claim_correction_reduced_positive")),
        sa.CheckConstraint(
            "subsidy_back_fen >= 0", name=op.f("ck_claim_correction_back_nonnegative")
        ),
        _fk("claim_correction", "claim_id", "claim"),
        _fk("claim_correction", "invoice_id", "claim_invoice"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_claim_correction")),
    )
    op.create_index(op.f("ix_claim_correction_claim_id"), "claim_correction", ["claim_id"])
    _posting_kinds(POSTING_KINDS_AFTER)


def downgrade() -> None:
    # Claim postings have no kind before this revision: a database holding one cannot go
    # back (the CHECK refuses to be made again over them), as 0023's reservations.
    _posting_kinds(POSTING_KINDS)
    op.drop_index(op.f("ix_claim_correction_claim_id"), table_name="claim_correction")
    op.drop_table("claim_correction")
    op.drop_index(op.f("ix_claim_invoice_claim_id"), table_name="claim_invoice")
    op.drop_table("claim_invoice")
    op.drop_index(op.f("ix_claim_enterprise_id"), table_name="claim")
    op.drop_index(op.f("ix_claim_status"), table_name="claim")
    op.drop_table("claim")
    with op.batch_alter_table("program", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_program_mode_known"), type_="check")
        batch_op.drop_column("mode")
