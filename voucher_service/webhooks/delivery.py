"""The drain: deliver the webhook deliveries that are due, and log each attempt.

One round (``deliver_due``) runs in three steps, so that no transaction is open while a
receiver is slow:

1. **Claim** the due deliveries in one short transaction: ``FOR UPDATE SKIP LOCKED`` on
   PostgreSQL (SQLite has one writer), and lease each one (its ``next_attempt_at`` moves past
   the request's timeout, its ``attempts`` counts this one). Another drain running at the same
   time skips the locked rows and, once committed, no longer sees them as due: an attempt is
   made by one drain only.
2. **Post** each one, signed (``signing.signature_header``), outside any transaction.
3. **Record** the attempt (status, latency, answer) and the delivery's fate: delivered on a
   2xx; else retried after ``retry_delay`` (exponential, at most an hour) until its
   ``give_up_at`` (a day after its first attempt, by default), then failed.

A drain killed between 1 and 3 loses nothing: the lease runs out and the delivery is due
again, under the same event id, which receivers de-duplicate by.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

import httpx
from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from voucher_service.config import get_settings
from voucher_service.db.tables.webhooks import (
    DeliveryStatus,
    EndpointStatus,
    WebhookAttempt,
    WebhookDelivery,
    WebhookEndpoint,
)
from voucher_service.db.types import utcnow
from voucher_service.webhooks.signing import HEADER, signature_header

Sessions = Callable[[], AbstractContextManager[Session]]
FIRST_RETRY = timedelta(seconds=30)
LONGEST_WAIT = timedelta(hours=1)
LEASE_MARGIN = timedelta(seconds=60)
USER_AGENT = "voucher-service-webhooks/1"


def retry_delay(attempts: int) -> timedelta:
    """How long to wait after the ``attempts``-th failed try: 30 s, 1 min, 2 min, 4 min, ...
    doubling, never more than an hour."""
    if attempts <= 1:
        return FIRST_RETRY
    doubled: timedelta = FIRST_RETRY * 2 ** min(attempts - 1, 20)
    return min(doubled, LONGEST_WAIT)


def live_secrets(endpoint: WebhookEndpoint, now: datetime) -> list[str]:
    """The secrets that sign now: the current one, and the previous one until it expires."""
    keep_previous = (
        endpoint.previous_secret is not None
        and endpoint.previous_expires_at is not None
        and endpoint.previous_expires_at > now
    )
    return [endpoint.secret] + ([endpoint.previous_secret] if keep_previous else [])  # type: ignore[list-item]


@dataclass(frozen=True)
class Claim:
    """A delivery leased to this drain for one attempt."""

    delivery_id: int
    attempt: int
    url: str
    event_id: str
    event_type: str
    body: bytes
    secrets: tuple[str, ...]
    give_up_at: datetime


@dataclass(frozen=True)
class Answer:
    """What one post got: the receiver's status code, or why there was none."""

    status: int | None
    latency_ms: int
    error: str = ""

    @property
    def delivered(self) -> bool:
        return self.status is not None and 200 <= self.status < 300


class Sender(Protocol):
    def __call__(self, url: str, body: bytes, headers: dict[str, str]) -> Answer: ...


@dataclass(frozen=True)
class Round:
    """What one round did."""

    attempted: int
    delivered: int
    failed: int  # given up on in this round


def claim_due(
    session: Session, *, now: datetime, limit: int, lease: timedelta, retry_for: timedelta
) -> list[Claim]:
    """Lease up to ``limit`` due deliveries of active endpoints, oldest first. A first
    attempt sets the delivery's ``give_up_at`` (``retry_for`` after it)."""
    due = (
        select(WebhookDelivery, WebhookEndpoint)
        .join(WebhookEndpoint, WebhookEndpoint.id == WebhookDelivery.endpoint_id)
        .where(
            WebhookDelivery.status == DeliveryStatus.PENDING,
            WebhookDelivery.next_attempt_at <= now,
            WebhookEndpoint.status == EndpointStatus.ACTIVE,
        )
        .order_by(WebhookDelivery.next_attempt_at, WebhookDelivery.id)
        .limit(limit)
        .with_for_update(skip_locked=True, of=WebhookDelivery)
    )
    claims = []
    for delivery, endpoint in session.execute(due):
        delivery.attempts += 1
        delivery.next_attempt_at = now + lease
        if delivery.give_up_at is None:
            delivery.give_up_at = now + retry_for
        claims.append(
            Claim(
                delivery_id=delivery.id,
                attempt=delivery.attempts,
                url=endpoint.url,
                event_id=delivery.event_id,
                event_type=delivery.event_type,
                body=delivery.body.encode(),
                secrets=tuple(live_secrets(endpoint, now)),
                give_up_at=delivery.give_up_at,
            )
        )
    session.flush()
    return claims


def post(url: str, body: bytes, headers: dict[str, str], *, timeout: float) -> Answer:
    """POST ``body`` to ``url``; the answer's status, or the error (no redirects followed)."""
    began = time.monotonic()
    try:
        response = httpx.post(url, content=body, headers=headers, timeout=timeout)
    except httpx.HTTPError as error:
        elapsed = int((time.monotonic() - began) * 1000)
        return Answer(None, elapsed, f"{type(error).__name__}: {error}"[:500])
    return Answer(response.status_code, int((time.monotonic() - began) * 1000))


def record_answer(session: Session, claim: Claim, answer: Answer, *, now: datetime) -> str:
    """Log the attempt and settle the delivery's fate; returns its status after it. A delivery
    another drain re-claimed meanwhile (its lease ran out) keeps that drain's fate."""
    session.add(
        WebhookAttempt(
            delivery_id=claim.delivery_id,
            attempted_at=now,
            latency_ms=answer.latency_ms,
            response_status=answer.status,
            error=answer.error,
        )
    )
    retry_at = now + retry_delay(claim.attempt)
    if answer.delivered:
        changes = {"status": DeliveryStatus.DELIVERED, "delivered_at": now}
    elif retry_at > claim.give_up_at:
        changes = {"status": DeliveryStatus.FAILED}
    else:
        changes = {"next_attempt_at": retry_at}
    session.execute(
        update(WebhookDelivery)
        .where(
            WebhookDelivery.id == claim.delivery_id,
            WebhookDelivery.attempts == claim.attempt,
            WebhookDelivery.status == DeliveryStatus.PENDING,
        )
        .values(**changes)
    )
    session.flush()
    status = changes.get("status", DeliveryStatus.PENDING)
    return str(status)


def deliver_due(
    sessions: Sessions,
    *,
    now: datetime | None = None,
    limit: int = 50,
    send: Sender | None = None,
    clock: Callable[[], datetime] | None = None,
) -> Round:
    """One round of the drain: claim what is due at ``now`` (default: the clock), post each
    one, record each answer. ``sessions`` opens a committing transaction (``db.session.
    transaction``); ``send`` posts (default: httpx, with the setting's timeout); ``clock``
    tells the time of each attempt (default: ``now`` if given, else the wall clock)."""
    settings = get_settings()
    timeout = settings.webhook_timeout_seconds
    moment = now or utcnow()
    clock = clock or ((lambda: moment) if now is not None else utcnow)
    lease = timedelta(seconds=timeout) + LEASE_MARGIN
    with sessions() as session:
        retry_for = timedelta(hours=settings.webhook_retry_hours)
        claims = claim_due(session, now=moment, limit=limit, lease=lease, retry_for=retry_for)
    sender: Sender = send or (lambda url, body, headers: post(url, body, headers, timeout=timeout))
    delivered = failed = 0
    for claim in claims:
        sent_at = clock()
        headers = {
            "Content-Type": "application/json; charset=utf-8",
            "User-Agent": USER_AGENT,
            "Voucher-Event-Id": claim.event_id,
            "Voucher-Event-Type": claim.event_type,
            HEADER: signature_header(claim.secrets, int(sent_at.timestamp()), claim.body),
        }
        answer = sender(claim.url, claim.body, headers)
        with sessions() as session:
            status = record_answer(session, claim, answer, now=sent_at)
        delivered += status == DeliveryStatus.DELIVERED
        failed += status == DeliveryStatus.FAILED
    return Round(attempted=len(claims), delivered=delivered, failed=failed)


def deliver_until_idle(
    sessions: Sessions,
    *,
    stop: Callable[[], bool],
    idle_seconds: float = 2.0,
    limit: int = 50,
) -> None:
    """Run rounds until ``stop()`` says so, pausing ``idle_seconds`` when nothing was due."""
    while not stop():
        if deliver_due(sessions, limit=limit).attempted == 0:
            time.sleep(idle_seconds)


def prune(session: Session, *, before: datetime) -> int:
    """Delete the deliveries that are finished (delivered, or failed for good) and were made
    before ``before``, with their attempts, so the outbox does not grow without bound; a
    pending one is kept whatever its age. How many deliveries went."""
    finished = select(WebhookDelivery.id).where(
        WebhookDelivery.status.in_([DeliveryStatus.DELIVERED, DeliveryStatus.FAILED]),  # type: ignore[attr-defined]
        WebhookDelivery.created_at < before,
    )
    ids = list(session.scalars(finished))
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        session.execute(delete(WebhookAttempt).where(WebhookAttempt.delivery_id.in_(chunk)))  # type: ignore[attr-defined]
        session.execute(delete(WebhookDelivery).where(WebhookDelivery.id.in_(chunk)))  # type: ignore[union-attr]
    return len(ids)
