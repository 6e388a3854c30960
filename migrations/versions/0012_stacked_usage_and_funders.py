"""stacked usage: a top-up program's layer of a usage record is a record of its own (kind
'topup', no fee, pointing at the usage record), and a stacked record keeps the combined rate
ceiling that priced it; settlement statements bill one funding source (program) each

Revision ID: 0012
Revises: 0011
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

KINDS_BEFORE = "kind IN ('usage', 'adjustment')"
KINDS_AFTER = "kind IN ('usage', 'adjustment', 'topup')"
AMOUNTS_BEFORE = (
    "(kind = 'usage' AND fee_fen >= 0 AND subsidy_fen >= 0 AND subsidy_fen <= fee_fen)"
    " OR (kind = 'adjustment' AND fee_fen <= 0 AND subsidy_fen <= 0"
    " AND original_id IS NOT NULL)"
)
AMOUNTS_AFTER = (
    AMOUNTS_BEFORE + " OR (kind = 'topup' AND fee_fen = 0 AND subsidy_fen >= 0"
    " AND original_id IS NOT NULL AND stack_layer >= 1)"
)


def upgrade() -> None:
    _usage_checks(KINDS_AFTER, AMOUNTS_AFTER, add_columns=True)
    with op.batch_alter_table("statement", schema=None) as batch_op:
        batch_op.add_column(sa.Column("program_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_statement_program_id_program"), "program", ["program_id"], ["id"]
        )
        batch_op.drop_constraint(op.f("uq_statement_provider_id_period"), type_="unique")
        batch_op.create_unique_constraint(
            batch_op.f("uq_statement_provider_id_period_program_id"),
            ["provider_id", "period", "program_id"],
        )


def downgrade() -> None:
    with op.batch_alter_table("statement", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("uq_statement_provider_id_period_program_id"), type_="unique")
        batch_op.create_unique_constraint(
            batch_op.f("uq_statement_provider_id_period"), ["provider_id", "period"]
        )
        batch_op.drop_constraint(op.f("fk_statement_program_id_program"), type_="foreignkey")
        batch_op.drop_column("program_id")
    _usage_checks(KINDS_BEFORE, AMOUNTS_BEFORE, add_columns=False)


def _usage_checks(kinds: str, amounts: str, *, add_columns: bool) -> None:
    """Replace usage_record's kind and amount checks (and add or drop the stacking columns).
    Not with a table rebuild on SQLite where it can be helped: a rebuild drops the table's
    append-only triggers, so they are made again after one."""
    columns = [
        sa.Column("ceiling_bp", sa.Integer(), nullable=True),
        sa.Column("stack_layer", sa.Integer(), nullable=True),
    ]
    if op.get_bind().dialect.name == "postgresql":
        op.drop_constraint(op.f("ck_usage_record_kind_known"), "usage_record", type_="check")
        op.drop_constraint(op.f("ck_usage_record_amounts_by_kind"), "usage_record", type_="check")
        for column in columns:
            if add_columns:
                op.add_column("usage_record", column)
            else:
                op.drop_column("usage_record", column.name)
        op.create_check_constraint("kind_known", "usage_record", kinds)
        op.create_check_constraint("amounts_by_kind", "usage_record", amounts)
        return
    with op.batch_alter_table("usage_record", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_usage_record_kind_known"), type_="check")
        batch_op.drop_constraint(op.f("ck_usage_record_amounts_by_kind"), type_="check")
        for column in columns:
            if add_columns:
                batch_op.add_column(column)
            else:
                batch_op.drop_column(column.name)
        batch_op.create_check_constraint("kind_known", kinds)
        batch_op.create_check_constraint("amounts_by_kind", amounts)
    for action in ("UPDATE", "DELETE"):
        op.execute(f"DROP TRIGGER IF EXISTS usage_record_no_{action.lower()}")
        op.execute(
            f"CREATE TRIGGER usage_record_no_{action.lower()} BEFORE {action} "
            "ON usage_record BEGIN SELECT RAISE(ABORT, 'usage_record is append-only'); END"
        )
