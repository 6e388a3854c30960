"""an index of the audit entries not sealed yet, so the sealer finds them without walking
the whole log

Every API process seals the audit log every second: ``SELECT ... WHERE hash IS NULL ORDER
BY id LIMIT n``. Without this index PostgreSQL walks the primary key from the first entry,
past every sealed one, on each round — a cost that grows with the log (one entry per usage
post). The partial index holds only the unsealed entries, a few at any time.

Revision ID: 0016
Revises: 0015
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UNSEALED = sa.text("hash IS NULL")


def upgrade() -> None:
    op.create_index(
        "ix_audit_entry_unsealed",
        "audit_entry",
        ["id"],
        unique=False,
        postgresql_where=UNSEALED,
        sqlite_where=UNSEALED,
    )


def downgrade() -> None:
    op.drop_index("ix_audit_entry_unsealed", table_name="audit_entry")
