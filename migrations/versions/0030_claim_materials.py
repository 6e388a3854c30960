"""claim materials: a claim after payment carries its contract, invoices and proof of payment
as documents, beside the application's and the selection's (a document has exactly one owner)

Revision ID: 0030
Revises: 0029
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0030"
down_revision: str | None = "0029"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ONE_OWNER_BEFORE = "(application_id IS NULL) <> (selection_id IS NULL)"
ONE_OWNER_AFTER = (
    "(application_id IS NOT NULL AND selection_id IS NULL AND claim_id IS NULL)"
    " OR (application_id IS NULL AND selection_id IS NOT NULL AND claim_id IS NULL)"
    " OR (application_id IS NULL AND selection_id IS NULL AND claim_id IS NOT NULL)"
)


def upgrade() -> None:
    with op.batch_alter_table("document", schema=None) as batch_op:
        batch_op.add_column(sa.Column("claim_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_document_claim_id_claim"), "claim", ["claim_id"], ["id"]
        )
        batch_op.create_index(batch_op.f("ix_document_claim_id"), ["claim_id"])
        batch_op.drop_constraint(op.f("ck_document_one_owner"), type_="check")
        batch_op.create_check_constraint("one_owner", ONE_OWNER_AFTER)


def downgrade() -> None:
    # A claim's documents have no owner before this revision: they are deleted (the claim's
    # text references, its contract and proof of payment, stay).
    op.execute(sa.text("DELETE FROM document WHERE claim_id IS NOT NULL"))
    with op.batch_alter_table("document", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_document_one_owner"), type_="check")
        batch_op.create_check_constraint("one_owner", ONE_OWNER_BEFORE)
        batch_op.drop_index(batch_op.f("ix_document_claim_id"))
        batch_op.drop_constraint(batch_op.f("fk_document_claim_id_claim"), type_="foreignkey")
        batch_op.drop_column("claim_id")
