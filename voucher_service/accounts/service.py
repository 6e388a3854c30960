"""People's accounts: passwords, sessions and sign-in throttling, all held in the database.

Passwords are hashed with argon2id (argon2-cffi's defaults); a hash made with older
parameters is replaced at the next successful sign-in. An unknown login name is checked
against a dummy hash, so it takes as long to refuse as a wrong password.

Sessions: ``start_session`` makes a 256-bit random token for the cookie (which the console
also signs); the database keeps only its SHA-256, an absolute expiry and when it was last
seen (idle expiry). Sign-out, a password change or reset and disabling the account delete
session rows, so every API process refuses the old cookie on its next request.

Throttling: failed sign-ins are counted per login name (as typed, known or not, so the
counters do not reveal which accounts exist) and per client address, each in a window of
``FAILURE_WINDOW``. Past ``LOGIN_FAILURE_LIMIT`` failures for a name, or
``ADDRESS_FAILURE_LIMIT`` from one address (an office shares one), sign-in is refused until
the window has passed, even with the right password. Counters whose window has passed are
deleted whenever a failure is counted, so the table holds one window's failures at most.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy import Select, case, delete, select, update
from sqlalchemy.orm import Session
from sqlmodel import col

from voucher_service import audit_log as audit
from voucher_service.auth.duties import duties_of, set_duties
from voucher_service.auth.service import Caller, principal_for
from voucher_service.db.statements import insert_if_absent
from voucher_service.db.tables.accounts import (
    Account,
    AccountSession,
    ConsoleSecret,
    SignInFailure,
)
from voucher_service.db.tables.auth import Duty, Principal, Role
from voucher_service.db.tables.enterprises import Enterprise
from voucher_service.db.tables.providers import Provider
from voucher_service.domain.uscc import USCCError, validate_uscc
from voucher_service.enterprises.service import get_enterprise
from voucher_service.errors import (
    AlreadyExists,
    ErrorCode,
    InvalidInput,
    InvalidState,
    NotFound,
    TooManyFailures,
    Unauthorized,
)
from voucher_service.metrics import AUTH_FAILURES
from voucher_service.pagination import PageParams, paginate_rows, where_given
from voucher_service.providers.service import get_provider

SESSION_LIFETIME = timedelta(hours=12)  # signed in at 8:00, signed out by 20:00 at the latest
SESSION_IDLE = timedelta(hours=2)
LAST_SEEN_RESOLUTION = timedelta(minutes=1)  # at most one write per session a minute
FAILURE_WINDOW = timedelta(minutes=15)
LOGIN_FAILURE_LIMIT = 5
ADDRESS_FAILURE_LIMIT = 30
PASSWORD_MIN_LENGTH = 10
PASSWORD_MAX_LENGTH = 200
_LOGIN = re.compile(r"^[a-z0-9][a-z0-9._@-]{2,63}$")
_PASSWORD_ALPHABET = "abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"

# argon2-cffi's defaults (RFC 9106's low-memory profile: 64 MiB, 3 passes). One object, so
# tests may swap in cheaper parameters, as Django's tests swap in a fast hasher.
PASSWORD_HASHER = PasswordHasher()


def hash_password(password: str) -> str:
    """An argon2id hash of ``password`` (salted: hashing twice gives two different hashes)."""
    return PASSWORD_HASHER.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return PASSWORD_HASHER.verify(password_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


@cache
def _dummy_hash() -> str:
    return hash_password(secrets.token_urlsafe(24))


def normalise_login(text: str) -> str:
    """A login name, lower-cased: 3-64 letters, digits and ``. _ @ -``."""
    login = text.strip().lower()
    if not _LOGIN.match(login):
        raise InvalidInput(
            f"{text!r} is not a login name: use 3-64 letters, digits and . _ @ - "
            "(starting with a letter or digit)",
            code=ErrorCode.INVALID_LOGIN,
        )
    return login


def check_new_password(password: str, login: str) -> None:
    """Refuse a password that is too short, too long or contains the login name."""
    if len(password) < PASSWORD_MIN_LENGTH:
        raise InvalidInput(
            f"a password needs at least {PASSWORD_MIN_LENGTH} characters",
            code=ErrorCode.WEAK_PASSWORD,
        )
    if len(password) > PASSWORD_MAX_LENGTH:
        raise InvalidInput(
            f"a password has at most {PASSWORD_MAX_LENGTH} characters", code=ErrorCode.WEAK_PASSWORD
        )
    if login in password.lower():
        raise InvalidInput(
            "a password must not contain the login name", code=ErrorCode.WEAK_PASSWORD
        )


def new_password() -> str:
    """A random temporary password for the bureau to hand over (about 95 bits)."""
    chars = "".join(secrets.choice(_PASSWORD_ALPHABET) for _ in range(16))
    return "-".join(chars[i : i + 4] for i in range(0, 16, 4))


@dataclass(frozen=True)
class Person:
    """A signed-in (or listed) person: the account and the principal it acts as."""

    account: Account
    principal: Principal
    enterprise_uscc: str | None
    provider_uscc: str | None

    @property
    def role(self) -> Role:
        return Role(self.principal.role)

    def caller(self) -> Caller:
        """The same caller an API key of this principal gives: the same access rules apply."""
        return Caller(
            principal_id=self.principal.id,
            role=self.role,
            name=self.principal.name,
            key_id=None,
            key_prefix=None,
            enterprise_id=self.principal.enterprise_id,
            enterprise_uscc=self.enterprise_uscc,
            provider_id=self.principal.provider_id,
            provider_uscc=self.provider_uscc,
            duties=duties_of(self.principal),
        )

    def actor(self) -> audit.Actor:
        """The person in the audit log: ``bureau_admin:zhangsan`` or
        ``enterprise:91420111MA4K00020Q/lisi`` (the enterprise and who acted for it)."""
        subject = self.enterprise_uscc or self.provider_uscc
        who = f"{subject}/{self.account.login}" if subject else self.account.login
        return audit.Actor(self.principal.id, None, f"{self.role.value}:{who}")


def _people() -> Select[Any]:
    query: Select[Any] = (
        select(Account, Principal, Enterprise.uscc, Provider.uscc)
        .join(Principal, Principal.id == Account.principal_id)
        .outerjoin(Enterprise, Enterprise.id == Principal.enterprise_id)
        .outerjoin(Provider, Provider.id == Principal.provider_id)
    )
    return query


def _person(row: Any) -> Person:
    return Person(row[0], row[1], row[2], row[3])


def get_person(session: Session, account_id: int, *, lock: bool = False) -> Person:
    query = _people().where(Account.id == account_id)
    if lock:
        query = query.with_for_update(of=Account)
    row = session.execute(query).first()
    if row is None:
        raise NotFound(f"no account {account_id}", code=ErrorCode.ACCOUNT_NOT_FOUND)
    return _person(row)


def list_people(
    session: Session, params: PageParams, *, role: Role | None = None
) -> tuple[list[Person], str | None]:
    query = where_given(_people(), (Principal.role, role.value if role else None))
    rows, cursor = paginate_rows(session, query, Account.id, params, lambda row: row[0].id)
    return [_person(row) for row in rows], cursor


def create_account(
    session: Session,
    *,
    login: str,
    display_name: str,
    role: Role,
    password: str,
    uscc: str | None = None,
    duties: frozenset[Duty] = frozenset(),
    must_change_password: bool = False,
    now: datetime,
) -> Person:
    """An account for a person, bound to the principal of their role: their own for bureau
    staff (a new bureau person gets ``duties``; an existing one, the account's login as
    their name, keeps theirs), the enterprise's or provider's (``uscc``) for its users. For
    the admin API (which passes a generated password and ``must_change_password``) and the
    command line."""
    login = normalise_login(login)
    check_new_password(password, login)
    display_name = display_name.strip()
    if not 1 <= len(display_name) <= 200:
        raise InvalidInput(
            "a display name has 1-200 characters", code=ErrorCode.INVALID_DISPLAY_NAME
        )
    if session.scalar(select(Account.id).where(Account.login == login)) is not None:
        raise AlreadyExists(
            f"an account named {login} already exists", code=ErrorCode.ACCOUNT_EXISTS
        )
    enterprise = provider = None
    if role not in (Role.ENTERPRISE, Role.PROVIDER):
        if uscc:
            raise InvalidInput("a bureau account has no credit code")
    else:
        if not uscc:
            raise InvalidInput(
                f"an {role.value} account needs the {role.value}'s credit code",
                code=ErrorCode.USCC_REQUIRED,
            )
        try:
            uscc = validate_uscc(uscc)
        except USCCError as exc:
            raise InvalidInput(str(exc), code=ErrorCode.INVALID_USCC) from exc
        if role is Role.ENTERPRISE:
            enterprise = get_enterprise(session, uscc)
        else:
            provider = get_provider(session, uscc)
    principal = principal_for(
        session, role, name=login, enterprise=enterprise, provider=provider, duties=duties
    )
    account = Account(
        login=login,
        display_name=display_name,
        principal_id=principal.id,
        password_hash=hash_password(password),
        must_change_password=must_change_password,
        created_at=now,
        password_changed_at=now,
    )
    session.add(account)
    session.flush()
    audit.record(
        session,
        "account.create",
        "account",
        login,
        after={
            "role": role.value,
            "duties": principal.duties,
            "display_name": display_name,
            "holder": principal.name,
            "uscc": uscc,
            "must_change_password": must_change_password,
        },
    )
    return Person(
        account,
        principal,
        enterprise.uscc if enterprise else None,
        provider.uscc if provider else None,
    )


def set_account_duties(session: Session, account_id: int, duties: frozenset[Duty]) -> Person:
    """Give the account's bureau person exactly ``duties`` (``duties.set_duties``: never
    one's own, never conflicting)."""
    person = get_person(session, account_id)
    session.refresh(person.principal, with_for_update=True)
    set_duties(session, person.principal, duties)
    return person


def reset_password(session: Session, account_id: int, *, password: str, now: datetime) -> Person:
    """The bureau sets a temporary password: the person must change it at the next sign-in,
    and every session of the account ends now."""
    person = get_person(session, account_id, lock=True)
    check_new_password(password, person.account.login)
    _set_password(session, person.account, password, must_change=True, now=now)
    audit.record(session, "account.reset_password", "account", person.account.login)
    return person


def change_password(
    session: Session, account_id: int, *, current: str, new: str, now: datetime
) -> Person:
    """A person chooses their own password. Every session of the account ends (the console
    starts a new one for the browser that made the change)."""
    person = get_person(session, account_id, lock=True)
    if not verify_password(person.account.password_hash, current):
        raise InvalidInput("the current password is wrong", code=ErrorCode.WRONG_PASSWORD)
    check_new_password(new, person.account.login)
    if new == current:
        raise InvalidInput(
            "the new password must differ from the current one", code=ErrorCode.SAME_PASSWORD
        )
    _set_password(session, person.account, new, must_change=False, now=now)
    audit.record(session, "account.change_password", "account", person.account.login)
    return person


def _set_password(
    session: Session, account: Account, password: str, *, must_change: bool, now: datetime
) -> None:
    account.password_hash = hash_password(password)
    account.must_change_password = must_change
    account.password_changed_at = now
    session.flush()
    end_sessions(session, account.id)


def disable_account(session: Session, account_id: int, *, now: datetime) -> Person:
    """The person can no longer sign in; their sessions end now. Their principal and its API
    keys are untouched (an enterprise's other users and systems go on)."""
    person = get_person(session, account_id, lock=True)
    if person.account.disabled_at is not None:
        raise InvalidState(f"account {person.account.login} is already disabled")
    person.account.disabled_at = now
    session.flush()
    end_sessions(session, account_id)
    audit.record(session, "account.disable", "account", person.account.login)
    return person


def sign_in(session: Session, *, login: str, password: str, address: str, now: datetime) -> Person:
    """The person a login name and password belong to; else Unauthorized (counted as a
    failure: the caller must commit although sign-in is refused) or TooManyFailures."""
    name = login.strip().lower()[:64]
    sources = (f"login:{name}", f"address:{address}"[:200])
    _refuse_if_throttled(session, sources, now)
    row = session.execute(_people().where(Account.login == name)).first()
    if not verify_password(row[0].password_hash if row else _dummy_hash(), password) or not row:
        _count_failure(session, sources, now)
        raise Unauthorized("wrong login name or password", code=ErrorCode.WRONG_PASSWORD)
    person = _person(row)
    if person.account.disabled_at is not None:
        raise Unauthorized(f"account {name} is disabled", code=ErrorCode.ACCOUNT_DISABLED)
    if PASSWORD_HASHER.check_needs_rehash(person.account.password_hash):
        person.account.password_hash = hash_password(password)
    session.execute(delete(SignInFailure).where(SignInFailure.source == sources[0]))
    return person


def _refuse_if_throttled(session: Session, sources: tuple[str, str], now: datetime) -> None:
    limits = dict(zip(sources, (LOGIN_FAILURE_LIMIT, ADDRESS_FAILURE_LIMIT), strict=True))
    rows = session.scalars(
        select(SignInFailure).where(
            col(SignInFailure.source).in_(sources),
            SignInFailure.window_start > now - FAILURE_WINDOW,
        )
    )
    ends = [r.window_start + FAILURE_WINDOW for r in rows if r.failures >= limits[r.source]]
    if ends:
        until = max(ends)
        AUTH_FAILURES.labels("sign_in_throttled").inc()
        raise TooManyFailures(
            f"too many failed sign-ins; try again after {until.isoformat(timespec='seconds')}",
            retry_after=int((until - now).total_seconds()) + 1,
        )


def _count_failure(session: Session, sources: tuple[str, str], now: datetime) -> None:
    AUTH_FAILURES.labels("sign_in").inc()
    stale = SignInFailure.window_start <= now - FAILURE_WINDOW
    session.execute(delete(SignInFailure).where(stale, col(SignInFailure.source).not_in(sources)))
    for source in sources:
        insert_if_absent(
            session, SignInFailure, {"source": source, "window_start": now, "failures": 0}
        )
    session.execute(
        update(SignInFailure)
        .where(col(SignInFailure.source).in_(sources))
        .values(
            failures=case((stale, 1), else_=SignInFailure.failures + 1),
            window_start=case((stale, now), else_=SignInFailure.window_start),
        )
    )


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True)
class SignedIn:
    person: Person
    session_id: int


@dataclass(frozen=True)
class NewSession:
    token: str  # for the cookie; never stored
    signed_in: SignedIn


def start_session(session: Session, person: Person, *, now: datetime) -> NewSession:
    """A new session for ``person`` (recorded in the audit log as a sign-in). Sessions past
    their expiry are deleted here, so the table holds live sessions only."""
    session.execute(
        delete(AccountSession).where(
            (AccountSession.expires_at <= now) | (AccountSession.last_seen_at <= now - SESSION_IDLE)
        )
    )
    token = secrets.token_urlsafe(32)
    row = AccountSession(
        token_hash=_digest(token),
        account_id=person.account.id,
        created_at=now,
        last_seen_at=now,
        expires_at=now + SESSION_LIFETIME,
    )
    session.add(row)
    session.flush()
    audit.set_actor(session, person.actor())
    audit.record(session, "account.sign_in", "account", person.account.login)
    return NewSession(token, SignedIn(person, row.id))


def resolve_session(session: Session, token: str, *, now: datetime) -> SignedIn | None:
    """The person a session token belongs to, or None: unknown, ended, expired, idle too long
    or the account disabled."""
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
        or live.last_seen_at <= now - SESSION_IDLE
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


def end_sessions(session: Session, account_id: int) -> int:
    """End every session of an account; how many there were."""
    result = session.execute(delete(AccountSession).where(AccountSession.account_id == account_id))
    return int(result.rowcount)  # type: ignore[attr-defined]


def signing_secret(session: Session) -> bytes:
    """The key that signs console cookies and CSRF tokens (made by the migration)."""
    secret: str | None = session.scalar(select(ConsoleSecret.secret).where(ConsoleSecret.id == 1))
    assert secret is not None, "the console secret is missing: run the migrations"
    return secret.encode()
