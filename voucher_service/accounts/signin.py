"""Signing in: the password, then (when the account has one) the second factor; failures
throttled by the one mechanism API keys use (``auth/throttle.py``), and an administrator's
unlock.

The rule (STYLE.md 21): **the correct password always signs in**, unless the account is
disabled. The password is checked first; only failures are counted, per login name as typed
(``account:<name>``, limit ``ACCOUNT_FAILURE_LIMIT``) and per client address (the address the
gate read through ``VOUCHER_TRUSTED_PROXIES``, shared with failed keys). Past a limit a
failure is answered 429 with ``Retry-After`` instead of 401, so neither a colleague behind
the same proxy nor someone guessing a person's password can keep that person out.

The second factor's codes are the exception: only someone who gave the right password
reaches them, and a six-digit code must not be guessed at network speed, so past
``CODE_FAILURE_LIMIT`` failures (per account) codes are refused unchecked until the window
passes or an administrator unlocks the account.

Every failure is an audit entry (``account.sign_in_failed``: who was tried, from where,
why) until its source is past the limit, so a flood of guesses cannot grow the log without
bound; every sign-in is one (``account.sign_in``, in ``sessions.start_session``).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import NoReturn

from sqlalchemy.orm import Session

from voucher_service import audit_log as audit
from voucher_service.accounts import second_factor
from voucher_service.accounts.passwords import (
    dummy_hash,
    hash_password,
    needs_rehash,
    verify_password,
)
from voucher_service.accounts.service import Person, _people, _person, get_person
from voucher_service.auth import throttle
from voucher_service.db.tables.accounts import Account
from voucher_service.errors import ErrorCode, NotFound, Unauthorized
from voucher_service.metrics import AUTH_FAILURES

ACCOUNT_FAILURE_LIMIT = 5
CODE_FAILURE_LIMIT = 5


def _account_source(login: str) -> str:
    return f"account:{login}"


def _code_source(login: str) -> str:
    return f"code:{login}"


def check_password(
    session: Session, *, login: str, password: str, client: str, now: datetime
) -> Person:
    """The person a login name and password belong to; else Unauthorized (wrong, or the
    account disabled) or TooManyFailures (wrong, and past a limit). A refusal is counted and
    recorded: the caller commits although sign-in is refused."""
    name = login.strip().lower()[:64]
    row = session.execute(_people().where(Account.login == name)).first()
    if not verify_password(row[0].password_hash if row else dummy_hash(), password) or not row:
        sources = {
            _account_source(name): ACCOUNT_FAILURE_LIMIT,
            throttle.address_source(client): throttle.ADDRESS_FAILURE_LIMIT,
        }
        _refuse(session, name, client, "wrong_password", sources, now=now)
    person = _person(row)
    if person.account.disabled_at is not None:
        _record_failure(session, name, client, "account_disabled")
        raise Unauthorized("account {name} is disabled", name=name, code=ErrorCode.ACCOUNT_DISABLED)
    if needs_rehash(person.account.password_hash):
        person.account.password_hash = hash_password(password)
    return person


def check_second_factor(
    session: Session, person: Person, *, code: str, client: str, now: datetime
) -> str:
    """How ``code`` proves the person's second factor (``totp``, ``recovery_code``); else
    Unauthorized (counted and recorded) or TooManyFailures (checked before the code is)."""
    login = person.account.login
    sources = {
        _code_source(login): CODE_FAILURE_LIMIT,
        throttle.address_source(client): throttle.ADDRESS_FAILURE_LIMIT,
    }
    throttle.refuse_if_throttled(session, sources, now=now, what="second-factor codes")
    method = second_factor.verify(session, person.account, code, now=now)
    if method is None:
        _refuse(session, login, client, "wrong_code", sources, now=now)
    throttle.clear(session, [_code_source(login)])
    return method


def _refuse(
    session: Session,
    login: str,
    client: str,
    reason: str,
    sources: dict[str, int],
    *,
    now: datetime,
) -> NoReturn:
    AUTH_FAILURES.labels(f"sign_in_{reason}").inc()
    counted = throttle.count_failure(session, sources, now=now)
    if counted.over_by <= 1:  # past the limit, the metric alone counts them
        _record_failure(session, login, client, reason, throttled=counted.over_by == 1)
    code = ErrorCode.WRONG_CODE if reason == "wrong_code" else ErrorCode.WRONG_PASSWORD
    raise counted.refusal(now, "sign-ins") or Unauthorized(
        "wrong code" if reason == "wrong_code" else "wrong login name or password", code=code
    )


def _record_failure(
    session: Session, login: str, client: str, reason: str, *, throttled: bool = False
) -> None:
    audit.set_actor(session, audit.Actor(None, None, f"anonymous@{client[:100]}"))
    audit.record(
        session,
        "account.sign_in_failed",
        "account",
        login,
        after={"client": client, "reason": reason, "throttled": throttled},
    )


def find_account(session: Session, login: str) -> Person:
    """The account a login name belongs to (for the command line), or NotFound."""
    row = session.execute(_people().where(Account.login == login.strip().lower())).first()
    if row is None:
        raise NotFound("no account {login}", login=login, code=ErrorCode.ACCOUNT_NOT_FOUND)
    return _person(row)


def unlock(session: Session, account_id: int) -> Person:
    """An administrator lifts the slow-down on an account's sign-ins and second-factor
    codes at once (its counters are forgotten); recorded in the audit log."""
    person = get_person(session, account_id)
    login = person.account.login
    cleared = throttle.clear(session, [_account_source(login), _code_source(login)])
    audit.record(session, "account.unlock", "account", login, after={"counters": cleared})
    return person


def _limits(logins: Iterable[str]) -> dict[str, int]:
    limits: dict[str, int] = {}
    for login in logins:
        limits[_account_source(login)] = ACCOUNT_FAILURE_LIMIT
        limits[_code_source(login)] = CODE_FAILURE_LIMIT
    return limits


def throttled_until(session: Session, login: str, *, now: datetime) -> datetime | None:
    """Until when an account's failed sign-ins or codes are being slowed (None: they are
    not)."""
    return throttle.throttled_until(session, _limits([login]), now=now)


def slowed_down(session: Session, logins: Iterable[str], *, now: datetime) -> set[str]:
    """Which of these accounts are being slowed now (one query): what the bureau's account
    list shows, beside the unlock button."""
    sources = throttle.at_limit(session, _limits(logins), now=now)
    return {source.split(":", 1)[1] for source in sources}
