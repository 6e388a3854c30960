"""separation of duties: a bureau person (role 'bureau') holds a set of duties (system
administration, program administration, review, finance, audit); the legacy roles get
theirs by the documented mapping; a statement names who closed, approved and paid it, and
the database refuses the same person as closer and approver, or approver and payer

Revision ID: 0018
Revises: 0017
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0018"
down_revision: str | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ROLES_BEFORE = "role IN ('bureau_admin', 'bureau_reviewer', 'auditor', 'enterprise', 'provider')"
ROLES_AFTER = (
    "role IN ('bureau', 'bureau_admin', 'bureau_reviewer', 'auditor', 'enterprise', 'provider')"
)
DUTIES_ONLY_BUREAU = (
    "role IN ('bureau', 'bureau_admin', 'bureau_reviewer', 'auditor') OR duties = ''"
)
# db/tables/auth.py LEGACY_DUTIES, as it was when the duties were split.
LEGACY = {
    "bureau_admin": "finance,program,review",
    "bureau_reviewer": "review",
    "auditor": "audit",
}
PEOPLE = ("closed_by_id", "approved_by_id", "paid_by_id")


def upgrade() -> None:
    with op.batch_alter_table("principal", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("duties", sa.String(length=100), nullable=False, server_default="")
        )
        batch_op.drop_constraint(op.f("ck_principal_role_known"), type_="check")
        batch_op.create_check_constraint("role_known", ROLES_AFTER)
        batch_op.create_check_constraint("duties_only_bureau", DUTIES_ONLY_BUREAU)
    for role, duties in LEGACY.items():
        op.execute(
            sa.text("UPDATE principal SET duties = :duties WHERE role = :role").bindparams(
                duties=duties, role=role
            )
        )
    with op.batch_alter_table("statement", schema=None) as batch_op:
        for column in PEOPLE:
            batch_op.add_column(sa.Column(column, sa.Integer(), nullable=True))
            batch_op.create_foreign_key(
                batch_op.f(f"fk_statement_{column}_principal"), "principal", [column], ["id"]
            )
        batch_op.create_check_constraint("closer_never_approves", "approved_by_id <> closed_by_id")
        batch_op.create_check_constraint("approver_never_pays", "paid_by_id <> approved_by_id")


def downgrade() -> None:
    with op.batch_alter_table("statement", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_statement_approver_never_pays"), type_="check")
        batch_op.drop_constraint(op.f("ck_statement_closer_never_approves"), type_="check")
        for column in reversed(PEOPLE):
            batch_op.drop_constraint(op.f(f"fk_statement_{column}_principal"), type_="foreignkey")
            batch_op.drop_column(column)
    # Before duties were split there was no role 'bureau': its people take the old role
    # nearest to their duties (a system administrator was a bureau_admin).
    for role, where in (
        ("auditor", "duties = 'audit'"),
        ("bureau_reviewer", "duties = 'review'"),
        ("bureau_admin", "1 = 1"),
    ):
        op.execute(f"UPDATE principal SET role = '{role}' WHERE role = 'bureau' AND {where}")
    with op.batch_alter_table("principal", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_principal_duties_only_bureau"), type_="check")
        batch_op.drop_constraint(op.f("ck_principal_role_known"), type_="check")
        batch_op.create_check_constraint("role_known", ROLES_BEFORE)
        batch_op.drop_column("duties")
