"""the usage rollup also by pool and service month, for the bureau's aggregates (subsidies by
month and by provider per program and year) without scanning the usage records

The rollup holds nothing that is not in the usage records: the table is made again with its
new columns, empty, and marked unbuilt, so the first reader after the upgrade (or the
downgrade) computes it from the records once.

Revision ID: 0015
Revises: 0014
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

MONEY = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def _rollup(*, by_pool: bool) -> None:
    extra = (
        [
            sa.Column("pool_id", sa.Integer(), nullable=True),
            sa.Column("service_month", sa.Date(), nullable=False),
            sa.ForeignKeyConstraint(
                ["pool_id"], ["pool.id"], name=op.f("fk_usage_rollup_pool_id_pool")
            ),
        ]
        if by_pool
        else []
    )
    key = ["provider_id", "day", "outcome", *(["pool_id", "service_month"] if by_pool else [])]
    op.create_table(
        "usage_rollup",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("provider_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("outcome", sa.String(length=16), nullable=False),
        sa.Column("records", MONEY, nullable=False),
        sa.Column("fee_fen", MONEY, nullable=False),
        sa.Column("subsidy_fen", MONEY, nullable=False),
        *extra,
        sa.ForeignKeyConstraint(
            ["provider_id"], ["provider.id"], name=op.f("fk_usage_rollup_provider_id_provider")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_usage_rollup")),
        sa.UniqueConstraint(*key, name=op.f("uq_usage_rollup_" + "_".join(key))),
    )
    op.create_index(op.f("ix_usage_rollup_day"), "usage_rollup", ["day"], unique=False)
    if by_pool:
        op.create_index(
            op.f("ix_usage_rollup_pool_id"),
            "usage_rollup",
            ["pool_id", "service_month"],
            unique=False,
        )
    op.execute("UPDATE rollup_state SET refreshed_at = NULL, built = false")


def upgrade() -> None:
    op.drop_table("usage_rollup")
    _rollup(by_pool=True)


def downgrade() -> None:
    op.drop_table("usage_rollup")
    _rollup(by_pool=False)
