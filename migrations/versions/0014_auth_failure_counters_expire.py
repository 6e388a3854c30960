"""failed-authentication counters expire: an index on window_start; the old counters (one
per key prefix and address, which a wrong secret for someone else's prefix could fill) go

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-02 00:00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Counters are per window (15 minutes): the old sources' rows are dropped, not converted.
    op.execute("DELETE FROM auth_failure")
    op.create_index(op.f("ix_auth_failure_window_start"), "auth_failure", ["window_start"])


def downgrade() -> None:
    op.drop_index(op.f("ix_auth_failure_window_start"), table_name="auth_failure")
