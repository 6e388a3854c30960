"""Writing the audit log: who did what, when, and the values before and after.

``record`` appends an entry in the caller's transaction, so an action and its entry commit
or roll back together. The actor is the request's authenticated caller (put on the session
by the access check) or, for the command line, ``CLI``.

This is the one part of the audit log every capability needs, so it sits below them all
(access control included). Entries are written unchained; sealing them into the hash chain,
checking the chain and reading it back are the ``audit`` package's, above access control.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import insert
from sqlalchemy.orm import Session

from voucher_service.db.base import metadata
from voucher_service.db.tables.audit import AuditEntry
from voucher_service.db.types import utcnow

ENTRIES = metadata.tables[AuditEntry.__tablename__]


@dataclass(frozen=True)
class Actor:
    principal_id: int | None
    key_id: int | None
    name: str


CLI = Actor(None, None, "command line")
SYSTEM = Actor(None, None, "system")


def set_actor(session: Session, actor: Actor) -> None:
    """Who the session's changes are made by: every entry it records names them."""
    session.info["audit_actor"] = actor


def actor_of(session: Session) -> Actor:
    """Who the session's changes are made by (``SYSTEM`` unless someone was set)."""
    actor: Actor = session.info.get("audit_actor", SYSTEM)
    return actor


def _json(value: Any) -> str | None:
    if value is None:
        return None
    return json.dumps(value, sort_keys=True, ensure_ascii=False, default=str)


def entry(
    session: Session,
    action: str,
    target_type: str,
    target_id: object,
    *,
    before: Any = None,
    after: Any = None,
) -> dict[str, Any]:
    """An audit entry's row, by the session's actor, now (``record`` writes it)."""
    actor = actor_of(session)
    return {
        "occurred_at": utcnow(),
        "principal_id": actor.principal_id,
        "key_id": actor.key_id,
        "actor": actor.name,
        "action": action,
        "target_type": target_type,
        "target_id": str(target_id),
        "before": _json(before),
        "after": _json(after),
    }


def record(
    session: Session,
    action: str,
    target_type: str,
    target_id: object,
    *,
    before: Any = None,
    after: Any = None,
) -> None:
    """Append an audit entry to the current transaction."""
    write(session, entry(session, action, target_type, target_id, before=before, after=after))


def created(
    session: Session, row: Any, action: str, kind: str, *, by: object = None, after: Any = None
) -> None:
    """Store a new ``row`` and append the entry of its creation (``action``, on a target of
    ``kind``) to the current transaction: the row is flushed first, so that the entry names
    its id (or ``by``, what the row is known by, when given)."""
    session.add(row)
    session.flush()
    record(session, action, kind, row.id if by is None else by, after=after)


def write(session: Session, row: dict[str, Any]) -> None:
    """Append an ``entry`` row to the current transaction."""
    session.execute(insert(ENTRIES).values(**row))


# An entry written in the same statement as the change it records (PostgreSQL: a data-
# modifying CTE, ``... FROM <source>``), so the hot path pays no round trip for it. The
# parameters are an ``entry`` row's, prefixed ``a_``.
PG_INSERT_FROM = (
    "INSERT INTO audit_entry (occurred_at, principal_id, key_id, actor, action, target_type, "
    "target_id, before, after) SELECT %(a_occurred_at)s, %(a_principal_id)s, %(a_key_id)s, "
    "%(a_actor)s, %(a_action)s, %(a_target_type)s, %(a_target_id)s, %(a_before)s, %(a_after)s "
    "FROM {source}"
)
