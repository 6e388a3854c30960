"""providers, their catalogues and status history, redemptions, usage records; postings
point at the usage record they price

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-28 23:13:29.631389
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "provider",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("uscc", sa.String(length=18), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("status_reason", sa.String(length=500), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "status IN ('active', 'suspended')", name=op.f("ck_provider_status_known")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_provider")),
        sa.UniqueConstraint("uscc", name=op.f("uq_provider_uscc")),
    )
    op.create_table(
        "provider_offering",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("provider_id", sa.Integer(), nullable=False),
        sa.Column("resource_kind", sa.String(length=20), nullable=False),
        sa.Column("resource_model", sa.String(length=100), nullable=False),
        sa.Column("unit", sa.String(length=20), nullable=False),
        sa.Column(
            "list_price_fen", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.CheckConstraint(
            "list_price_fen >= 0", name=op.f("ck_provider_offering_price_nonnegative")
        ),
        sa.ForeignKeyConstraint(
            ["provider_id"], ["provider.id"], name=op.f("fk_provider_offering_provider_id_provider")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_provider_offering")),
        sa.UniqueConstraint(
            "provider_id",
            "resource_kind",
            "resource_model",
            "unit",
            name=op.f("uq_provider_offering_provider_id_resource_kind_resource_model_unit"),
        ),
    )
    op.create_table(
        "provider_status_change",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("provider_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("reason", sa.String(length=500), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["provider_id"],
            ["provider.id"],
            name=op.f("fk_provider_status_change_provider_id_provider"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_provider_status_change")),
    )
    with op.batch_alter_table("provider_status_change", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_provider_status_change_provider_id"), ["provider_id"], unique=False
        )

    op.create_table(
        "redemption",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("voucher_id", sa.Integer(), nullable=False),
        sa.Column("provider_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "status IN ('active', 'ended')", name=op.f("ck_redemption_status_known")
        ),
        sa.ForeignKeyConstraint(
            ["provider_id"], ["provider.id"], name=op.f("fk_redemption_provider_id_provider")
        ),
        sa.ForeignKeyConstraint(
            ["voucher_id"], ["voucher.id"], name=op.f("fk_redemption_voucher_id_voucher")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_redemption")),
        sa.UniqueConstraint(
            "voucher_id", "provider_id", name=op.f("uq_redemption_voucher_id_provider_id")
        ),
    )
    with op.batch_alter_table("redemption", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_redemption_provider_id"), ["provider_id", "status"], unique=False
        )

    op.create_table(
        "usage_record",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("provider_id", sa.Integer(), nullable=False),
        sa.Column("record_id", sa.String(length=128), nullable=False),
        sa.Column("body_hash", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column(
            "original_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
        ),
        sa.Column("voucher_id", sa.Integer(), nullable=True),
        sa.Column("enterprise_id", sa.Integer(), nullable=True),
        sa.Column("enrolment_id", sa.Integer(), nullable=True),
        sa.Column("cap_period", sa.Integer(), nullable=True),
        sa.Column("voucher_code", sa.String(length=19), nullable=False),
        sa.Column("uscc", sa.String(length=18), nullable=False),
        sa.Column("resource_kind", sa.String(length=20), nullable=False),
        sa.Column("resource_model", sa.String(length=100), nullable=False),
        sa.Column("quantity", sa.String(length=24), nullable=False),
        sa.Column("unit", sa.String(length=20), nullable=False),
        sa.Column(
            "unit_price_fen", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("fee_fen", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "full_subsidy_fen", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column(
            "subsidy_fen", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column(
            "enterprise_share_fen",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            nullable=False,
        ),
        sa.Column("outcome", sa.String(length=16), nullable=False),
        sa.Column("reason", sa.String(length=40), nullable=True),
        sa.Column("rule_version", sa.Integer(), nullable=True),
        sa.Column("service_start", sa.DateTime(timezone=True), nullable=False),
        sa.Column("service_end", sa.DateTime(timezone=True), nullable=False),
        sa.Column("service_date", sa.Date(), nullable=False),
        sa.Column("attributes", sa.String(length=4000), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "(kind = 'usage' AND fee_fen >= 0 AND subsidy_fen >= 0 AND subsidy_fen <= fee_fen)"
            " OR (kind = 'adjustment' AND fee_fen <= 0 AND subsidy_fen <= 0"
            " AND original_id IS NOT NULL)",
            name=op.f("ck_usage_record_amounts_by_kind"),
        ),
        sa.CheckConstraint(
            "kind IN ('usage', 'adjustment')", name=op.f("ck_usage_record_kind_known")
        ),
        sa.CheckConstraint(
            "outcome IN ('subsidised', 'partial', 'refused', 'adjusted')",
            name=op.f("ck_usage_record_outcome_known"),
        ),
        sa.CheckConstraint(
            "enterprise_share_fen = fee_fen - subsidy_fen",
            name=op.f("ck_usage_record_shares_add_up"),
        ),
        sa.ForeignKeyConstraint(
            ["enrolment_id"], ["enrolment.id"], name=op.f("fk_usage_record_enrolment_id_enrolment")
        ),
        sa.ForeignKeyConstraint(
            ["enterprise_id"],
            ["enterprise.id"],
            name=op.f("fk_usage_record_enterprise_id_enterprise"),
        ),
        sa.ForeignKeyConstraint(
            ["provider_id"], ["provider.id"], name=op.f("fk_usage_record_provider_id_provider")
        ),
        sa.ForeignKeyConstraint(
            ["voucher_id"], ["voucher.id"], name=op.f("fk_usage_record_voucher_id_voucher")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_usage_record")),
        sa.UniqueConstraint(
            "provider_id", "record_id", name=op.f("uq_usage_record_provider_id_record_id")
        ),
    )
    with op.batch_alter_table("usage_record", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_usage_record_enterprise_id"),
            ["enterprise_id", "service_date"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_usage_record_original_id"), ["original_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_usage_record_provider_id"), ["provider_id", "service_date"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_usage_record_voucher_id"), ["voucher_id", "service_date"], unique=False
        )

    # Not in batch mode: a SQLite table rebuild would drop the append-only triggers.
    op.add_column(
        "ledger_posting",
        sa.Column(
            "usage_record_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
        ),
    )
    op.create_index(
        op.f("ix_ledger_posting_usage_record_id"),
        "ledger_posting",
        ["usage_record_id"],
        unique=False,
    )
    _forbid_usage_record_changes()


def _forbid_usage_record_changes() -> None:
    """Priced usage records are never updated or deleted (DESIGN.md, invariant 5)."""
    message = "usage_record is append-only"
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "CREATE FUNCTION usage_record_append_only() RETURNS trigger AS $$ "
            f"BEGIN RAISE EXCEPTION '{message}'; END; $$ LANGUAGE plpgsql"
        )
        op.execute(
            "CREATE TRIGGER usage_record_append_only BEFORE UPDATE OR DELETE ON usage_record "
            "FOR EACH ROW EXECUTE FUNCTION usage_record_append_only()"
        )
    else:
        for action in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER usage_record_no_{action.lower()} BEFORE {action} "
                f"ON usage_record BEGIN SELECT RAISE(ABORT, '{message}'); END"
            )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS usage_record_append_only ON usage_record")
        op.execute("DROP FUNCTION IF EXISTS usage_record_append_only()")
    op.drop_index(op.f("ix_ledger_posting_usage_record_id"), table_name="ledger_posting")
    op.drop_column("ledger_posting", "usage_record_id")

    with op.batch_alter_table("usage_record", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_usage_record_voucher_id"))
        batch_op.drop_index(batch_op.f("ix_usage_record_provider_id"))
        batch_op.drop_index(batch_op.f("ix_usage_record_original_id"))
        batch_op.drop_index(batch_op.f("ix_usage_record_enterprise_id"))

    op.drop_table("usage_record")
    with op.batch_alter_table("redemption", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_redemption_provider_id"))

    op.drop_table("redemption")
    with op.batch_alter_table("provider_status_change", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_provider_status_change_provider_id"))

    op.drop_table("provider_status_change")
    op.drop_table("provider_offering")
    op.drop_table("provider")
