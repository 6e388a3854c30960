"""The audit log's hash chain, and reading the log back.

Entries are written by ``voucher_service.audit_log.record`` in each action's own
transaction, unchained. Chaining without serialising the hot path: ``seal`` — run by a
background loop in each API process, by ``voucher-service seal`` and before ``verify`` —
locks the single chain-head row and gives each unsealed entry, in id order, the next
sequence number and ``hash = sha256(prev_hash | seq | content)``. Many requests append at
once; only the sealer takes the chain lock. An entry committed late (a lower id than one
already sealed) is simply sealed in the next run, with a later sequence number.

``verify_chain`` walks the sealed entries in sequence order and names the first whose hash
does not match its content or whose link to its predecessor is broken.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import bindparam, select, update
from sqlalchemy.orm import Session

from voucher_service.audit_log import ENTRIES
from voucher_service.db.statements import postgres_connection
from voucher_service.db.tables.audit import AuditChainHead
from voucher_service.pagination import PageParams, Slice, paginate_sorted, where_given

GENESIS = "0" * 64
SEAL_BATCH = 5000


def entry_content(row: Any) -> list[Any]:
    """What an entry's link covers besides its predecessor and position: every content
    field, its time as ISO text (the form a witness receives it in, ``audit/witness.py``)."""
    return [
        row.occurred_at.isoformat(),
        row.principal_id,
        row.key_id,
        row.actor,
        row.action,
        row.target_type,
        row.target_id,
        row.before,
        row.after,
    ]


def link_hash(prev_hash: str, seq: int, content: list[Any]) -> str:
    """The chain link: the SHA-256 (hex) of the previous hash, the position and the content."""
    return hashlib.sha256(
        json.dumps([prev_hash, seq, *content], ensure_ascii=False).encode()
    ).hexdigest()


def entry_hash(prev_hash: str, seq: int, row: Any) -> str:
    """The chain link of an entry row: covers the previous hash, the position and every
    content field."""
    return link_hash(prev_hash, seq, entry_content(row))


def seal(session: Session) -> int:
    """Chain every unsealed entry; returns how many were sealed."""
    head = session.scalar(
        select(AuditChainHead)
        .where(AuditChainHead.id == 1)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    assert head is not None, "the audit chain head is missing: run the migrations"
    sealed = 0
    while True:
        rows = session.execute(
            select(ENTRIES).where(ENTRIES.c.hash.is_(None)).order_by(ENTRIES.c.id).limit(SEAL_BATCH)
        ).all()
        if not rows:
            break
        updates = []
        for row in rows:
            seq = head.seq + 1
            digest = entry_hash(head.hash, seq, row)
            updates.append({"b_id": row.id, "b_seq": seq, "b_prev": head.hash, "b_hash": digest})
            head.seq, head.hash = seq, digest
        _write_links(session, updates)
        sealed += len(rows)
    session.flush()
    return sealed


_PG_LINKS = """
UPDATE audit_entry SET seq = d.seq, prev_hash = d.prev_hash, hash = d.hash
  FROM unnest(%(ids)s::bigint[], %(seqs)s::bigint[], %(prevs)s::text[], %(hashes)s::text[])
       AS d(id, seq, prev_hash, hash)
 WHERE audit_entry.id = d.id
"""


def _write_links(session: Session, updates: list[dict[str, Any]]) -> None:
    """Store the links just computed: on PostgreSQL in one statement over unnested arrays
    (the sealer runs every second in every API process; one UPDATE per entry was most of
    its cost), elsewhere one UPDATE per entry."""
    pg = postgres_connection(session)
    if pg is None:
        session.execute(
            update(ENTRIES)
            .where(ENTRIES.c.id == bindparam("b_id"))
            .values(
                seq=bindparam("b_seq"), prev_hash=bindparam("b_prev"), hash=bindparam("b_hash")
            ),
            updates,
        )
        return
    with pg.cursor() as cursor:
        cursor.execute(
            _PG_LINKS,
            {
                "ids": [u["b_id"] for u in updates],
                "seqs": [u["b_seq"] for u in updates],
                "prevs": [u["b_prev"] for u in updates],
                "hashes": [u["b_hash"] for u in updates],
            },
        )


def verify_chain(session: Session) -> list[str]:
    """Walk the sealed entries in order; name the first broken one (and stop there)."""
    previous, expected_seq = GENESIS, 1
    query = select(ENTRIES).where(ENTRIES.c.seq.is_not(None)).order_by(ENTRIES.c.seq)
    for row in session.execute(query.execution_options(yield_per=2000)):
        label = (
            f"audit entry id {row.id} (seq {row.seq}, {row.action} "
            f"on {row.target_type} {row.target_id})"
        )
        if row.seq != expected_seq:
            return [f"audit chain: entry seq {expected_seq} is missing before {label}"]
        if row.prev_hash != previous:
            return [f"{label}: does not link to the entry before it"]
        if entry_hash(previous, row.seq, row) != row.hash:
            return [f"{label}: its content does not match its hash (altered)"]
        previous, expected_seq = row.hash, expected_seq + 1
    head = session.get(AuditChainHead, 1, populate_existing=True)
    if head is not None and (head.seq != expected_seq - 1 or head.hash != previous):
        return [f"audit chain: the head (seq {head.seq}) does not match the last sealed entry"]
    return []


@dataclass(frozen=True)
class AuditFilter:
    actor: str | None = None
    principal_id: int | None = None
    action: str | None = None
    target_type: str | None = None
    target_id: str | None = None
    since: datetime | None = None  # inclusive
    until: datetime | None = None  # exclusive

    @classmethod
    def of_days(
        cls, *, date_from: date | None, date_to: date | None, tz: ZoneInfo, **exact: Any
    ) -> AuditFilter:
        """From the first to the last day (inclusive), days counted in the program's
        timezone; ``exact``: the equality filters (None or empty: not filtered)."""
        return cls(
            **{name: value or None for name, value in exact.items()},
            since=datetime.combine(date_from, time(), tz) if date_from else None,
            until=datetime.combine(date_to + timedelta(days=1), time(), tz) if date_to else None,
        )


def list_entries(session: Session, params: PageParams, where: AuditFilter) -> Slice[dict[str, Any]]:
    """The entries ``where`` selects, oldest first, each as a dict of its columns: keyset
    pages, or numbered ones (with a total) when ``params`` asks for a page or a sort."""
    query = select(ENTRIES)
    query = where_given(
        query,
        (ENTRIES.c.actor, where.actor),
        (ENTRIES.c.principal_id, where.principal_id),
        (ENTRIES.c.action, where.action),
        (ENTRIES.c.target_type, where.target_type),
        (ENTRIES.c.target_id, where.target_id),
    )
    if where.since is not None:
        query = query.where(ENTRIES.c.occurred_at >= where.since)
    if where.until is not None:
        query = query.where(ENTRIES.c.occurred_at < where.until)
    sorts = {"id": ENTRIES.c.id, "occurred_at": ENTRIES.c.occurred_at}
    found = paginate_sorted(session, query, ENTRIES.c.id, params, sorts)
    return found.map(lambda row: dict(row._mapping))
