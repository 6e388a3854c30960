"""Signed checkpoints: tamper evidence that does not depend on the database.

``verify`` walks the audit chain and re-derives the books, but all it reads is in the
database: someone who can write it can edit an entry and recompute every hash after it with
``entry_hash``, empty the log and reset its head, or rewrite a usage record, its posting and
every counter consistently, and ``verify`` finds nothing. A checkpoint is a small document,
signed with a key the database never sees (``audit/signing.py``) and kept off the database
host, that says what the books were at one moment:

* the audit chain's head: position (seq) and hash. The chain still *extends* the checkpoint
  when the entry at that position still has that hash (its hash covers every entry before
  it), and ``verify_chain`` finds every link after it intact;
* for the ledger's postings and the usage records, the rows up to an id: how many, and a
  SHA-256 digest over them in id order (amounts, accounts, references, body hashes). Both
  tables are append-only, so those rows never change: a count that differs means rows
  removed, a digest that differs means a row changed.

"Up to an id" must be final when the checkpoint is taken: on PostgreSQL a transaction that
took id 100 may commit after one that took 101. So the bound is the highest id *allocated*
(the sequence's last value), and the checkpoint is taken only once every transaction that
was running then has ended (``settle``). SQLite has one writer and every transaction begins
IMMEDIATE, so its committed rows are final as read.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from sqlalchemy import Table, func, select, text
from sqlalchemy.orm import Session

from voucher_service.audit.service import seal
from voucher_service.audit.signing import sign, signature_problem
from voucher_service.db.base import table
from voucher_service.db.tables.audit import AuditChainHead, AuditEntry
from voucher_service.db.tables.ledger import LedgerPosting
from voucher_service.db.tables.usage import UsageRecord

KIND = "voucher-service audit checkpoint"
VERSION = 1

# The columns a table's digest covers: what a row says, not when it was written (time stamps
# are left out: drivers render them differently, and the audit entries already date things).
DIGESTED: dict[str, tuple[str, ...]] = {
    "ledger_posting": (
        "id",
        "kind",
        "from_account",
        "to_account",
        "amount_fen",
        "pool_id",
        "voucher_id",
        "usage_record_id",
        "memo",
    ),
    "usage_record": (
        "id",
        "provider_id",
        "record_id",
        "body_hash",
        "kind",
        "original_id",
        "voucher_id",
        "enterprise_id",
        "fee_fen",
        "subsidy_fen",
        "enterprise_share_fen",
        "outcome",
        "reason",
        "rule_version",
    ),
}
LABELS = {"ledger_posting": "ledger postings", "usage_record": "usage records"}
TABLES: dict[str, Table] = {
    "ledger_posting": table(LedgerPosting),
    "usage_record": table(UsageRecord),
}

Transaction = Callable[[], AbstractContextManager[Session]]


class CheckpointError(Exception):
    """A checkpoint that cannot be taken or read (not one that fails to verify)."""


@dataclass(frozen=True)
class Bounds:
    """The highest id allocated in each table, and (PostgreSQL) the first transaction id
    not yet begun when they were read."""

    last_ids: dict[str, int]
    xmax: int | None = None


def allocated(session: Session) -> Bounds:
    """The ids allocated so far: every row at or below them is written or never will be,
    once the transactions running now have ended."""
    if session.get_bind().dialect.name != "postgresql":
        return Bounds({name: _max_id(session, t) for name, t in TABLES.items()})
    last_value = text(
        "SELECT coalesce(pg_sequence_last_value(pg_get_serial_sequence(:t, 'id')), 0)"
    )
    last_ids = {name: int(session.scalar(last_value, {"t": name}) or 0) for name in TABLES}
    xmax = session.scalar(text("SELECT pg_snapshot_xmax(pg_current_snapshot())::text"))
    return Bounds(last_ids, int(xmax))


def settle(transaction: Transaction, bounds: Bounds, *, timeout: float = 120.0) -> None:
    """Wait until every transaction that was running when ``bounds`` were read has ended."""
    if bounds.xmax is None:
        return
    deadline = time.monotonic() + timeout
    while True:
        with transaction() as session:
            done = session.scalar(
                text("SELECT pg_snapshot_xmin(pg_current_snapshot()) >= CAST(:x AS xid8)"),
                {"x": str(bounds.xmax)},
            )
        if done:
            return
        if time.monotonic() > deadline:
            raise CheckpointError(
                f"a transaction has been open for more than {timeout:.0f} s: no checkpoint"
            )
        time.sleep(0.1)


def state(session: Session, bounds: Bounds, *, taken_at: datetime) -> dict[str, Any]:
    """The unsigned checkpoint document: the chain's head and each table up to its bound."""
    head = session.get(AuditChainHead, 1, populate_existing=True)
    if head is None:
        raise CheckpointError("the audit chain head is missing: run the migrations")
    document: dict[str, Any] = {
        "kind": KIND,
        "version": VERSION,
        "taken_at": taken_at.isoformat(),
        "audit": {"seq": head.seq, "hash": head.hash},
    }
    for name, last_id in bounds.last_ids.items():
        count, digest = _digest(session, name, last_id)
        document[name] = {"last_id": last_id, "count": count, "sha256": digest}
    return document


def take(transaction: Transaction, key: Ed25519PrivateKey, *, now: datetime) -> dict[str, Any]:
    """Seal the audit log, wait for the ids allocated so far to be final, and return the
    signed checkpoint of the books at that point."""
    with transaction() as session:
        seal(session)
    with transaction() as session:
        bounds = allocated(session)
    settle(transaction, bounds)
    with transaction() as session:
        return sign(state(session, bounds, taken_at=now), key)


PATTERN = "audit-checkpoint-*.json"


def newest(directory: Path) -> Path | None:
    """The latest checkpoint ``write`` put in ``directory`` (their names sort by time)."""
    found = sorted(directory.glob(PATTERN))
    return found[-1] if found else None


def write(document: dict[str, Any], out: Path) -> Path:
    """Write ``document`` to ``out``, or into it when it is a directory (named by its time
    and position, so a directory of checkpoints sorts by time); return the file."""
    if out.is_dir():
        stamp = datetime.fromisoformat(document["taken_at"]).strftime("%Y%m%dT%H%M%SZ")
        out = out / f"audit-checkpoint-{stamp}-seq{document['audit']['seq']}.json"
    out.write_text(json.dumps(document, indent=2, sort_keys=True) + "\n")
    return out


def read(path: Path) -> dict[str, Any]:
    """A checkpoint file's document, its shape checked (its signature is not)."""
    try:
        document = json.loads(path.read_text())
    except OSError as error:
        raise CheckpointError(f"cannot read {path}: {error.strerror}") from error
    except ValueError as error:
        raise CheckpointError(f"{path} is not a checkpoint (not JSON)") from error
    if not isinstance(document, dict) or document.get("kind") != KIND:
        raise CheckpointError(f"{path} is not a checkpoint")
    if document.get("version") != VERSION:
        raise CheckpointError(f"{path}: checkpoint version {document.get('version')!r} unknown")
    try:
        int(document["audit"]["seq"]), str(document["audit"]["hash"])
        for name in TABLES:
            int(document[name]["last_id"]), int(document[name]["count"])
            str(document[name]["sha256"])
        datetime.fromisoformat(document["taken_at"])
    except (KeyError, TypeError, ValueError) as error:
        raise CheckpointError(f"{path}: a checkpoint's field is missing or malformed") from error
    return document


def verify(session: Session, path: Path, public: Ed25519PublicKey) -> list[str]:
    """Whether the books still extend the checkpoint in ``path``: one line per way they do
    not (nothing of a checkpoint whose signature fails is believed)."""
    label = f"checkpoint {path.name}"
    try:
        document = read(path)
    except CheckpointError as error:
        return [f"{label}: {error}"]
    problem = signature_problem(document, public)
    if problem is not None:
        return [f"{label}: {problem}"]
    return [f"{label} ({document['taken_at']}): {line}" for line in compare(session, document)]


def compare(session: Session, document: dict[str, Any]) -> list[str]:
    """What differs between the books now and a (verified) checkpoint of them."""
    problems: list[str] = []
    entries = table(AuditEntry).c
    seq, expected = int(document["audit"]["seq"]), str(document["audit"]["hash"])
    if seq > 0:
        found = session.scalar(select(entries.hash).where(entries.seq == seq))
        head = session.get(AuditChainHead, 1, populate_existing=True)
        if found is None:
            problems.append(
                f"audit chain: its entry seq {seq} is gone (the head is at seq "
                f"{head.seq if head else '?'}): entries were removed or the chain was reset"
            )
        elif found != expected:
            problems.append(
                f"audit chain: entry seq {seq} hashes to {found[:16]}..., the checkpoint says "
                f"{expected[:16]}...: the chain up to it was rewritten"
            )
    for name, label in LABELS.items():
        mark = document[name]
        count, digest = _digest(session, name, int(mark["last_id"]))
        if count != int(mark["count"]):
            problems.append(
                f"{label}: {count} up to id {mark['last_id']}, the checkpoint counted "
                f"{mark['count']}: rows were removed (or added under old ids)"
            )
        elif digest != mark["sha256"]:
            problems.append(
                f"{label}: those up to id {mark['last_id']} no longer hash to the "
                "checkpoint's digest: a row was changed"
            )
    return problems


def _max_id(session: Session, found: Table) -> int:
    return int(session.scalar(select(func.coalesce(func.max(found.c.id), 0))) or 0)


def _digest(session: Session, name: str, last_id: int) -> tuple[int, str]:
    """How many rows of ``name`` have ids up to ``last_id``, and the SHA-256 of them."""
    found = TABLES[name]
    columns = [found.c[column] for column in DIGESTED[name]]
    query = select(*columns).where(found.c.id <= last_id).order_by(found.c.id)
    digest, count = hashlib.sha256(), 0
    for row in session.execute(query.execution_options(yield_per=5000)):
        digest.update(json.dumps(list(row), ensure_ascii=False).encode() + b"\n")
        count += 1
    return count, digest.hexdigest()
