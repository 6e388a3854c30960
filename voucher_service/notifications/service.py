"""Telling people what happened: ``notify`` (called by the services where events happen, in
their transaction), each person's inbox, and their mail preferences.

``notify`` writes one inbox message per person and, for those who asked for this event by
mail, one outbox row the worker sends. Both are part of the caller's transaction: a change
that rolls back tells nobody, and a change that commits is told however long the mail
server is away. With a ``dedupe`` key (the scheduled notifications) a person is told once
per key, however often and in however many workers the job runs.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Table, func, select, update
from sqlalchemy.orm import Session

from voucher_service.db.base import table
from voucher_service.db.statements import dialect_insert
from voucher_service.db.tables.notifications import InboxMessage, MailPreference, OutboxMessage
from voucher_service.db.types import utcnow
from voucher_service.errors import ErrorCode, InvalidInput, NotFound
from voucher_service.notifications.events import TEXTS, Audience, Event, events_for
from voucher_service.notifications.recipients import Recipients

MAIL = "mail"  # the outbox channel the mail drain sends
INBOX = table(InboxMessage)
OUTBOX = table(OutboxMessage)
# Enough to refuse what is plainly not an address; the mail server has the last word.
ADDRESS = re.compile(r"^[^@\s<>,;\"]{1,64}@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+$")
MAX_ADDRESS = 254


def notify(
    session: Session,
    event: Event,
    recipients: Recipients,
    *,
    dedupe: str | None = None,
    now: datetime | None = None,
    **params: object,
) -> int:
    """Tell ``recipients`` of ``event`` (``params`` fill its text): an inbox message each,
    and an outbox row for each who wants this event by mail. With ``dedupe``, a person
    already told under that key is not told again. Returns the number of people told now."""
    now = now or utcnow()
    people = recipients.people(session)
    if not people:
        return 0
    text = json.dumps({k: str(v) for k, v in params.items()}, ensure_ascii=False)
    wanted = mail_addresses(session, event, [p.account_id for p in people])
    told = 0
    for person in people:
        row = {
            "account_id": person.account_id,
            "event": event.value,
            "params": text,
            "dedupe_key": dedupe,
            "created_at": now,
        }
        if not _insert(session, INBOX, row, once=dedupe is not None):
            continue
        told += 1
        address = wanted.get(person.account_id)
        if address is None:
            continue
        mail = {
            "channel": MAIL,
            "event": event.value,
            "account_id": person.account_id,
            "address": address,
            "params": json.dumps(
                {**json.loads(text), "name": person.display_name}, ensure_ascii=False
            ),
            "dedupe_key": f"{dedupe}:{person.account_id}" if dedupe else None,
            "status": "queued",
            "attempts": 0,
            "next_attempt_at": now,
            "created_at": now,
        }
        _insert(session, OUTBOX, mail, once=dedupe is not None)
    return told


def _insert(session: Session, target: Table, row: dict[str, Any], *, once: bool) -> bool:
    """Insert ``row``; with ``once``, only if its unique key is not there yet (a concurrent
    job's row wins, with no error and no lost transaction). Whether it was inserted."""
    if not once:
        session.execute(target.insert().values(**row))
        return True
    statement = (
        dialect_insert(session, target)
        .values(**row)
        .on_conflict_do_nothing()
        .returning(target.c.id)
    )
    return session.execute(statement).first() is not None


def mail_addresses(session: Session, event: Event, account_ids: list[int]) -> dict[int, str]:
    """The address of each of ``account_ids`` who wants ``event`` by mail."""
    rows = session.execute(
        select(MailPreference.account_id, MailPreference.address, MailPreference.events).where(
            MailPreference.account_id.in_(account_ids)  # type: ignore[attr-defined]
        )
    )
    return {
        account_id: address
        for account_id, address, events in rows
        if event.value in events.split(",")
    }


# The inbox


@dataclass(frozen=True)
class Message:
    """An inbox message, with its event's text in one language."""

    id: int
    event: Event
    subject: str
    body: str
    created_at: datetime
    read_at: datetime | None


def _message(row: InboxMessage, language: str) -> Message:
    event = Event(row.event)
    params = json.loads(row.params)
    assert row.id is not None
    return Message(
        id=row.id,
        event=event,
        subject=TEXTS[event].subject(language, params),
        body=TEXTS[event].body(language, params),
        created_at=row.created_at,
        read_at=row.read_at,
    )


def inbox(
    session: Session, account_id: int, *, language: str, unread_only: bool = False, limit: int
) -> list[Message]:
    """A person's newest inbox messages (at most ``limit``), newest first."""
    query = select(InboxMessage).where(InboxMessage.account_id == account_id)
    if unread_only:
        query = query.where(InboxMessage.read_at.is_(None))  # type: ignore[union-attr]
    rows = session.scalars(query.order_by(InboxMessage.id.desc()).limit(limit))  # type: ignore[union-attr]
    return [_message(row, language) for row in rows]


def unread_count(session: Session, account_id: int) -> int:
    """How many of a person's inbox messages are unread (the menu's badge)."""
    return int(
        session.scalar(
            select(func.count()).where(
                InboxMessage.account_id == account_id,
                InboxMessage.read_at.is_(None),  # type: ignore[union-attr]
            )
        )
        or 0
    )


def mark_read(session: Session, account_id: int, message_id: int, *, now: datetime) -> None:
    """Mark one of a person's messages read (another's is not found)."""
    row = session.get(InboxMessage, message_id)
    if row is None or row.account_id != account_id:
        raise NotFound(
            "no message {message_id}", code=ErrorCode.MESSAGE_NOT_FOUND, message_id=message_id
        )
    if row.read_at is None:
        row.read_at = now
        session.flush()


def mark_all_read(session: Session, account_id: int, *, now: datetime) -> int:
    """Mark every unread message of a person read; how many were."""
    done = session.execute(
        update(InboxMessage)
        .where(
            InboxMessage.account_id == account_id,
            InboxMessage.read_at.is_(None),  # type: ignore[union-attr]
        )
        .values(read_at=now)
    )
    return int(done.rowcount)  # type: ignore[attr-defined]


# Mail preferences


@dataclass(frozen=True)
class MailChoice:
    """A person's mail preference: the address and the events they receive by mail, among
    those their role may receive (``offered``)."""

    address: str
    events: frozenset[Event]
    offered: tuple[Event, ...]


def mail_choice(session: Session, account_id: int, audience: Audience) -> MailChoice:
    """What a person receives by mail (nothing until they choose)."""
    row = session.get(MailPreference, account_id)
    chosen = {Event(e) for e in row.events.split(",") if e} if row else set()
    return MailChoice(
        address=row.address if row else "",
        events=frozenset(chosen),
        offered=tuple(events_for(audience)),
    )


def choose_mail(
    session: Session,
    account_id: int,
    audience: Audience,
    *,
    address: str,
    events: Mapping[str, object] | list[str],
    now: datetime,
) -> MailChoice:
    """Set where a person gets mail and for which of their role's events. An empty address
    with no events stops mail; an address that is not one, or an event the role does not
    receive, is refused with nothing changed."""
    address = address.strip()
    offered = events_for(audience)
    names = list(events)
    unknown = [name for name in names if name not in {e.value for e in offered}]
    if unknown:
        raise InvalidInput(
            "not an event you can receive: {events}",
            code=ErrorCode.INVALID_EVENT,
            events=", ".join(sorted(unknown)),
        )
    if address and (len(address) > MAX_ADDRESS or not ADDRESS.match(address)):
        raise InvalidInput(
            "not a mail address: {address}", code=ErrorCode.INVALID_ADDRESS, address=address[:80]
        )
    if names and not address:
        raise InvalidInput("mail needs an address", code=ErrorCode.INVALID_ADDRESS)
    row = session.get(MailPreference, account_id)
    if not address:
        if row is not None:
            session.delete(row)
            session.flush()
        return mail_choice(session, account_id, audience)
    chosen = ",".join(e.value for e in offered if e.value in names)
    if row is None:
        row = MailPreference(account_id=account_id, address=address, events=chosen)
        session.add(row)
    row.address, row.events, row.updated_at = address, chosen, now
    session.flush()
    return mail_choice(session, account_id, audience)
