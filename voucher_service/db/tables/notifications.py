"""Notifications: what a person is told (the inbox), what is still to be sent elsewhere (the
outbox) and where each person wants mail.

Both the inbox message and the outbox row are written in the transaction of the change they
tell of (``notifications.notify``): a change that rolls back leaves neither, and a change that
commits leaves both, whatever a mail server does afterwards. The worker (``voucher-service
worker``) sends outbox rows and marks them sent; sent and dead rows, and read inbox messages,
are deleted after the retention period (``VOUCHER_NOTIFICATION_RETENTION_DAYS``).

A scheduled notification (a voucher about to expire, the daily digests) carries a
``dedupe_key``, unique per person: the periodic job may run any number of times a day, in
any number of workers, and each person is told once.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import CheckConstraint, Column, Index, Integer, String, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from voucher_service.db import base  # noqa: F401  (naming convention before any table)
from voucher_service.db.columns import one_of, status_column, timestamp
from voucher_service.db.types import BigInt, UTCDateTime


class OutboxStatus(StrEnum):
    QUEUED = "queued"  # waits for a worker (again, after a failed attempt)
    SENT = "sent"  # delivered: deleted after the retention period
    DEAD = "dead"  # failed ``worker_max_attempts`` times: an operator looks at last_error


class InboxMessage(SQLModel, table=True):
    """One notification in a person's console inbox. ``params`` (JSON) fill the event's text
    when it is shown, in the reader's language."""

    __tablename__ = "inbox_message"
    __table_args__ = (
        UniqueConstraint("account_id", "dedupe_key"),
        Index(None, "account_id", "read_at"),
        Index(None, "created_at"),
    )

    id: int | None = Field(default=None, sa_column=Column(BigInt, primary_key=True))
    account_id: int = Field(foreign_key="account.id", nullable=False)
    event: str = Field(sa_column=Column(String(40), nullable=False))
    params: str = Field(sa_column=Column(Text, nullable=False))
    dedupe_key: str | None = Field(default=None, sa_column=Column(String(200), nullable=True))
    created_at: datetime = timestamp()  # type: ignore[assignment]
    read_at: datetime | None = timestamp(nullable=True)  # type: ignore[assignment]


class OutboxMessage(SQLModel, table=True):
    """A delivery still owed outside the database: ``channel`` names the drain that sends it
    ("mail"). A worker claims a row by setting ``claimed_by`` and ``claimed_until`` (a lease:
    a worker that dies leaves the row to be claimed again once the lease has passed), counts
    the attempt, and marks it sent, or queued again after ``next_attempt_at``, or dead."""

    __tablename__ = "outbox_message"
    __table_args__ = (
        UniqueConstraint("channel", "dedupe_key"),
        one_of("status", OutboxStatus),
        CheckConstraint("attempts >= 0", name="attempts_nonnegative"),
        Index(None, "status", "channel", "next_attempt_at"),
        Index(None, "sent_at"),
    )

    id: int | None = Field(default=None, sa_column=Column(BigInt, primary_key=True))
    channel: str = Field(sa_column=Column(String(16), nullable=False))
    event: str = Field(sa_column=Column(String(40), nullable=False))
    account_id: int | None = Field(default=None, foreign_key="account.id")
    # Where it goes (a mail address), fixed when it was written.
    address: str = Field(sa_column=Column(String(320), nullable=False))
    params: str = Field(sa_column=Column(Text, nullable=False))
    dedupe_key: str | None = Field(default=None, sa_column=Column(String(200), nullable=True))
    status: str = status_column(OutboxStatus.QUEUED)  # type: ignore[assignment]
    attempts: int = Field(default=0, sa_column=Column(Integer, nullable=False, default=0))
    next_attempt_at: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))
    claimed_by: str | None = Field(default=None, sa_column=Column(String(64), nullable=True))
    claimed_until: datetime | None = timestamp(nullable=True)  # type: ignore[assignment]
    last_error: str | None = Field(default=None, sa_column=Column(String(500), nullable=True))
    created_at: datetime = timestamp()  # type: ignore[assignment]
    sent_at: datetime | None = timestamp(nullable=True)  # type: ignore[assignment]


class MailPreference(SQLModel, table=True):
    """Where a person wants mail, and for which events (comma-separated event names; the
    inbox gets every event whatever this says). No row: no mail."""

    __tablename__ = "mail_preference"

    account_id: int = Field(foreign_key="account.id", primary_key=True)
    address: str = Field(sa_column=Column(String(320), nullable=False))
    events: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    updated_at: datetime = timestamp()  # type: ignore[assignment]
