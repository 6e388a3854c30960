"""The outbox's queries: claiming rows for a worker, marking them sent, failed or dead, and
pruning what was delivered.

Claiming is safe with any number of workers. On PostgreSQL a worker selects due rows with
``FOR UPDATE SKIP LOCKED`` (another worker's claim in progress is skipped, never waited for);
on SQLite (one writer at a time, every transaction IMMEDIATE) a conditional update claims
them. Either way the claim is a lease written in its own short transaction: ``claimed_by``
(the worker's token) and ``claimed_until``. Sending happens outside any transaction; the
result is written only where the claim is still the worker's own, so a worker that was too
slow (its lease passed and another claimed the row) changes nothing.

Delivery is exactly once unless a worker dies in the instant between the server accepting
a mail and the worker writing "sent": then the mail is sent again after the lease, under the
same Message-ID (a mail client shows it once).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Engine, delete, func, or_, select, update

from voucher_service.db.session import transaction
from voucher_service.db.tables.notifications import InboxMessage, OutboxMessage, OutboxStatus

MAX_BACKOFF = timedelta(hours=1)
# A scheduled notification's inbox message is what keeps the job from telling the person
# again (its dedupe key): kept longer than any condition a job re-checks (a cap 80% used
# stays so for its whole period), whatever the retention.
SCHEDULED_KEPT = timedelta(days=400)
ERROR_LENGTH = 500


@dataclass(frozen=True)
class Claimed:
    """A claimed row, as plain values (the row's session is gone once the claim commits)."""

    id: int
    event: str
    address: str
    params: str
    attempts: int
    created_at: datetime


def _claimable(channel: str, now: datetime):  # type: ignore[no-untyped-def]
    return (
        OutboxMessage.status == OutboxStatus.QUEUED,
        OutboxMessage.channel == channel,
        OutboxMessage.next_attempt_at <= now,
        or_(
            OutboxMessage.claimed_until.is_(None),  # type: ignore[union-attr]
            OutboxMessage.claimed_until < now,  # type: ignore[operator]
        ),
    )


def claim(
    engine: Engine, channel: str, *, token: str, now: datetime, lease: timedelta, batch: int
) -> list[Claimed]:
    """Claim up to ``batch`` due rows of ``channel`` for the worker ``token``, oldest first,
    counting the attempt; committed before anything is sent."""
    with transaction(engine) as session:
        due = (
            select(OutboxMessage.id)
            .where(*_claimable(channel, now))
            .order_by(OutboxMessage.id)
            .limit(batch)
        )
        if engine.dialect.name == "postgresql":
            due = due.with_for_update(skip_locked=True)
        ids = list(session.scalars(due))
        if not ids:
            return []
        session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id.in_(ids), *_claimable(channel, now))  # type: ignore[union-attr]
            .values(
                claimed_by=token,
                claimed_until=now + lease,
                attempts=OutboxMessage.attempts + 1,
            )
        )
        rows = session.execute(
            select(
                OutboxMessage.id,
                OutboxMessage.event,
                OutboxMessage.address,
                OutboxMessage.params,
                OutboxMessage.attempts,
                OutboxMessage.created_at,
            )
            .where(OutboxMessage.id.in_(ids), OutboxMessage.claimed_by == token)  # type: ignore[union-attr]
            .order_by(OutboxMessage.id)
        )
        return [Claimed(*row) for row in rows]


def _mine(message_id: int, token: str):  # type: ignore[no-untyped-def]
    return (
        OutboxMessage.id == message_id,
        OutboxMessage.claimed_by == token,
        OutboxMessage.status == OutboxStatus.QUEUED,
    )


def mark_sent(engine: Engine, message_id: int, *, token: str, now: datetime) -> bool:
    """The row was delivered: sent, unless the claim is no longer this worker's."""
    with transaction(engine) as session:
        done = session.execute(
            update(OutboxMessage)
            .where(*_mine(message_id, token))
            .values(status=OutboxStatus.SENT, sent_at=now, claimed_by=None, claimed_until=None)
        )
        return bool(done.rowcount)  # type: ignore[attr-defined]


def backoff(attempts: int, base: float) -> timedelta:
    """The wait after the ``attempts``-th failure: ``base`` seconds, doubling, at most an hour."""
    return min(timedelta(seconds=base * 2 ** min(attempts - 1, 20)), MAX_BACKOFF)


def mark_failed(
    engine: Engine,
    message: Claimed,
    *,
    token: str,
    now: datetime,
    error: str,
    max_attempts: int,
    backoff_seconds: float,
) -> OutboxStatus:
    """A failed attempt: queued again after the backoff, or dead after ``max_attempts``."""
    dead = message.attempts >= max_attempts
    status = OutboxStatus.DEAD if dead else OutboxStatus.QUEUED
    with transaction(engine) as session:
        session.execute(
            update(OutboxMessage)
            .where(*_mine(message.id, token))
            .values(
                status=status,
                next_attempt_at=now + backoff(message.attempts, backoff_seconds),
                claimed_by=None,
                claimed_until=None,
                last_error=error[:ERROR_LENGTH],
            )
        )
    return status


def queued(engine: Engine) -> dict[str, int]:
    """Rows waiting to be sent, by channel (the metrics' gauge)."""
    with transaction(engine) as session:
        rows = session.execute(
            select(OutboxMessage.channel, func.count())
            .where(OutboxMessage.status == OutboxStatus.QUEUED)
            .group_by(OutboxMessage.channel)
        )
        return {channel: int(count) for channel, count in rows}


@dataclass(frozen=True)
class Pruned:
    outbox: int
    inbox: int


def prune(engine: Engine, *, before: datetime) -> Pruned:
    """Delete outbox rows sent (or dead) before ``before``, and inbox messages read before
    it (a scheduled one's only after ``SCHEDULED_KEPT``): neither table grows without bound.
    Unsent rows and unread messages stay."""
    with transaction(engine) as session:
        outbox = session.execute(
            delete(OutboxMessage).where(
                or_(
                    (OutboxMessage.status == OutboxStatus.SENT) & (OutboxMessage.sent_at < before),  # type: ignore[operator]
                    (OutboxMessage.status == OutboxStatus.DEAD)
                    & (OutboxMessage.next_attempt_at < before),
                )
            )
        )
        inbox = session.execute(
            delete(InboxMessage).where(
                InboxMessage.read_at < before,  # type: ignore[operator]
                or_(
                    InboxMessage.dedupe_key.is_(None),  # type: ignore[union-attr]
                    InboxMessage.created_at < before - SCHEDULED_KEPT,
                ),
            )
        )
        return Pruned(outbox=int(outbox.rowcount), inbox=int(inbox.rowcount))  # type: ignore[attr-defined]
