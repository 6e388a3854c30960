"""usage rolled up by provider, day and outcome, for /metrics and the quality score; an index
on usage records' creation time, so the rollup refreshes only the last days

Revision ID: 0011
Revises: 0010
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "usage_rollup",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("provider_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("outcome", sa.String(length=16), nullable=False),
        sa.Column("records", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("fee_fen", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "subsidy_fen", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.ForeignKeyConstraint(
            ["provider_id"], ["provider.id"], name=op.f("fk_usage_rollup_provider_id_provider")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_usage_rollup")),
        sa.UniqueConstraint(
            "provider_id", "day", "outcome", name=op.f("uq_usage_rollup_provider_id_day_outcome")
        ),
    )
    op.create_index(op.f("ix_usage_rollup_day"), "usage_rollup", ["day"], unique=False)
    op.create_table(
        "rollup_state",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("refreshed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("built", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rollup_state")),
    )
    op.execute("INSERT INTO rollup_state (id, refreshed_at, built) VALUES (1, NULL, false)")
    op.create_index(
        op.f("ix_usage_record_created_at"), "usage_record", ["created_at"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_usage_record_created_at"), table_name="usage_record")
    op.drop_table("rollup_state")
    op.drop_index(op.f("ix_usage_rollup_day"), table_name="usage_rollup")
    op.drop_table("usage_rollup")
