"""The second factor: a TOTP app's six-digit code (RFC 6238, 30-second steps), or one of ten
single-use recovery codes.

Enrolment has two steps, so that a factor never counts before the person's app has it:
``new_enrolment`` makes a shared secret (shown as text and as an ``otpauth://`` URI a phone
can import; nothing stored), ``confirm_enrolment`` takes it back with a code from the app,
and only then is the factor on, with ten recovery codes shown once (stored as SHA-256:
each has 80 random bits). A code is accepted for the current step or one step either side
(clock drift), and never twice: the last accepted step is kept.
``VOUCHER_REQUIRE_SECOND_FACTOR`` makes it compulsory for bureau accounts; whoever has one
uses it whatever the setting.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from dataclasses import dataclass
from datetime import datetime

import pyotp
from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session
from sqlmodel import col

from voucher_service import audit_log as audit
from voucher_service.accounts.passwords import new_recovery_code
from voucher_service.accounts.service import Person, get_person
from voucher_service.db.tables.accounts import Account, RecoveryCode
from voucher_service.db.tables.auth import Role
from voucher_service.errors import ErrorCode, InvalidInput, InvalidState

ISSUER = "Wuhan compute vouchers"
RECOVERY_CODES = 10
STEP_SECONDS = 30
DRIFT_STEPS = 1
_SECRET = re.compile(r"^[A-Z2-7]{32}$")
_PEOPLE_OUTSIDE_THE_BUREAU = frozenset({Role.ENTERPRISE, Role.PROVIDER})


def applies_to(person: Person, *, required: bool) -> bool:
    """Whether ``person`` must give a second factor to sign in: whoever set one up, and,
    when the setting requires it, every bureau account (which must first set one up)."""
    if enrolled(person.account):
        return True
    return required and person.role not in _PEOPLE_OUTSIDE_THE_BUREAU


def enrolled(account: Account) -> bool:
    return account.totp_confirmed_at is not None


@dataclass(frozen=True)
class Enrolment:
    secret: str  # base32, for typing into an app
    uri: str  # otpauth://totp/...: for an app that scans or imports it


def new_enrolment(account: Account) -> Enrolment:
    """A new secret for the person's app. Nothing is stored until a code from the app
    confirms it (``confirm_enrolment``): showing the page changes nothing."""
    secret = pyotp.random_base32()
    return Enrolment(secret, uri_of(account, secret))


def uri_of(account: Account, secret: str) -> str:
    """The ``otpauth://`` URI an authenticator app imports (or a QR code would carry)."""
    return pyotp.TOTP(secret).provisioning_uri(name=account.login, issuer_name=ISSUER)


def retry_enrolment(account: Account, secret: str) -> Enrolment:
    """The enrolment a refused code was for, to try again (a new one if the form's secret
    is not one this service makes)."""
    if not _SECRET.match(secret):
        return new_enrolment(account)
    return Enrolment(secret, uri_of(account, secret))


def confirm_enrolment(
    session: Session, account_id: int, *, secret: str, code: str, now: datetime
) -> list[str]:
    """The factor is on once a code from the app matches the secret it was given; the ten
    recovery codes, shown only now."""
    account = _unenrolled(session, account_id)
    if not _SECRET.match(secret):
        raise InvalidInput("not a TOTP secret", code=ErrorCode.WRONG_CODE)
    account.totp_secret, account.totp_last_step = secret, None
    step = _matching_step(account, code, now)
    if step is None:
        account.totp_secret = None
        raise InvalidInput(
            "the code does not match: check the phone's clock and enter the newest code",
            code=ErrorCode.WRONG_CODE,
        )
    account.totp_last_step = step
    account.totp_confirmed_at = now
    codes = [new_recovery_code() for _ in range(RECOVERY_CODES)]
    session.execute(delete(RecoveryCode).where(RecoveryCode.account_id == account_id))
    session.add_all(RecoveryCode(account_id=account_id, code_hash=_digest(c)) for c in codes)
    session.flush()
    audit.record(session, "account.second_factor_on", "account", account.login)
    return codes


def _unenrolled(session: Session, account_id: int) -> Account:
    account = get_person(session, account_id, lock=True).account
    if enrolled(account):
        raise InvalidState("account {login} already has a second factor", login=account.login)
    return account


def verify(session: Session, account: Account, code: str, *, now: datetime) -> str | None:
    """How a code proves the second factor (``totp`` or ``recovery_code``, the latter used
    up now), or None if it does not. Each is taken by one conditional UPDATE, so of two
    requests racing with the same code (in any API processes) only one is accepted."""
    step = _matching_step(account, code, now)
    if step is not None:
        taken = session.execute(
            update(Account)
            .where(
                Account.id == account.id,
                col(Account.totp_last_step).is_(None) | (col(Account.totp_last_step) < step),
            )
            .values(totp_last_step=step)
        )
        return "totp" if taken.rowcount == 1 else None  # type: ignore[attr-defined]
    used = session.execute(
        update(RecoveryCode)
        .where(
            RecoveryCode.account_id == account.id,
            RecoveryCode.code_hash == _digest(code),
            col(RecoveryCode.used_at).is_(None),
        )
        .values(used_at=now)
    )
    return "recovery_code" if used.rowcount == 1 else None  # type: ignore[attr-defined]


def _matching_step(account: Account, code: str, now: datetime) -> int | None:
    """The time step ``code`` is the TOTP of (within the drift), if later than the last one
    accepted."""
    digits = code.replace(" ", "").strip()
    if account.totp_secret is None or not digits.isdigit() or len(digits) != 6:
        return None
    totp = pyotp.TOTP(account.totp_secret)
    current = int(now.timestamp()) // STEP_SECONDS
    for step in range(current - DRIFT_STEPS, current + DRIFT_STEPS + 1):
        if step > (account.totp_last_step or -1) and hmac.compare_digest(
            totp.generate_otp(step), digits
        ):
            return step
    return None


def recovery_codes_left(session: Session, account_id: int) -> int:
    return (
        session.scalar(
            select(func.count()).where(
                RecoveryCode.account_id == account_id, col(RecoveryCode.used_at).is_(None)
            )
        )
        or 0
    )


def remove(session: Session, account_id: int) -> Person:
    """The bureau takes an account's second factor away (a lost phone and no recovery code
    left): the person sets up a new one at the next sign-in if the setting requires it."""
    person = get_person(session, account_id, lock=True)
    account = person.account
    if account.totp_secret is None:
        raise InvalidState("account {login} has no second factor", login=account.login)
    account.totp_secret = account.totp_confirmed_at = account.totp_last_step = None
    session.execute(delete(RecoveryCode).where(RecoveryCode.account_id == account_id))
    session.flush()
    audit.record(session, "account.second_factor_removed", "account", account.login)
    return person


def _digest(code: str) -> str:
    normal = "".join(code.lower().split()).replace("-", "")
    return hashlib.sha256(normal.encode()).hexdigest()
