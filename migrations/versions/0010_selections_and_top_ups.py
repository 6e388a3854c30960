"""measure 3 model selections (遴选) and programs that require them; program top-ups (a
district program stacked on a city program, with its order and combined rate ceiling)

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-30 15:02:06.278291
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "model_selection",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("enterprise_id", sa.Integer(), nullable=False),
        sa.Column("program_id", sa.Integer(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("model_name", sa.String(length=200), nullable=False),
        sa.Column("sector", sa.String(length=20), nullable=False),
        sa.Column("filing_reference", sa.String(length=100), nullable=False),
        sa.Column("description", sa.String(length=2000), nullable=False),
        sa.Column("eligible", sa.Boolean(), nullable=False),
        sa.Column("checks", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("decision_reason", sa.String(length=1000), nullable=True),
        sa.Column("decided_by", sa.String(length=250), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "sector IN ('manufacturing', 'healthcare', 'remote_sensing', 'culture', 'finance')",
            name=op.f("ck_model_selection_sector_known"),
        ),
        sa.CheckConstraint(
            "status IN ('submitted', 'selected', 'declined')",
            name=op.f("ck_model_selection_status_known"),
        ),
        sa.ForeignKeyConstraint(
            ["enterprise_id"],
            ["enterprise.id"],
            name=op.f("fk_model_selection_enterprise_id_enterprise"),
        ),
        sa.ForeignKeyConstraint(
            ["program_id"], ["program.id"], name=op.f("fk_model_selection_program_id_program")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_model_selection")),
        sa.UniqueConstraint(
            "enterprise_id",
            "program_id",
            "year",
            name=op.f("uq_model_selection_enterprise_id_program_id_year"),
        ),
    )
    with op.batch_alter_table("model_selection", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_model_selection_program_id"),
            ["program_id", "year", "status"],
            unique=False,
        )

    op.create_table(
        "program_top_up",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("program_id", sa.Integer(), nullable=False),
        sa.Column("base_program_id", sa.Integer(), nullable=False),
        sa.Column("stack_order", sa.Integer(), nullable=False),
        sa.Column("ceiling_bp", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "ceiling_bp BETWEEN 1 AND 10000", name=op.f("ck_program_top_up_ceiling_range")
        ),
        sa.CheckConstraint(
            "program_id <> base_program_id", name=op.f("ck_program_top_up_not_itself")
        ),
        sa.CheckConstraint("stack_order >= 1", name=op.f("ck_program_top_up_order_positive")),
        sa.ForeignKeyConstraint(
            ["base_program_id"],
            ["program.id"],
            name=op.f("fk_program_top_up_base_program_id_program"),
        ),
        sa.ForeignKeyConstraint(
            ["program_id"], ["program.id"], name=op.f("fk_program_top_up_program_id_program")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_program_top_up")),
        sa.UniqueConstraint(
            "base_program_id",
            "stack_order",
            name=op.f("uq_program_top_up_base_program_id_stack_order"),
        ),
        sa.UniqueConstraint("program_id", name=op.f("uq_program_top_up_program_id")),
    )

    with op.batch_alter_table("program", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("requires_selection", sa.Boolean(), server_default=sa.false(), nullable=False)
        )


def downgrade() -> None:
    with op.batch_alter_table("program", schema=None) as batch_op:
        batch_op.drop_column("requires_selection")

    op.drop_table("program_top_up")
    with op.batch_alter_table("model_selection", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_model_selection_program_id"))

    op.drop_table("model_selection")
