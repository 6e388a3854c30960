"""Least-privilege database roles (PostgreSQL): an owner that migrates, a runtime role that
serves.

The triggers of migrations 0001, 0002, 0004 and 0013 keep the evidence append-only, but a
table's owner may disable or drop them, TRUNCATE, ALTER or DROP the table. So the service
runs as a role that owns nothing:

* the **owner** role owns the database's tables, sequences and trigger functions and runs
  ``voucher-service migrate`` (the migration job only);
* the **runtime** role (the API, the prober, the scheduled jobs) holds DML privileges only.
  On the append-only tables of ``APPEND_ONLY`` it may SELECT and INSERT, and UPDATE only the
  columns named there (the audit sealer fills in an entry's link once; the chain head moves
  forward); the triggers still refuse what those columns allow beyond that. Every other
  table gets SELECT, INSERT, UPDATE and DELETE; every sequence USAGE and SELECT. No
  TRUNCATE, no REFERENCES, no TRIGGER, and no CREATE on the schema.

``grant`` states this on the tables as they are now, so it runs after every migration
(``migrate`` calls it when ``VOUCHER_DB_RUNTIME_ROLE`` is set): a table another migration
adds is covered then, with full DML unless it is declared append-only here. It first revokes
everything the role holds, so a table that became append-only loses its old rights.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Connection, text

# Tables whose rows are evidence: the runtime role may add rows and update only these
# columns (none: no UPDATE at all). A table added to this list is protected from the next
# `migrate` (or `db grant`) on.
APPEND_ONLY: dict[str, tuple[str, ...]] = {
    "ledger_posting": (),
    "usage_record": (),
    "audit_entry": ("seq", "prev_hash", "hash"),
    "audit_chain_head": ("seq", "hash"),
}
# Read by the runtime (/readyz compares the revision), written by the owner alone.
READ_ONLY = ("alembic_version",)
DML = "SELECT, INSERT, UPDATE, DELETE"


class RoleError(Exception):
    """Roles that cannot be set up as asked (not PostgreSQL, a missing role, an owner)."""


@dataclass(frozen=True)
class Granted:
    """What ``grant`` gave the runtime role: table names by what it may do."""

    append_only: list[str]
    read_only: list[str]
    read_write: list[str]
    sequences: int


def quote(connection: Connection, name: str) -> str:
    """``name`` as a quoted SQL identifier (role and table names come from settings)."""
    quoted = connection.scalar(text("SELECT quote_ident(:n)"), {"n": name})
    return str(quoted)


def grant(connection: Connection, runtime: str) -> Granted:
    """Give ``runtime`` exactly the service's privileges on the schema ``public`` as it is
    now (see the module's docstring); run as the tables' owner, after the migrations."""
    if connection.dialect.name != "postgresql":
        raise RoleError("database roles are PostgreSQL's: SQLite has none")
    exists = connection.scalar(
        text("SELECT rolsuper FROM pg_roles WHERE rolname = :r"), {"r": runtime}
    )
    if exists is None:
        raise RoleError(f"there is no role {runtime!r}: create it first (docs/operations.md)")
    if exists:
        raise RoleError(f"{runtime!r} is a superuser: the runtime role must not be one")
    owns = connection.scalar(
        text(
            "SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE n.nspname = 'public' AND pg_get_userbyid(c.relowner) = :r"
        ),
        {"r": runtime},
    )
    if owns:
        raise RoleError(f"{runtime!r} owns {owns} relation(s): the runtime role must own none")
    role = quote(connection, runtime)
    tables = connection.scalars(
        text("SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename")
    ).all()
    run = connection.execute
    run(text("REVOKE CREATE ON SCHEMA public FROM PUBLIC"))
    run(text(f"REVOKE ALL ON ALL TABLES IN SCHEMA public FROM {role}"))
    run(text(f"REVOKE ALL ON ALL SEQUENCES IN SCHEMA public FROM {role}"))
    run(text(f"GRANT USAGE ON SCHEMA public TO {role}"))
    done = Granted([], [], [], 0)
    for name in tables:
        table = quote(connection, name)
        if name in APPEND_ONLY:
            run(text(f"GRANT SELECT, INSERT ON {table} TO {role}"))
            columns = ", ".join(quote(connection, c) for c in APPEND_ONLY[name])
            if columns:
                run(text(f"GRANT UPDATE ({columns}) ON {table} TO {role}"))
            done.append_only.append(name)
        elif name in READ_ONLY:
            run(text(f"GRANT SELECT ON {table} TO {role}"))
            done.read_only.append(name)
        else:
            run(text(f"GRANT {DML} ON {table} TO {role}"))
            done.read_write.append(name)
    run(text(f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {role}"))
    sequences = connection.scalar(
        text("SELECT count(*) FROM pg_sequences WHERE schemaname = 'public'")
    )
    return Granted(done.append_only, done.read_only, done.read_write, int(sequences or 0))
