"""second-person confirmations: a proposal (approving an application, revoking a voucher
above the program's second-review amount) waits for a second person, who is never its
proposer; programs say that amount

Revision ID: 0019
Revises: 0018
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0019"
down_revision: str | None = "0018"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

PENDING = sa.text("status = 'pending'")


def upgrade() -> None:
    with op.batch_alter_table("program", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "second_review_above_fen",
                sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
                nullable=True,
            )
        )
    op.create_table(
        "confirmation",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("target_id", sa.String(length=64), nullable=False),
        sa.Column("payload", sa.Text(), nullable=False),
        sa.Column("summary", sa.String(length=500), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("proposed_by_id", sa.Integer(), nullable=False),
        sa.Column("proposed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("decided_by_id", sa.Integer(), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "status IN ('pending', 'confirmed', 'rejected', 'withdrawn')",
            name=op.f("ck_confirmation_status_known"),
        ),
        sa.CheckConstraint(
            "kind IN ('application.approve', 'voucher.revoke')",
            name=op.f("ck_confirmation_kind_known"),
        ),
        sa.CheckConstraint(
            "status = 'withdrawn' OR decided_by_id IS NULL OR decided_by_id <> proposed_by_id",
            name=op.f("ck_confirmation_checker_is_not_maker"),
        ),
        sa.ForeignKeyConstraint(
            ["proposed_by_id"],
            ["principal.id"],
            name=op.f("fk_confirmation_proposed_by_id_principal"),
        ),
        sa.ForeignKeyConstraint(
            ["decided_by_id"],
            ["principal.id"],
            name=op.f("fk_confirmation_decided_by_id_principal"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_confirmation")),
    )
    op.create_index(op.f("ix_confirmation_status"), "confirmation", ["status"])
    op.create_index(
        "uq_confirmation_pending_target",
        "confirmation",
        ["kind", "target_id"],
        unique=True,
        sqlite_where=PENDING,
        postgresql_where=PENDING,
    )


def downgrade() -> None:
    op.drop_index("uq_confirmation_pending_target", table_name="confirmation")
    op.drop_index(op.f("ix_confirmation_status"), table_name="confirmation")
    op.drop_table("confirmation")
    with op.batch_alter_table("program", schema=None) as batch_op:
        batch_op.drop_column("second_review_above_fen")
