"""usage_dispute: a provider disputes a refused or priced usage record; a reviewer accepts
it (naming the correction made through the ordinary repost or refund path) or declines it

Revision ID: 0022
Revises: 0021
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0022"
down_revision: str | None = "0021"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OPEN = sa.text("status = 'open'")


def upgrade() -> None:
    op.create_table(
        "usage_dispute",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("provider_id", sa.Integer(), nullable=False),
        sa.Column(
            "usage_record_id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            nullable=False,
        ),
        sa.Column("reason", sa.String(length=1000), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("correction", sa.String(length=16), nullable=True),
        sa.Column("resolution", sa.String(length=1000), nullable=False),
        sa.Column("correction_record_id", sa.String(length=128), nullable=True),
        sa.Column("raised_by", sa.String(length=200), nullable=False),
        sa.Column("raised_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("decided_by_id", sa.Integer(), nullable=True),
        sa.Column("decided_by", sa.String(length=200), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "status IN ('open', 'accepted', 'declined')",
            name=op.f("ck_usage_dispute_status_known"),
        ),
        sa.CheckConstraint(
            "correction IN ('repost', 'refund', 'none')",
            name=op.f("ck_usage_dispute_correction_known"),
        ),
        sa.CheckConstraint(
            "(status = 'open' AND decided_at IS NULL) OR (status <> 'open' AND decided_at IS NOT"
            " NULL AND resolution <> '')",
            name=op.f("ck_usage_dispute_decided_with_reason"),
        ),
        sa.ForeignKeyConstraint(
            ["provider_id"], ["provider.id"], name=op.f("fk_usage_dispute_provider_id_provider")
        ),
        sa.ForeignKeyConstraint(
            ["usage_record_id"],
            ["usage_record.id"],
            name=op.f("fk_usage_dispute_usage_record_id_usage_record"),
        ),
        sa.ForeignKeyConstraint(
            ["decided_by_id"],
            ["principal.id"],
            name=op.f("fk_usage_dispute_decided_by_id_principal"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_usage_dispute")),
    )
    op.create_index(op.f("ix_usage_dispute_status"), "usage_dispute", ["status", "raised_at"])
    op.create_index(
        op.f("ix_usage_dispute_provider_id"), "usage_dispute", ["provider_id", "raised_at"]
    )
    op.create_index(
        "uq_usage_dispute_open_record",
        "usage_dispute",
        ["usage_record_id"],
        unique=True,
        sqlite_where=OPEN,
        postgresql_where=OPEN,
    )


def downgrade() -> None:
    op.drop_index("uq_usage_dispute_open_record", table_name="usage_dispute")
    op.drop_index(op.f("ix_usage_dispute_provider_id"), table_name="usage_dispute")
    op.drop_index(op.f("ix_usage_dispute_status"), table_name="usage_dispute")
    op.drop_table("usage_dispute")
