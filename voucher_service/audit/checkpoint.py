"""Signed checkpoints: tamper evidence that does not depend on the database.

``verify`` walks the audit chain and re-derives the books, but all it reads is in the
database: someone who can write it can edit an entry and recompute every hash after it with
``entry_hash``, empty the log and reset its head, or rewrite a usage record, its posting and
every counter consistently, and ``verify`` finds nothing. A checkpoint is a small signed
note (c2sp.org/tlog-checkpoint), signed with a key the database never sees
(``audit/signing.py``) and kept off the database host, that says what the books were at one
moment::

    voucher-service/audit                      the log's origin (VOUCHER_CHECKPOINT_ORIGIN)
    1234                                       the audit chain's length (its head's seq)
    3q2+7w...=                                 the chain head's hash, base64
    time 2026-06-15T04:00:00+00:00
    previous Yb9...= (or: previous none)       SHA-256 of the previous checkpoint's text
    ledger_posting 5012 5012 mF1...=           up to id, how many, SHA-256 of those rows
    usage_record 2210 2210 q0c...=

    — voucher-service/audit <the log key's signature>
    — auditor.example/witness <the witness's cosignature>

* The chain still *extends* the checkpoint when the entry at its position still has that
  hash (its hash covers every entry before it) and ``verify_chain`` finds every link after
  it intact.
* Postings and usage records are append-only, so the rows up to an id never change: a count
  that differs means rows removed, a digest that differs means a row changed.
* Each checkpoint names the one before it, so the checkpoints form one chain: ``walk`` reads
  them in that order and names a gap or a fork; ``verify`` compares every one with the books.
* An independent witness (``audit/witness.py``) cosigns a checkpoint only if the audit chain
  grew from the last one it cosigned by appending, and keeps the latest: a checkpoint signed
  with a stolen log key lacks its cosignature, and deleted newest checkpoints leave the
  witness's latest without its match here.

"Up to an id" must be final when the checkpoint is taken: on PostgreSQL a transaction that
took id 100 may commit after one that took 101. So the bound is the highest id *allocated*
(the sequence's last value), and the checkpoint is taken only once every transaction that
was running then has ended (``settle``). SQLite has one writer and every transaction begins
IMMEDIATE, so its committed rows are final as read.
"""

from __future__ import annotations

import base64
import hashlib
import json
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import Table, func, select, text
from sqlalchemy.orm import Session

from voucher_service.audit.service import entry_content, seal
from voucher_service.audit.signing import (
    Note,
    NoteError,
    Verifier,
    note_cosigned_by,
    note_signed_by,
    parse_note,
    sign_note,
)
from voucher_service.db.base import table
from voucher_service.db.tables.audit import AuditChainHead, AuditEntry
from voucher_service.db.tables.ledger import LedgerPosting
from voucher_service.db.tables.usage import UsageRecord

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
PATTERN = "audit-checkpoint-*.txt"
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


@dataclass(frozen=True)
class Mark:
    """A table up to an id: how many rows, and the SHA-256 (hex) over them in id order."""

    last_id: int
    count: int
    sha256: str


@dataclass(frozen=True)
class Checkpoint:
    """What a checkpoint says (its text; signatures are the note's)."""

    origin: str
    size: int  # the audit chain's length: its head's seq
    root: str  # the head's hash, hex
    taken_at: datetime
    previous: str | None  # SHA-256 (hex) of the previous checkpoint's text; None: the first
    marks: dict[str, Mark] = field(default_factory=dict)

    def text(self) -> str:
        lines = [
            self.origin,
            str(self.size),
            _b64(self.root),
            f"time {self.taken_at.isoformat()}",
            f"previous {_b64(self.previous) if self.previous else 'none'}",
        ]
        for name, mark in self.marks.items():
            lines.append(f"{name} {mark.last_id} {mark.count} {_b64(mark.sha256)}")
        return "".join(f"{line}\n" for line in lines)

    @classmethod
    def from_text(cls, text: str) -> Checkpoint:
        try:
            origin, size, root, when, previous, *rest = text.rstrip("\n").split("\n")
            taken = datetime.fromisoformat(when.removeprefix("time "))
            named = previous.removeprefix("previous ")
            marks = {}
            for line in rest:
                name, last_id, count, digest = line.split(" ")
                marks[name] = Mark(int(last_id), int(count), _hex(digest))
            labelled = when.startswith("time ") and previous.startswith("previous ")
            if set(marks) != set(TABLES) or not labelled:
                raise ValueError("its lines are not a checkpoint's")
            return cls(
                origin,
                int(size),
                _hex(root),
                taken,
                None if named == "none" else _hex(named),
                marks,
            )
        except ValueError as error:
            raise CheckpointError(f"not a checkpoint ({error})") from error

    @property
    def label(self) -> str:
        return f"seq {self.size}, {self.taken_at.isoformat()}"


def _b64(hex_digest: str) -> str:
    return base64.b64encode(bytes.fromhex(hex_digest)).decode()


def _hex(encoded: str) -> str:
    raw = base64.b64decode(encoded, validate=True)
    if len(raw) != 32:
        raise ValueError(f"{encoded!r} is not a SHA-256 hash")
    return raw.hex()


def text_hash(note: Note) -> str:
    """What the next checkpoint names this one by: the SHA-256 (hex) of its text (not of
    its signatures: a cosignature added later does not break the link)."""
    return hashlib.sha256(note.text.encode()).hexdigest()


def state(
    session: Session,
    bounds: Bounds,
    *,
    taken_at: datetime,
    origin: str,
    previous: Note | None = None,
) -> Checkpoint:
    """The books as a checkpoint: the chain's head and each table up to its bound."""
    head = session.get(AuditChainHead, 1, populate_existing=True)
    if head is None:
        raise CheckpointError("the audit chain head is missing: run the migrations")
    marks = {}
    for name, last_id in bounds.last_ids.items():
        [(count, digest)] = _digests(session, name, [last_id]).values()
        marks[name] = Mark(last_id, count, digest)
    return Checkpoint(
        origin,
        head.seq,
        head.hash,
        taken_at,
        text_hash(previous) if previous is not None else None,
        marks,
    )


def take(
    transaction: Transaction,
    key: Ed25519PrivateKey,
    *,
    now: datetime,
    origin: str,
    previous: Note | None = None,
) -> Note:
    """Seal the audit log, wait for the ids allocated so far to be final, and return the
    signed checkpoint of the books at that point (naming ``previous``)."""
    with transaction() as session:
        seal(session)
    with transaction() as session:
        bounds = allocated(session)
    settle(transaction, bounds)
    with transaction() as session:
        made = state(session, bounds, taken_at=now, origin=origin, previous=previous)
    note_text = made.text()
    return parse_note(note_text + "\n" + sign_note(note_text, origin, key))


@dataclass(frozen=True)
class Stored:
    """A checkpoint file: where it is, the note and what it says."""

    path: Path
    note: Note
    checkpoint: Checkpoint


def write(note: Note, out: Path) -> Path:
    """Write ``note`` to ``out``, or into it when it is a directory (named by its time and
    position, so a directory of checkpoints sorts by time); return the file."""
    if out.is_dir():
        made = Checkpoint.from_text(note.text)
        stamp = made.taken_at.strftime("%Y%m%dT%H%M%SZ")
        out = out / f"audit-checkpoint-{stamp}-seq{made.size}.txt"
        if out.exists():
            raise CheckpointError(f"{out} exists: one checkpoint a second at most")
    replace(out, note)
    return out


def replace(path: Path, note: Note) -> None:
    """Write ``note`` to ``path`` whole or not at all (a cosignature is added this way)."""
    partial = path.with_name(path.name + ".partial")
    partial.write_text(note.render())
    partial.replace(path)


def read(path: Path) -> Stored:
    """A checkpoint file, its form checked (its signatures are not)."""
    try:
        note = parse_note(path.read_text())
    except OSError as error:
        raise CheckpointError(f"cannot read {path}: {error.strerror}") from error
    except (NoteError, UnicodeDecodeError) as error:
        raise CheckpointError(f"{path.name}: {error}") from error
    try:
        return Stored(path, note, Checkpoint.from_text(note.text))
    except CheckpointError as error:
        raise CheckpointError(f"{path.name}: {error}") from error


def walk(directory: Path) -> tuple[list[Stored], list[str]]:
    """The checkpoints in ``directory`` in chain order (each naming the one before it), and
    what breaks the chain: a file that is no checkpoint, two firsts, a fork, a gap."""
    found: list[Stored] = []
    problems: list[str] = []
    for path in sorted(directory.glob(PATTERN)):
        try:
            found.append(read(path))
        except CheckpointError as error:
            problems.append(f"checkpoint {error}")
    by_previous: dict[str | None, list[Stored]] = {}
    for stored in found:
        by_previous.setdefault(stored.checkpoint.previous, []).append(stored)
    chain: list[Stored] = []
    link: str | None = None
    while link in by_previous:
        following = by_previous.pop(link)
        if len(following) > 1:
            names = ", ".join(s.path.name for s in following)
            problems.append(f"checkpoints {names} all follow the same one: a fork")
        chain.append(following[0])
        link = text_hash(following[0].note)
    for orphans in by_previous.values():
        for stored in orphans:
            problems.append(
                f"checkpoint {stored.path.name}: the checkpoint it follows is not here "
                "(deleted or replaced)"
            )
    return chain, problems


@dataclass(frozen=True)
class Trust:
    """Whose signatures a checkpoint needs: the log's key, and the witness's if one is set."""

    log: Verifier
    witness: Verifier | None = None


def signature_problems(stored: Stored, trust: Trust) -> list[str]:
    """Why ``stored`` is not a checkpoint of this log, cosigned by its witness."""
    made, label = stored.checkpoint, f"checkpoint {stored.path.name}"
    if made.origin != trust.log.name:
        return [f"{label}: of log {made.origin!r}, not {trust.log.name!r}"]
    if not note_signed_by(stored.note, trust.log.name, trust.log.public):
        return [f"{label}: not signed by the log key (altered or forged)"]
    witness = trust.witness
    if witness is not None and note_cosigned_by(stored.note, witness.name, witness.public) is None:
        return [
            f"{label}: no valid cosignature of witness {witness.name}: the witness did not "
            "see it extend the last checkpoint it cosigned (forged, or not yet cosigned)"
        ]
    return []


def check(
    session: Session,
    chain: list[Stored],
    trust: Trust,
    *,
    witness_latest: Note | None = None,
) -> list[str]:
    """Every way the books and ``chain`` (``walk``'s order, oldest first) disagree: each
    checkpoint signed (and cosigned), growing in order, extended by the books; and, given
    the latest checkpoint the witness holds, that one the newest here."""
    problems: list[str] = []
    believed: list[Stored] = []
    for stored in chain:
        found = signature_problems(stored, trust)
        problems += found
        if not found:
            believed.append(stored)
    for older, newer in zip(believed, believed[1:], strict=False):
        if newer.checkpoint.size < older.checkpoint.size:
            problems.append(
                f"checkpoint {newer.path.name}: the audit chain shrank from seq "
                f"{older.checkpoint.size} to {newer.checkpoint.size}"
            )
    if witness_latest is not None:
        latest = Stored(Path("(the witness's latest)"), witness_latest, _parsed(witness_latest))
        held = signature_problems(latest, trust)
        problems += held
        if not held:
            problems += _matches_newest(latest, chain)
            believed.append(latest)
    compared = compare_all(session, [stored.checkpoint for stored in believed])
    for stored, found in zip(believed, compared, strict=True):
        problems += [
            f"checkpoint {stored.path.name} ({stored.checkpoint.label}): {line}" for line in found
        ]
    return problems


def _parsed(note: Note) -> Checkpoint:
    try:
        return Checkpoint.from_text(note.text)
    except CheckpointError as error:
        raise CheckpointError(f"the witness's latest checkpoint: {error}") from error


def _matches_newest(latest: Stored, chain: list[Stored]) -> list[str]:
    """The witness's latest must be the newest checkpoint here: one it cosigned that is
    missing, or followed by none, means the newest checkpoints were deleted or replaced."""
    texts = [stored.note.text for stored in chain]
    if latest.note.text in texts:
        return []
    newest = chain[-1].checkpoint.label if chain else "none"
    return [
        f"the witness's latest checkpoint ({latest.checkpoint.label}) is not among the "
        f"checkpoints here (the newest here: {newest}): checkpoints were deleted or history "
        "was rewritten"
    ]


def compare(session: Session, checkpoint: Checkpoint) -> list[str]:
    """What differs between the books now and a (verified) checkpoint of them."""
    [found] = compare_all(session, [checkpoint])
    return found


def compare_all(session: Session, checkpoints: list[Checkpoint]) -> list[list[str]]:
    """For each checkpoint, what differs between it and the books now: one pass over each
    table for all of them (a year of hourly checkpoints reads each row once)."""
    problems: list[list[str]] = [[] for _ in checkpoints]
    head = session.get(AuditChainHead, 1, populate_existing=True)
    hashes = _entry_hashes(session, {c.size for c in checkpoints if c.size > 0})
    for found, made in zip(problems, checkpoints, strict=True):
        if made.size == 0:
            continue
        at = hashes.get(made.size)
        if at is None:
            found.append(
                f"audit chain: its entry seq {made.size} is gone (the head is at seq "
                f"{head.seq if head else '?'}): entries were removed or the chain was reset"
            )
        elif at != made.root:
            found.append(
                f"audit chain: entry seq {made.size} hashes to {at[:16]}..., the checkpoint "
                f"says {made.root[:16]}...: the chain up to it was rewritten"
            )
    for name, label in LABELS.items():
        digests = _digests(session, name, [c.marks[name].last_id for c in checkpoints])
        for found, made in zip(problems, checkpoints, strict=True):
            mark = made.marks[name]
            count, digest = digests[mark.last_id]
            if count != mark.count:
                found.append(
                    f"{label}: {count} up to id {mark.last_id}, the checkpoint counted "
                    f"{mark.count}: rows were removed (or added under old ids)"
                )
            elif digest != mark.sha256:
                found.append(
                    f"{label}: those up to id {mark.last_id} no longer hash to the "
                    "checkpoint's digest: a row was changed"
                )
    return problems


def _entry_hashes(session: Session, seqs: set[int]) -> dict[int, str]:
    entries = table(AuditEntry).c
    wanted, found = sorted(seqs), {}
    for start in range(0, len(wanted), 1000):
        chunk = wanted[start : start + 1000]
        query = select(entries.seq, entries.hash).where(entries.seq.in_(chunk))
        found.update({int(seq): str(digest) for seq, digest in session.execute(query)})
    return found


def chain_entries(session: Session, after: int, up_to: int) -> Iterator[dict[str, Any]]:
    """The sealed audit entries after seq ``after`` up to ``up_to``, as a witness receives
    them (their content: it recomputes each link from the head it holds)."""
    entries = table(AuditEntry)
    query = (
        select(entries).where(entries.c.seq > after, entries.c.seq <= up_to).order_by(entries.c.seq)
    )
    for row in session.execute(query.execution_options(yield_per=2000)):
        yield {"seq": row.seq, "content": entry_content(row)}


def _max_id(session: Session, found: Table) -> int:
    return int(session.scalar(select(func.coalesce(func.max(found.c.id), 0))) or 0)


def _digests(session: Session, name: str, bounds: list[int]) -> dict[int, tuple[int, str]]:
    """For each bound, how many rows of ``name`` have ids up to it and the SHA-256 of them,
    in one pass (a running digest, copied at each bound)."""
    found = TABLES[name]
    columns = [found.c[column] for column in DIGESTED[name]]
    wanted = sorted(set(bounds))
    result: dict[int, tuple[int, str]] = {}
    if not wanted:
        return result
    query = select(*columns).where(found.c.id <= wanted[-1]).order_by(found.c.id)
    digest, count, at = hashlib.sha256(), 0, 0
    for row in session.execute(query.execution_options(yield_per=5000)):
        while at < len(wanted) and row[0] > wanted[at]:
            result[wanted[at]] = (count, digest.hexdigest())
            at += 1
        digest.update(json.dumps(list(row), ensure_ascii=False).encode() + b"\n")
        count += 1
    for bound in wanted[at:]:
        result[bound] = (count, digest.hexdigest())
    return result
