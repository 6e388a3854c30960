"""materials and public notice: documents filed with an application or a model selection
(the bytes in the database, where the backups reach); a program's required kinds of
material and its public notice (公示) setting; an application's notice period and the
objections to it; the ledger's reservation postings (pool -> reserved:<application>)

Revision ID: 0023
Revises: 0022
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0023"
down_revision: str | None = "0022"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

POSTING_KINDS = ("fund", "issue", "subsidy", "reversal", "release", "settle")
POSTING_KINDS_AFTER = (*POSTING_KINDS, "reserve", "unreserve")
STATUSES = ("submitted", "returned", "approved", "rejected")
STATUSES_AFTER = (*STATUSES, "in_notice")
_APPEND_ONLY_MESSAGE = "ledger_posting is append-only"


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN (" + ", ".join(f"'{v}'" for v in values) + ")"


def upgrade() -> None:
    with op.batch_alter_table("program", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("required_materials", sa.String(500), nullable=False, server_default="")
        )
        batch_op.add_column(
            sa.Column("notice_enabled", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch_op.add_column(
            sa.Column("notice_working_days", sa.Integer(), nullable=False, server_default="5")
        )
    with op.batch_alter_table("application", schema=None) as batch_op:
        batch_op.add_column(sa.Column("notice_start", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("notice_end", sa.Date(), nullable=True))
        batch_op.drop_constraint(op.f("ck_application_status_known"), type_="check")
        batch_op.create_check_constraint("status_known", _in("status", STATUSES_AFTER))
    op.create_table(
        "document",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("enterprise_id", sa.Integer(), nullable=False),
        sa.Column("application_id", sa.Integer(), nullable=True),
        sa.Column("selection_id", sa.Integer(), nullable=True),
        sa.Column("kind", sa.String(40), nullable=False),
        sa.Column("filename", sa.String(200), nullable=False),
        sa.Column("media_type", sa.String(40), nullable=False),
        sa.Column("size_bytes", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.Column("uploaded_by", sa.String(250), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "(application_id IS NULL) <> (selection_id IS NULL)", name=op.f("ck_document_one_owner")
        ),
        sa.CheckConstraint("size_bytes > 0", name=op.f("ck_document_size_positive")),
        sa.ForeignKeyConstraint(
            ["enterprise_id"], ["enterprise.id"], name=op.f("fk_document_enterprise_id_enterprise")
        ),
        sa.ForeignKeyConstraint(
            ["application_id"],
            ["application.id"],
            name=op.f("fk_document_application_id_application"),
        ),
        sa.ForeignKeyConstraint(
            ["selection_id"],
            ["model_selection.id"],
            name=op.f("fk_document_selection_id_model_selection"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_document")),
    )
    op.create_index(op.f("ix_document_application_id"), "document", ["application_id"])
    op.create_index(op.f("ix_document_selection_id"), "document", ["selection_id"])
    op.create_table(
        "objection",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("application_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("contact", sa.String(200), nullable=False),
        sa.Column("text", sa.String(2000), nullable=False),
        sa.Column("client_key", sa.String(64), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("decision_reason", sa.String(1000), nullable=True),
        sa.Column("decided_by", sa.String(250), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "status IN ('open', 'upheld', 'dismissed')", name=op.f("ck_objection_status_known")
        ),
        sa.ForeignKeyConstraint(
            ["application_id"],
            ["application.id"],
            name=op.f("fk_objection_application_id_application"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_objection")),
    )
    op.create_index(op.f("ix_objection_application_id"), "objection", ["application_id"])
    op.create_index(op.f("ix_objection_status"), "objection", ["status"])
    op.create_index(op.f("ix_objection_client_key"), "objection", ["client_key", "created_at"])
    _posting_kinds(POSTING_KINDS_AFTER)


def downgrade() -> None:
    # Reservations have no kind before this revision: a database holding one cannot go back
    # (the CHECK refuses to be made again over them), which is the point.
    _posting_kinds(POSTING_KINDS)
    op.drop_table("objection")
    op.drop_table("document")
    op.execute("UPDATE application SET status = 'submitted' WHERE status = 'in_notice'")
    with op.batch_alter_table("application", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_application_status_known"), type_="check")
        batch_op.create_check_constraint("status_known", _in("status", STATUSES))
        batch_op.drop_column("notice_end")
        batch_op.drop_column("notice_start")
    with op.batch_alter_table("program", schema=None) as batch_op:
        batch_op.drop_column("notice_working_days")
        batch_op.drop_column("notice_enabled")
        batch_op.drop_column("required_materials")


def _posting_kinds(kinds: tuple[str, ...]) -> None:
    """Replace ledger_posting's kind check. SQLite rebuilds the table for it, which drops its
    append-only triggers: they are made again after (as 0012 does for usage_record)."""
    if op.get_bind().dialect.name == "postgresql":
        op.drop_constraint(op.f("ck_ledger_posting_kind_known"), "ledger_posting", type_="check")
        op.create_check_constraint("kind_known", "ledger_posting", _in("kind", kinds))
        return
    with op.batch_alter_table("ledger_posting", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_ledger_posting_kind_known"), type_="check")
        batch_op.create_check_constraint("kind_known", _in("kind", kinds))
    for action in ("UPDATE", "DELETE"):
        op.execute(f"DROP TRIGGER IF EXISTS ledger_posting_no_{action.lower()}")
        op.execute(
            f"CREATE TRIGGER ledger_posting_no_{action.lower()} BEFORE {action} "
            f"ON ledger_posting BEGIN SELECT RAISE(ABORT, '{_APPEND_ONLY_MESSAGE}'); END"
        )
