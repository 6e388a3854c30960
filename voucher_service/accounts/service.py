"""People's accounts: opening one, the people list, passwords set by the bureau or changed by
their owner, disabling. Signing in is ``signin.py`` (throttled with API keys by
``auth/throttle.py``), the second factor ``second_factor.py``, sessions ``sessions.py``,
password hashing and rules ``passwords.py``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select, delete, select
from sqlalchemy.orm import Session

from voucher_service import audit_log as audit
from voucher_service.accounts.passwords import (
    check_new_password,
    hash_password,
    verify_password,
)
from voucher_service.auth.duties import duties_of, set_duties
from voucher_service.auth.service import Caller, principal_for
from voucher_service.db.tables.accounts import Account, AccountSession
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
)
from voucher_service.pagination import PageParams, paginate_rows, where_given
from voucher_service.providers.service import get_provider

_LOGIN = re.compile(r"^[a-z0-9][a-z0-9._@-]{2,63}$")


def normalise_login(text: str) -> str:
    """A login name, lower-cased: 3-64 letters, digits and ``. _ @ -``."""
    login = text.strip().lower()
    if not _LOGIN.match(login):
        raise InvalidInput(
            (
                "{text!r} is not a login name: use 3-64 letters, digits and . "
                "_ @ - (starting with a letter or digit)"
            ),
            text=text,
            code=ErrorCode.INVALID_LOGIN,
        )
    return login


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
        raise NotFound(
            "no account {account_id}", account_id=account_id, code=ErrorCode.ACCOUNT_NOT_FOUND
        )
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
    display_name = _display_name(display_name)
    if session.scalar(select(Account.id).where(Account.login == login)) is not None:
        raise AlreadyExists(
            "an account named {login} already exists", login=login, code=ErrorCode.ACCOUNT_EXISTS
        )
    enterprise, provider = _organisation(session, role, uscc)
    uscc = enterprise.uscc if enterprise else provider.uscc if provider else uscc
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
    audit.created(
        session,
        account,
        "account.create",
        "account",
        by=login,
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


def _display_name(display_name: str) -> str:
    display_name = display_name.strip()
    if not 1 <= len(display_name) <= 200:
        raise InvalidInput(
            "a display name has 1-200 characters", code=ErrorCode.INVALID_DISPLAY_NAME
        )
    return display_name


def _organisation(
    session: Session, role: Role, uscc: str | None
) -> tuple[Enterprise | None, Provider | None]:
    """The enterprise or provider an account of ``role`` acts for, by its credit code (none
    for the bureau's people, who must not name one)."""
    if role not in (Role.ENTERPRISE, Role.PROVIDER):
        if uscc:
            raise InvalidInput("a bureau account has no credit code")
        return None, None
    if not uscc:
        raise InvalidInput(
            "an {role} account needs the {role}'s credit code",
            role=role.value,
            code=ErrorCode.USCC_REQUIRED,
        )
    try:
        uscc = validate_uscc(uscc)
    except USCCError as exc:
        raise InvalidInput(exc.template, code=ErrorCode.INVALID_USCC, **exc.params) from exc
    if role is Role.ENTERPRISE:
        return get_enterprise(session, uscc), None
    return None, get_provider(session, uscc)


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
        raise InvalidState("account {login} is already disabled", login=person.account.login)
    person.account.disabled_at = now
    session.flush()
    end_sessions(session, account_id)
    audit.record(session, "account.disable", "account", person.account.login)
    return person


def end_sessions(session: Session, account_id: int) -> int:
    """End every session of an account; how many there were."""
    result = session.execute(delete(AccountSession).where(AccountSession.account_id == account_id))
    return int(result.rowcount)  # type: ignore[attr-defined]
