"""failed authentications per key prefix and client address, for throttling

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-29 00:01:16.055424
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "auth_failure",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("source", sa.String(length=200), nullable=False),
        sa.Column("window_start", sa.DateTime(timezone=True), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_auth_failure")),
        sa.UniqueConstraint("source", name=op.f("uq_auth_failure_source")),
    )


def downgrade() -> None:
    op.drop_table("auth_failure")
