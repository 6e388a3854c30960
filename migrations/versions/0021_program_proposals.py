"""program-administration proposals: a pool, a rule version, a top-up layer or a program's
second-review amount is a confirmation of its own kind, waiting for a second program
administrator

Revision ID: 0021
Revises: 0020
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0021"
down_revision: str | None = "0020"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

PENDING = sa.text("status = 'pending'")
REVIEW_KINDS = ("application.approve", "voucher.revoke")
PROGRAM_KINDS = (
    "pool.create",
    "rules.add",
    "top_up.declare",
    "top_up.withdraw",
    "program.second_review",
)


def _kinds(kinds: tuple[str, ...]) -> str:
    return "kind IN (" + ", ".join(f"'{kind}'" for kind in kinds) + ")"


def _replace_kinds(kinds: tuple[str, ...]) -> None:
    # SQLite rebuilds the table for a new CHECK; the partial unique index is dropped first and
    # made again after, so its WHERE clause survives the rebuild.
    op.drop_index("uq_confirmation_pending_target", table_name="confirmation")
    with op.batch_alter_table("confirmation", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_confirmation_kind_known"), type_="check")
        batch_op.create_check_constraint("kind_known", _kinds(kinds))
    op.create_index(
        "uq_confirmation_pending_target",
        "confirmation",
        ["kind", "target_id"],
        unique=True,
        sqlite_where=PENDING,
        postgresql_where=PENDING,
    )


def upgrade() -> None:
    _replace_kinds(REVIEW_KINDS + PROGRAM_KINDS)


def downgrade() -> None:
    # A program proposal has no kind before this revision: the older service cannot read
    # them, so they go (what a confirmed one did stays, in its tables and the audit log).
    op.execute(f"DELETE FROM confirmation WHERE NOT ({_kinds(REVIEW_KINDS)})")
    _replace_kinds(REVIEW_KINDS)
