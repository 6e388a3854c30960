"""Console sessions, held in the database.

``start_session`` makes a 256-bit random token for the cookie (which the console also signs);
the database keeps only its SHA-256, an absolute expiry (``VOUCHER_SESSION_MAX_HOURS`` after
sign-in) and when it was last seen (``VOUCHER_SESSION_IDLE_MINUTES`` without a request ends
it). Sign-out, a password change or reset and disabling the account delete session rows, so
every API process refuses the old cookie on its next request.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from voucher_service import audit_log as audit
from voucher_service.accounts.service import Person, _people, _person
from voucher_service.config import Settings
from voucher_service.db.tables.accounts import Account, AccountSession, ConsoleSecret

LAST_SEEN_RESOLUTION = timedelta(minutes=1)  # at most one write per session a minute


@dataclass(frozen=True)
class SessionPolicy:
    """How long a session lives: ``idle`` without a request, ``lifetime`` at most."""

    idle: timedelta
    lifetime: timedelta

    @classmethod
    def of(cls, settings: Settings) -> SessionPolicy:
        return cls(idle=settings.session_idle, lifetime=settings.session_lifetime)


@dataclass(frozen=True)
class SignedIn:
    person: Person
    session_id: int


@dataclass(frozen=True)
class NewSession:
    token: str  # for the cookie; never stored
    signed_in: SignedIn


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def start_session(
    session: Session,
    person: Person,
    *,
    policy: SessionPolicy,
    client: str,
    second_factor: str | None = None,
    now: datetime,
) -> NewSession:
    """A new session for ``person``, recorded in the audit log as a sign-in (from where,
    and with which second factor, if any). Sessions past their expiry are deleted here, so
    the table holds live sessions only."""
    session.execute(
        delete(AccountSession).where(
            (AccountSession.expires_at <= now) | (AccountSession.last_seen_at <= now - policy.idle)
        )
    )
    token = secrets.token_urlsafe(32)
    row = AccountSession(
        token_hash=_digest(token),
        account_id=person.account.id,
        created_at=now,
        last_seen_at=now,
        expires_at=now + policy.lifetime,
    )
    session.add(row)
    session.flush()
    audit.set_actor(session, person.actor())
    audit.record(
        session,
        "account.sign_in",
        "account",
        person.account.login,
        after={"client": client, "second_factor": second_factor},
    )
    return NewSession(token, SignedIn(person, row.id))


def resolve_session(
    session: Session, token: str, *, policy: SessionPolicy, now: datetime
) -> SignedIn | None:
    """The person a session token belongs to, or None: unknown, ended, past its lifetime,
    idle too long or the account disabled."""
    row = session.execute(
        _people()
        .add_columns(AccountSession)
        .join(AccountSession, AccountSession.account_id == Account.id)
        .where(AccountSession.token_hash == _digest(token))
    ).first()
    if row is None:
        return None
    person, live = _person(row), row[4]
    if (
        live.expires_at <= now
        or live.last_seen_at <= now - policy.idle
        or person.account.disabled_at is not None
    ):
        return None
    if live.last_seen_at < now - LAST_SEEN_RESOLUTION:
        session.execute(
            update(AccountSession).where(AccountSession.id == live.id).values(last_seen_at=now)
        )
    return SignedIn(person, live.id)


def end_session(session: Session, signed_in: SignedIn) -> None:
    """Sign out: this session ends everywhere."""
    session.execute(delete(AccountSession).where(AccountSession.id == signed_in.session_id))
    audit.record(session, "account.sign_out", "account", signed_in.person.account.login)


def signing_secret(session: Session) -> bytes:
    """The key that signs console cookies and CSRF tokens (made by the migration)."""
    secret: str | None = session.scalar(select(ConsoleSecret.secret).where(ConsoleSecret.id == 1))
    assert secret is not None, "the console secret is missing: run the migrations"
    return secret.encode()
