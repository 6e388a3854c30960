"""audit log: entries with who, what and before/after values, hash-chained when sealed;
a trigger refuses changes to sealed entries and any deletion

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-28 23:56:34.639475
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "audit_chain_head",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("seq", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_chain_head")),
    )
    op.create_table(
        "audit_entry",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("principal_id", sa.Integer(), nullable=True),
        sa.Column("key_id", sa.Integer(), nullable=True),
        sa.Column("actor", sa.String(length=250), nullable=False),
        sa.Column("action", sa.String(length=60), nullable=False),
        sa.Column("target_type", sa.String(length=40), nullable=False),
        sa.Column("target_id", sa.String(length=100), nullable=False),
        sa.Column("before", sa.Text(), nullable=True),
        sa.Column("after", sa.Text(), nullable=True),
        sa.Column("seq", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("prev_hash", sa.String(length=64), nullable=True),
        sa.Column("hash", sa.String(length=64), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_entry")),
        sa.UniqueConstraint("seq", name=op.f("uq_audit_entry_seq")),
    )
    with op.batch_alter_table("audit_entry", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_audit_entry_action"), ["action"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_audit_entry_occurred_at"), ["occurred_at"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_audit_entry_principal_id"), ["principal_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_audit_entry_target_type"), ["target_type", "target_id"], unique=False
        )

    op.execute("INSERT INTO audit_chain_head (id, seq, hash) VALUES (1, 0, '" + "0" * 64 + "')")
    _protect_sealed_entries()


GENESIS = "0" * 64
_MESSAGE = "sealed audit entries cannot be changed or deleted"


def _protect_sealed_entries() -> None:
    """Sealing may fill in seq, prev_hash and hash once; nothing else may change, ever."""
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            f"""
            CREATE FUNCTION audit_entry_protect() RETURNS trigger AS $$
            BEGIN
                IF TG_OP = 'DELETE' OR OLD.hash IS NOT NULL
                   OR NEW.occurred_at IS DISTINCT FROM OLD.occurred_at
                   OR NEW.principal_id IS DISTINCT FROM OLD.principal_id
                   OR NEW.key_id IS DISTINCT FROM OLD.key_id
                   OR NEW.actor IS DISTINCT FROM OLD.actor
                   OR NEW.action IS DISTINCT FROM OLD.action
                   OR NEW.target_type IS DISTINCT FROM OLD.target_type
                   OR NEW.target_id IS DISTINCT FROM OLD.target_id
                   OR NEW.before IS DISTINCT FROM OLD.before
                   OR NEW.after IS DISTINCT FROM OLD.after THEN
                    RAISE EXCEPTION '{_MESSAGE}';
                END IF;
                RETURN NEW;
            END;
            $$ LANGUAGE plpgsql
            """
        )
        op.execute(
            "CREATE TRIGGER audit_entry_protect BEFORE UPDATE OR DELETE ON audit_entry "
            "FOR EACH ROW EXECUTE FUNCTION audit_entry_protect()"
        )
    else:
        op.execute(
            "CREATE TRIGGER audit_entry_no_delete BEFORE DELETE ON audit_entry "
            f"BEGIN SELECT RAISE(ABORT, '{_MESSAGE}'); END"
        )
        changed = " OR ".join(
            f"NEW.{c} IS NOT OLD.{c}"
            for c in (
                "occurred_at",
                "principal_id",
                "key_id",
                "actor",
                "action",
                "target_type",
                "target_id",
                "before",
                "after",
            )
        )
        op.execute(
            "CREATE TRIGGER audit_entry_no_update BEFORE UPDATE ON audit_entry "
            f"WHEN OLD.hash IS NOT NULL OR {changed} "
            f"BEGIN SELECT RAISE(ABORT, '{_MESSAGE}'); END"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS audit_entry_protect ON audit_entry")
        op.execute("DROP FUNCTION IF EXISTS audit_entry_protect()")
    with op.batch_alter_table("audit_entry", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_audit_entry_target_type"))
        batch_op.drop_index(batch_op.f("ix_audit_entry_principal_id"))
        batch_op.drop_index(batch_op.f("ix_audit_entry_occurred_at"))
        batch_op.drop_index(batch_op.f("ix_audit_entry_action"))

    op.drop_table("audit_entry")
    op.drop_table("audit_chain_head")
