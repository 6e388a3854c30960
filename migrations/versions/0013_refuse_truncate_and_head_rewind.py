"""refuse TRUNCATE of the append-only tables, and a rewind of the audit chain's head

On PostgreSQL, the row triggers that keep audit_entry, ledger_posting and usage_record
append-only do not fire for TRUNCATE, which empties a table without deleting a row: a
statement-level BEFORE TRUNCATE trigger on each (and on audit_chain_head) refuses it, also
when it arrives by cascade from a table they reference. SQLite has no TRUNCATE: its
``DELETE FROM t`` without a WHERE clause (the "truncate optimisation") is not taken on a table
with a DELETE trigger, so the append-only triggers of 0001, 0002 and 0004 already refuse it.

On both, the audit chain's head may only move forward (a larger seq), and never be deleted:
setting it back is how the chain would be cut short without a trace in the database.
Someone with the rights to drop a trigger can still do all of this; signed checkpoints kept
off the database host (``voucher-service audit checkpoint``) catch it then.

Revision ID: 0013
Revises: 0012
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

APPEND_ONLY = ("audit_entry", "ledger_posting", "usage_record", "audit_chain_head")
_REWIND = "the audit chain head only moves forward"


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "CREATE FUNCTION refuse_truncate() RETURNS trigger AS $$ BEGIN "
            "RAISE EXCEPTION '% is append-only: TRUNCATE is refused', TG_TABLE_NAME; "
            "END; $$ LANGUAGE plpgsql"
        )
        for table in APPEND_ONLY:
            op.execute(
                f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
                "FOR EACH STATEMENT EXECUTE FUNCTION refuse_truncate()"
            )
        op.execute(
            "CREATE FUNCTION audit_chain_head_forward() RETURNS trigger AS $$ BEGIN "
            "IF TG_OP = 'DELETE' OR NEW.seq < OLD.seq "
            "OR (NEW.seq = OLD.seq AND NEW.hash IS DISTINCT FROM OLD.hash) "
            f"OR NEW.id IS DISTINCT FROM OLD.id THEN RAISE EXCEPTION '{_REWIND}'; END IF; "
            "RETURN NEW; END; $$ LANGUAGE plpgsql"
        )
        op.execute(
            "CREATE TRIGGER audit_chain_head_forward BEFORE UPDATE OR DELETE ON audit_chain_head "
            "FOR EACH ROW EXECUTE FUNCTION audit_chain_head_forward()"
        )
        return
    op.execute(
        "CREATE TRIGGER audit_chain_head_forward BEFORE UPDATE ON audit_chain_head "
        "WHEN NEW.seq < OLD.seq OR (NEW.seq = OLD.seq AND NEW.hash IS NOT OLD.hash) "
        f"OR NEW.id IS NOT OLD.id BEGIN SELECT RAISE(ABORT, '{_REWIND}'); END"
    )
    op.execute(
        "CREATE TRIGGER audit_chain_head_no_delete BEFORE DELETE ON audit_chain_head "
        f"BEGIN SELECT RAISE(ABORT, '{_REWIND}'); END"
    )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS audit_chain_head_forward ON audit_chain_head")
        op.execute("DROP FUNCTION IF EXISTS audit_chain_head_forward()")
        for table in APPEND_ONLY:
            op.execute(f"DROP TRIGGER IF EXISTS {table}_no_truncate ON {table}")
        op.execute("DROP FUNCTION IF EXISTS refuse_truncate()")
        return
    op.execute("DROP TRIGGER IF EXISTS audit_chain_head_no_delete")
    op.execute("DROP TRIGGER IF EXISTS audit_chain_head_forward")
