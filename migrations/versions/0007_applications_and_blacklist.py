"""voucher applications with their checks and review; the blacklist; programs gain their
eligibility parameters (region, SME thresholds)

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-29 00:10:10.890087
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "blacklist_entry",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("enterprise_id", sa.Integer(), nullable=False),
        sa.Column("reason", sa.String(length=500), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["enterprise_id"],
            ["enterprise.id"],
            name=op.f("fk_blacklist_entry_enterprise_id_enterprise"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_blacklist_entry")),
        sa.UniqueConstraint("enterprise_id", name=op.f("uq_blacklist_entry_enterprise_id")),
    )
    op.create_table(
        "application",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("enterprise_id", sa.Integer(), nullable=False),
        sa.Column("program_id", sa.Integer(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column(
            "requested_fen", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column(
            "approved_fen", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
        ),
        sa.Column("planned_use", sa.String(length=2000), nullable=False),
        sa.Column("intended_providers", sa.String(length=2000), nullable=False),
        sa.Column("size_class", sa.String(length=10), nullable=False),
        sa.Column("headcount", sa.Integer(), nullable=False),
        sa.Column(
            "revenue_fen", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("declares_no_related_party", sa.Boolean(), nullable=False),
        sa.Column("eligible", sa.Boolean(), nullable=False),
        sa.Column("checks", sa.Text(), nullable=False),
        sa.Column("flags", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("decision_reason", sa.String(length=1000), nullable=True),
        sa.Column("decided_by", sa.String(length=250), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("voucher_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "(status = 'approved') = (voucher_id IS NOT NULL)",
            name=op.f("ck_application_approved_has_voucher"),
        ),
        sa.CheckConstraint(
            "size_class IN ('micro', 'small', 'medium')", name=op.f("ck_application_size_known")
        ),
        sa.CheckConstraint(
            "status IN ('submitted', 'returned', 'approved', 'rejected')",
            name=op.f("ck_application_status_known"),
        ),
        sa.CheckConstraint("requested_fen > 0", name=op.f("ck_application_requested_positive")),
        sa.ForeignKeyConstraint(
            ["enterprise_id"],
            ["enterprise.id"],
            name=op.f("fk_application_enterprise_id_enterprise"),
        ),
        sa.ForeignKeyConstraint(
            ["program_id"], ["program.id"], name=op.f("fk_application_program_id_program")
        ),
        sa.ForeignKeyConstraint(
            ["voucher_id"], ["voucher.id"], name=op.f("fk_application_voucher_id_voucher")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_application")),
    )
    with op.batch_alter_table("application", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_application_enterprise_id"), ["enterprise_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_application_status"), ["status", "program_id", "year"], unique=False
        )

    with op.batch_alter_table("program", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("region_prefix", sa.String(length=6), server_default="4201", nullable=False)
        )
        batch_op.add_column(
            sa.Column("sme_max_headcount", sa.Integer(), server_default="1000", nullable=False)
        )
        batch_op.add_column(
            sa.Column(
                "sme_max_revenue_fen",
                sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
                server_default="40000000000",
                nullable=False,
            )
        )


def downgrade() -> None:
    with op.batch_alter_table("program", schema=None) as batch_op:
        batch_op.drop_column("sme_max_revenue_fen")
        batch_op.drop_column("sme_max_headcount")
        batch_op.drop_column("region_prefix")

    with op.batch_alter_table("application", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_application_status"))
        batch_op.drop_index(batch_op.f("ix_application_enterprise_id"))

    op.drop_table("application")
    op.drop_table("blacklist_entry")
