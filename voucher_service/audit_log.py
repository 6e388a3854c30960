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
    actor = actor_of(session)
    session.execute(
        insert(ENTRIES).values(
            occurred_at=utcnow(),
            principal_id=actor.principal_id,
            key_id=actor.key_id,
            actor=actor.name,
            action=action,
            target_type=target_type,
            target_id=str(target_id),
            before=_json(before),
            after=_json(after),
        )
    )
