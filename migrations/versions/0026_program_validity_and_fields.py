"""voucher validity and measure 3's fields as program data: how long a program's vouchers
live (to the pool year's end, a number of months, or the window's end), its own list of
fields (领域) instead of a fixed five, and the proposal kinds to change them and to create a
program from a program file

Revision ID: 0026
Revises: 0025
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0026"
down_revision: str | None = "0025"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

PENDING = sa.text("status = 'pending'")
KINDS = (
    "application.approve",
    "voucher.revoke",
    "pool.create",
    "rules.add",
    "top_up.declare",
    "top_up.withdraw",
    "program.second_review",
)
NEW_KINDS = ("program.settings", "program.create")
FIVE_SECTORS = "sector IN ('manufacturing', 'healthcare', 'remote_sensing', 'culture', 'finance')"


def _replace_kinds(kinds: tuple[str, ...]) -> None:
    # As 0021: SQLite rebuilds the table for a new CHECK; the partial unique index is made
    # again after, so its WHERE clause survives the rebuild.
    op.drop_index("uq_confirmation_pending_target", table_name="confirmation")
    with op.batch_alter_table("confirmation", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_confirmation_kind_known"), type_="check")
        batch_op.create_check_constraint(
            "kind_known", "kind IN (" + ", ".join(f"'{kind}'" for kind in kinds) + ")"
        )
    op.create_index(
        "uq_confirmation_pending_target",
        "confirmation",
        ["kind", "target_id"],
        unique=True,
        sqlite_where=PENDING,
        postgresql_where=PENDING,
    )


def upgrade() -> None:
    with op.batch_alter_table("program", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("voucher_validity", sa.String(16), nullable=False, server_default="pool_year")
        )
        batch_op.add_column(sa.Column("voucher_validity_months", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("selection_fields", sa.Text(), nullable=True))
        batch_op.create_check_constraint(
            "voucher_validity_known", "voucher_validity IN ('pool_year', 'months', 'window')"
        )
        batch_op.create_check_constraint(
            "voucher_validity_months",
            "(voucher_validity = 'months') = (voucher_validity_months IS NOT NULL)"
            " AND (voucher_validity_months IS NULL OR voucher_validity_months BETWEEN 1 AND 36)",
        )
    with op.batch_alter_table("model_selection", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_model_selection_sector_known"), type_="check")
        # industrial_inspection and a program's own codes: up to 40 characters.
        batch_op.alter_column(
            "sector", existing_type=sa.String(20), type_=sa.String(40), existing_nullable=False
        )
    _replace_kinds((*KINDS, *NEW_KINDS))


def downgrade() -> None:
    op.execute("DELETE FROM confirmation WHERE kind IN ('program.settings', 'program.create')")
    _replace_kinds(KINDS)
    # A selection in a field outside the old five cannot be kept under the old CHECK.
    op.execute(f"DELETE FROM model_selection WHERE NOT ({FIVE_SECTORS})")
    with op.batch_alter_table("model_selection", schema=None) as batch_op:
        batch_op.alter_column(
            "sector", existing_type=sa.String(40), type_=sa.String(20), existing_nullable=False
        )
        batch_op.create_check_constraint("sector_known", FIVE_SECTORS)
    with op.batch_alter_table("program", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_program_voucher_validity_months"), type_="check")
        batch_op.drop_constraint(op.f("ck_program_voucher_validity_known"), type_="check")
        batch_op.drop_column("selection_fields")
        batch_op.drop_column("voucher_validity_months")
        batch_op.drop_column("voucher_validity")
