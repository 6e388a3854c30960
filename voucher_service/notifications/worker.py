"""The worker (``voucher-service worker``): a loop that empties the outbox through its
drains and runs the periodic notification jobs and the pruning.

A drain is one kind of delivery: it claims what is due, delivers it and records the outcome
(``Drain``). ``DRAINS`` lists them; another kind of delivery (webhooks) is one more line
there. Several workers may run at once, on one host or many: claims are leases
(``outbox.claim``), the periodic jobs are idempotent (dedupe keys) and pruning deletes only
what is finished.

SIGTERM or SIGINT stops the loop after the batch in hand: nothing claimed is left half
done (and a worker killed outright leaves its claims to expire and be taken again).
"""

from __future__ import annotations

import logging
import os
import secrets
import signal
import socket
import threading
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from typing import Protocol

from sqlalchemy import Engine

from voucher_service.config import Settings
from voucher_service.db.session import transaction
from voucher_service.db.tables.notifications import OutboxStatus
from voucher_service.db.types import utcnow
from voucher_service.metrics import OUTBOX_FAILED, OUTBOX_QUEUED, OUTBOX_SENT
from voucher_service.notifications import outbox
from voucher_service.notifications.mail import Mailer, compose, mailer_for
from voucher_service.notifications.scheduled import JOBS, Job
from voucher_service.notifications.service import MAIL

log = logging.getLogger(__name__)


class Drain(Protocol):
    """One kind of delivery."""

    channel: str

    def drain(self, now: datetime) -> int:
        """Deliver one batch of what is due at ``now``; how many were attempted (0: none
        due, the worker may sleep)."""
        ...


class MailDrain:
    """The outbox's mail: each claimed row composed and sent through ``mailer`` (SMTP, or the
    log when none is configured)."""

    channel = MAIL

    def __init__(
        self, engine: Engine, settings: Settings, token: str, mailer: Mailer | None = None
    ) -> None:
        self.engine, self.settings, self.token = engine, settings, token
        self.mailer = mailer or mailer_for(settings)

    def drain(self, now: datetime) -> int:
        s = self.settings
        claimed = outbox.claim(
            self.engine,
            self.channel,
            token=self.token,
            now=now,
            lease=timedelta(seconds=s.worker_lease_seconds),
            batch=s.worker_batch,
        )
        try:
            for message in claimed:
                self._deliver(message, now)
        finally:
            close = getattr(self.mailer, "close", None)
            if close is not None:
                close()
        return len(claimed)

    def _deliver(self, message: outbox.Claimed, now: datetime) -> None:
        s = self.settings
        try:
            self.mailer.send(compose(message, s))
        except Exception as error:  # any failure of delivery: retried, then dead
            status = outbox.mark_failed(
                self.engine,
                message,
                token=self.token,
                now=utcnow() if now is None else now,
                error=f"{type(error).__name__}: {error}",
                max_attempts=s.worker_max_attempts,
                backoff_seconds=s.worker_backoff_seconds,
            )
            dead = status is OutboxStatus.DEAD
            OUTBOX_FAILED.labels(self.channel, "dead" if dead else "retry").inc()
            log.warning(
                "outbox %s: mail %d to %s failed (attempt %d%s): %s",
                self.channel,
                message.id,
                message.address,
                message.attempts,
                ", given up" if dead else "",
                error,
            )
            return
        if outbox.mark_sent(self.engine, message.id, token=self.token, now=now):
            OUTBOX_SENT.labels(self.channel).inc()


class WebhookDrain:
    """Providers' webhook deliveries (``webhooks.delivery``): one round of what is due, each
    attempt signed, its answer recorded; claims are leases as the mail's are."""

    channel = "webhook"

    def __init__(self, engine: Engine, settings: Settings, token: str) -> None:
        self.engine, self.batch = engine, settings.worker_batch

    def drain(self, now: datetime) -> int:
        from voucher_service.webhooks.delivery import deliver_due

        return deliver_due(lambda: transaction(self.engine), limit=self.batch).attempted


DrainFactory = Callable[[Engine, Settings, str], Drain]

# Every kind of delivery the worker runs: add a drain here.
DRAINS: list[DrainFactory] = [MailDrain, WebhookDrain]


class Worker:
    """Runs the drains until stopped; the periodic jobs every ``worker_jobs_seconds``."""

    def __init__(
        self,
        engine: Engine,
        settings: Settings,
        *,
        drains: list[Drain] | None = None,
        jobs: Sequence[tuple[str, Job]] = JOBS,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.engine, self.settings, self.clock, self.jobs = engine, settings, clock, jobs
        self.token = f"{socket.gethostname()[:30]}:{os.getpid()}:{secrets.token_hex(4)}"
        self.drains = (
            drains
            if drains is not None
            else [make(engine, settings, self.token) for make in DRAINS]
        )
        self.stopping = threading.Event()
        self.jobs_due: datetime | None = None

    def run_once(self) -> int:
        """One batch of each drain; how many messages were attempted."""
        now = self.clock()
        return sum(drain.drain(now) for drain in self.drains)

    def run_jobs(self) -> int:
        """The periodic notifications (each in its own transaction) and the pruning; how
        many people were told."""
        now = self.clock()
        today = self.settings.today(now)
        told = 0
        for name, job in self.jobs:
            try:
                with transaction(self.engine) as session:
                    told += job(session, today, now, self.settings)
            except Exception:
                log.exception("scheduled notifications %s failed; tried again next run", name)
        before = now - timedelta(days=self.settings.notification_retention_days)
        pruned = outbox.prune(self.engine, before=before)
        try:
            from voucher_service.webhooks.delivery import prune as prune_webhooks

            with transaction(self.engine) as session:
                prune_webhooks(session, before=before)
        except Exception:
            log.exception("pruning webhook deliveries failed; tried again next run")
        if told or pruned.outbox or pruned.inbox:
            log.info(
                "scheduled notifications: %d told; pruned %d sent mails and %d read messages",
                told,
                pruned.outbox,
                pruned.inbox,
            )
        return told

    def count_queued(self) -> None:
        counts = outbox.queued(self.engine)
        for drain in self.drains:
            OUTBOX_QUEUED.labels(drain.channel).set(counts.get(drain.channel, 0))

    def stop(self, *_: object) -> None:
        self.stopping.set()

    def run(self) -> None:
        """Loop until ``stop`` (SIGTERM, SIGINT): jobs when due, then the drains, sleeping
        ``worker_poll_seconds`` when there was nothing to send. A database or mail server
        that fails is logged and tried again after the poll interval."""
        if threading.current_thread() is threading.main_thread():
            signal.signal(signal.SIGTERM, self.stop)
            signal.signal(signal.SIGINT, self.stop)
        log.info("worker %s started: drains %s", self.token, [d.channel for d in self.drains])
        while not self.stopping.is_set():
            worked = 0
            try:
                now = self.clock()
                if self.jobs_due is None or now >= self.jobs_due:
                    self.run_jobs()
                    self.jobs_due = now + timedelta(seconds=self.settings.worker_jobs_seconds)
                worked = self.run_once()
                self.count_queued()
            except Exception:
                log.exception(
                    "worker pass failed; trying again in %ss", self.settings.worker_poll_seconds
                )
            if not worked:
                self.stopping.wait(self.settings.worker_poll_seconds)
        log.info("worker %s stopped", self.token)
