"""grants: a program's pools spent as grants to projects rather than vouchers (measure 2's
network monitoring, 每年安排不超过300万元): a program's funding, a rule version's pool
maximum beside its minimum, a project's grant and its milestones, and the ledger's grant and
instalment postings (pool -> grant:<g> -> granted:<g>)

Revision ID: 0029
Revises: 0028
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0029"
down_revision: str | None = "0028"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

POSTING_KINDS = (
    "fund",
    "issue",
    "subsidy",
    "reversal",
    "release",
    "settle",
    "reserve",
    "unreserve",
    "claim",
    "claim_reversal",
    "claim_pay",
)
POSTING_KINDS_AFTER = (*POSTING_KINDS, "grant", "instalment")
_APPEND_ONLY_MESSAGE = "ledger_posting is append-only"
FEN = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN (" + ", ".join(f"'{v}'" for v in values) + ")"


def upgrade() -> None:
    with op.batch_alter_table("program", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("funding", sa.String(16), nullable=False, server_default="vouchers")
        )
        batch_op.create_check_constraint("funding_known", "funding IN ('vouchers', 'grants')")
    with op.batch_alter_table("rule_version", schema=None) as batch_op:
        batch_op.add_column(sa.Column("pool_maximum_fen", FEN, nullable=True))
        batch_op.create_check_constraint(
            "pool_maximum_range",
            "pool_maximum_fen IS NULL OR (pool_maximum_fen > 0"
            " AND pool_maximum_fen >= pool_minimum_fen)",
        )
    op.create_table(
        "project_grant",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("program_id", sa.Integer(), nullable=False),
        sa.Column("pool_id", sa.Integer(), nullable=False),
        sa.Column("enterprise_id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("asked_fen", FEN, nullable=False),
        sa.Column("approved_fen", FEN, nullable=True),
        sa.Column("paid_fen", FEN, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("reason", sa.String(1000), nullable=False),
        sa.Column("applied_by", sa.String(250), nullable=False),
        sa.Column("decided_by_id", sa.Integer(), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "status IN ('applied', 'approved', 'rejected')",
            name=op.f("ck_project_grant_status_known"),
        ),
        sa.CheckConstraint("asked_fen > 0", name=op.f("ck_project_grant_asked_positive")),
        sa.CheckConstraint(
            "(status = 'approved') = (approved_fen IS NOT NULL)",
            name=op.f("ck_project_grant_approved_when_approved"),
        ),
        sa.CheckConstraint(
            "approved_fen IS NULL OR (approved_fen > 0 AND approved_fen <= asked_fen)",
            name=op.f("ck_project_grant_approved_within_asked"),
        ),
        sa.CheckConstraint("paid_fen >= 0", name=op.f("ck_project_grant_paid_nonnegative")),
        sa.CheckConstraint(
            "paid_fen <= COALESCE(approved_fen, 0)",
            name=op.f("ck_project_grant_paid_within_approved"),
        ),
        sa.ForeignKeyConstraint(
            ["program_id"], ["program.id"], name=op.f("fk_project_grant_program_id_program")
        ),
        sa.ForeignKeyConstraint(
            ["pool_id"], ["pool.id"], name=op.f("fk_project_grant_pool_id_pool")
        ),
        sa.ForeignKeyConstraint(
            ["enterprise_id"],
            ["enterprise.id"],
            name=op.f("fk_project_grant_enterprise_id_enterprise"),
        ),
        sa.ForeignKeyConstraint(
            ["decided_by_id"],
            ["principal.id"],
            name=op.f("fk_project_grant_decided_by_id_principal"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_project_grant")),
    )
    op.create_index(op.f("ix_project_grant_pool_id"), "project_grant", ["pool_id", "status"])
    op.create_table(
        "grant_milestone",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("grant_id", sa.Integer(), nullable=False),
        sa.Column("description", sa.String(500), nullable=False),
        sa.Column("amount_fen", FEN, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("accepted_by_id", sa.Integer(), nullable=True),
        sa.Column("accepted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("paid_by_id", sa.Integer(), nullable=True),
        sa.Column("paid_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "status IN ('open', 'accepted', 'paid')", name=op.f("ck_grant_milestone_status_known")
        ),
        sa.CheckConstraint("amount_fen > 0", name=op.f("ck_grant_milestone_amount_positive")),
        sa.CheckConstraint(
            "(status = 'open') = (accepted_at IS NULL)",
            name=op.f("ck_grant_milestone_accepted_unless_open"),
        ),
        sa.CheckConstraint(
            "(status = 'paid') = (paid_at IS NOT NULL)",
            name=op.f("ck_grant_milestone_paid_when_paid"),
        ),
        sa.ForeignKeyConstraint(
            ["grant_id"],
            ["project_grant.id"],
            name=op.f("fk_grant_milestone_grant_id_project_grant"),
        ),
        sa.ForeignKeyConstraint(
            ["accepted_by_id"],
            ["principal.id"],
            name=op.f("fk_grant_milestone_accepted_by_id_principal"),
        ),
        sa.ForeignKeyConstraint(
            ["paid_by_id"], ["principal.id"], name=op.f("fk_grant_milestone_paid_by_id_principal")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_grant_milestone")),
    )
    op.create_index(op.f("ix_grant_milestone_grant_id"), "grant_milestone", ["grant_id"])
    _posting_kinds(POSTING_KINDS_AFTER)


def downgrade() -> None:
    # Grant postings have no kind before this revision: a database holding one cannot go
    # back (the CHECK refuses to be made again over them), as 0023 says of reservations.
    _posting_kinds(POSTING_KINDS)
    op.drop_index(op.f("ix_grant_milestone_grant_id"), table_name="grant_milestone")
    op.drop_table("grant_milestone")
    op.drop_index(op.f("ix_project_grant_pool_id"), table_name="project_grant")
    op.drop_table("project_grant")
    with op.batch_alter_table("rule_version", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_rule_version_pool_maximum_range"), type_="check")
        batch_op.drop_column("pool_maximum_fen")
    with op.batch_alter_table("program", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_program_funding_known"), type_="check")
        batch_op.drop_column("funding")


def _posting_kinds(kinds: tuple[str, ...]) -> None:
    """Replace ledger_posting's kind check. SQLite rebuilds the table for it, which drops its
    append-only triggers: they are made again after (as 0023 does)."""
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
