"""create ledger core: programs, rule versions, pools, enterprises, enrolments, cap
counters, vouchers and the append-only ledger

Revision ID: 0001
Revises: (none)
Create Date: 2026-11-28 22:56:32.894903
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "enterprise",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("uscc", sa.String(length=18), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("district_code", sa.String(length=6), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_enterprise")),
        sa.UniqueConstraint("uscc", name=op.f("uq_enterprise_uscc")),
    )
    op.create_table(
        "program",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("description", sa.String(length=2000), nullable=False),
        sa.Column("valid_from", sa.Date(), nullable=False),
        sa.Column("valid_to", sa.Date(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("valid_to >= valid_from", name=op.f("ck_program_valid_period")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_program")),
        sa.UniqueConstraint("code", name=op.f("uq_program_code")),
    )
    op.create_table(
        "enrolment",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("enterprise_id", sa.Integer(), nullable=False),
        sa.Column("program_id", sa.Integer(), nullable=False),
        sa.Column("window_start", sa.Date(), nullable=False),
        sa.Column("window_end", sa.Date(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("window_end > window_start", name=op.f("ck_enrolment_window_order")),
        sa.ForeignKeyConstraint(
            ["enterprise_id"], ["enterprise.id"], name=op.f("fk_enrolment_enterprise_id_enterprise")
        ),
        sa.ForeignKeyConstraint(
            ["program_id"], ["program.id"], name=op.f("fk_enrolment_program_id_program")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_enrolment")),
        sa.UniqueConstraint(
            "enterprise_id", "program_id", name=op.f("uq_enrolment_enterprise_id_program_id")
        ),
    )
    op.create_table(
        "pool",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("program_id", sa.Integer(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column(
            "total_fen", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column(
            "available_fen", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "available_fen <= total_fen", name=op.f("ck_pool_available_within_total")
        ),
        sa.CheckConstraint("available_fen >= 0", name=op.f("ck_pool_available_nonnegative")),
        sa.CheckConstraint("total_fen > 0", name=op.f("ck_pool_total_positive")),
        sa.ForeignKeyConstraint(
            ["program_id"], ["program.id"], name=op.f("fk_pool_program_id_program")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pool")),
        sa.UniqueConstraint("program_id", "year", name=op.f("uq_pool_program_id_year")),
    )
    op.create_table(
        "rule_version",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("program_id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("effective_from", sa.Date(), nullable=False),
        sa.Column("rate_bp", sa.Integer(), nullable=False),
        sa.Column("cap_fen", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("cap_scope", sa.String(length=16), nullable=False),
        sa.Column("window_months", sa.Integer(), nullable=False),
        sa.Column(
            "pool_minimum_fen", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "cap_scope IN ('lifetime', 'per_year')", name=op.f("ck_rule_version_cap_scope_known")
        ),
        sa.CheckConstraint("cap_fen > 0", name=op.f("ck_rule_version_cap_positive")),
        sa.CheckConstraint(
            "pool_minimum_fen >= 0", name=op.f("ck_rule_version_pool_minimum_nonnegative")
        ),
        sa.CheckConstraint(
            "rate_bp > 0 AND rate_bp <= 10000", name=op.f("ck_rule_version_rate_range")
        ),
        sa.CheckConstraint(
            "window_months BETWEEN 1 AND 120", name=op.f("ck_rule_version_window_range")
        ),
        sa.ForeignKeyConstraint(
            ["program_id"], ["program.id"], name=op.f("fk_rule_version_program_id_program")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rule_version")),
        sa.UniqueConstraint(
            "program_id", "effective_from", name=op.f("uq_rule_version_program_id_effective_from")
        ),
        sa.UniqueConstraint(
            "program_id", "version", name=op.f("uq_rule_version_program_id_version")
        ),
    )
    op.create_table(
        "cap_usage",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("enrolment_id", sa.Integer(), nullable=False),
        sa.Column("period", sa.Integer(), nullable=False),
        sa.Column("used_fen", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.CheckConstraint("used_fen >= 0", name=op.f("ck_cap_usage_used_nonnegative")),
        sa.ForeignKeyConstraint(
            ["enrolment_id"], ["enrolment.id"], name=op.f("fk_cap_usage_enrolment_id_enrolment")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_cap_usage")),
        sa.UniqueConstraint(
            "enrolment_id", "period", name=op.f("uq_cap_usage_enrolment_id_period")
        ),
    )
    op.create_table(
        "voucher",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=19), nullable=False),
        sa.Column("pool_id", sa.Integer(), nullable=False),
        sa.Column("program_id", sa.Integer(), nullable=False),
        sa.Column("enterprise_id", sa.Integer(), nullable=False),
        sa.Column("enrolment_id", sa.Integer(), nullable=False),
        sa.Column(
            "face_value_fen", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column(
            "balance_fen", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column(
            "subsidised_fen", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column(
            "released_fen", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("valid_from", sa.Date(), nullable=False),
        sa.Column("valid_to", sa.Date(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("issued_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("close_reason", sa.String(length=500), nullable=True),
        sa.CheckConstraint(
            "status IN ('active', 'revoked', 'expired')", name=op.f("ck_voucher_status_known")
        ),
        sa.CheckConstraint("balance_fen >= 0", name=op.f("ck_voucher_balance_nonnegative")),
        sa.CheckConstraint(
            "face_value_fen = balance_fen + subsidised_fen + released_fen",
            name=op.f("ck_voucher_conservation"),
        ),
        sa.CheckConstraint("face_value_fen > 0", name=op.f("ck_voucher_face_positive")),
        sa.CheckConstraint("released_fen >= 0", name=op.f("ck_voucher_released_nonnegative")),
        sa.CheckConstraint("subsidised_fen >= 0", name=op.f("ck_voucher_subsidised_nonnegative")),
        sa.CheckConstraint("valid_to >= valid_from", name=op.f("ck_voucher_valid_period")),
        sa.ForeignKeyConstraint(
            ["enrolment_id"], ["enrolment.id"], name=op.f("fk_voucher_enrolment_id_enrolment")
        ),
        sa.ForeignKeyConstraint(
            ["enterprise_id"], ["enterprise.id"], name=op.f("fk_voucher_enterprise_id_enterprise")
        ),
        sa.ForeignKeyConstraint(["pool_id"], ["pool.id"], name=op.f("fk_voucher_pool_id_pool")),
        sa.ForeignKeyConstraint(
            ["program_id"], ["program.id"], name=op.f("fk_voucher_program_id_program")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_voucher")),
        sa.UniqueConstraint("code", name=op.f("uq_voucher_code")),
    )
    with op.batch_alter_table("voucher", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_voucher_enterprise_id"), ["enterprise_id", "program_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_voucher_pool_id"), ["pool_id", "status"], unique=False)
        batch_op.create_index(batch_op.f("ix_voucher_status"), ["status", "valid_to"], unique=False)

    op.create_table(
        "ledger_posting",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("from_account", sa.String(length=40), nullable=False),
        sa.Column("to_account", sa.String(length=40), nullable=False),
        sa.Column(
            "amount_fen", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("pool_id", sa.Integer(), nullable=True),
        sa.Column("voucher_id", sa.Integer(), nullable=True),
        sa.Column("memo", sa.String(length=500), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "kind IN ('fund', 'issue', 'subsidy', 'reversal', 'release', 'settle')",
            name=op.f("ck_ledger_posting_kind_known"),
        ),
        sa.CheckConstraint("amount_fen > 0", name=op.f("ck_ledger_posting_amount_positive")),
        sa.CheckConstraint(
            "from_account <> to_account", name=op.f("ck_ledger_posting_distinct_accounts")
        ),
        sa.ForeignKeyConstraint(
            ["pool_id"], ["pool.id"], name=op.f("fk_ledger_posting_pool_id_pool")
        ),
        sa.ForeignKeyConstraint(
            ["voucher_id"], ["voucher.id"], name=op.f("fk_ledger_posting_voucher_id_voucher")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ledger_posting")),
    )
    with op.batch_alter_table("ledger_posting", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_ledger_posting_from_account"), ["from_account"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_ledger_posting_to_account"), ["to_account"], unique=False
        )
    _forbid_ledger_changes()


# Postings are never updated or deleted: corrections are new postings (DESIGN.md, inv. 5).
_APPEND_ONLY_MESSAGE = "ledger_posting is append-only"


def _forbid_ledger_changes() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            f"""
            CREATE FUNCTION ledger_posting_append_only() RETURNS trigger AS $$
            BEGIN
                RAISE EXCEPTION '{_APPEND_ONLY_MESSAGE}';
            END;
            $$ LANGUAGE plpgsql
            """
        )
        op.execute(
            "CREATE TRIGGER ledger_posting_append_only BEFORE UPDATE OR DELETE ON ledger_posting "
            "FOR EACH ROW EXECUTE FUNCTION ledger_posting_append_only()"
        )
    else:
        for action in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER ledger_posting_no_{action.lower()} BEFORE {action} "
                f"ON ledger_posting BEGIN SELECT RAISE(ABORT, '{_APPEND_ONLY_MESSAGE}'); END"
            )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS ledger_posting_append_only ON ledger_posting")
        op.execute("DROP FUNCTION IF EXISTS ledger_posting_append_only()")
    with op.batch_alter_table("ledger_posting", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_ledger_posting_to_account"))
        batch_op.drop_index(batch_op.f("ix_ledger_posting_from_account"))

    op.drop_table("ledger_posting")
    with op.batch_alter_table("voucher", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_voucher_status"))
        batch_op.drop_index(batch_op.f("ix_voucher_pool_id"))
        batch_op.drop_index(batch_op.f("ix_voucher_enterprise_id"))

    op.drop_table("voucher")
    op.drop_table("cap_usage")
    op.drop_table("rule_version")
    op.drop_table("pool")
    op.drop_table("enrolment")
    op.drop_table("program")
    op.drop_table("enterprise")
