"""caps per year beside the lifetime cap: a rule version may cap each subsidy year as well as
the whole window (1M a year and 2M over the window); a subsidy then counts against both

Revision ID: 0028
Revises: 0027
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0028"
down_revision: str | None = "0027"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("rule_version", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "year_cap_fen", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
            )
        )
        batch_op.create_check_constraint(
            "year_cap_within_cap",
            "year_cap_fen IS NULL OR (cap_scope = 'lifetime' AND year_cap_fen > 0"
            " AND year_cap_fen <= cap_fen)",
        )


def downgrade() -> None:
    # A version with a cap per year keeps its lifetime cap; its year cap is dropped (the
    # counters of its subsidy years stay, as a per-year program's do).
    with op.batch_alter_table("rule_version", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_rule_version_year_cap_within_cap"), type_="check")
        batch_op.drop_column("year_cap_fen")
