"""Sessions live in the database: they expire, and sign-out, a password change or reset and
disabling an account end them."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tests.accounts.conftest import PASSWORD, People
from tests.conftest import NOW
from voucher_service.accounts import service
from voucher_service.db.tables.accounts import AccountSession
from voucher_service.db.tables.audit import AuditEntry
from voucher_service.errors import InvalidInput


def live(session: Session, token: str, at=NOW) -> bool:  # type: ignore[no-untyped-def]
    return service.resolve_session(session, token, now=at) is not None


def test_a_session_is_found_by_its_token_only(session: Session, people: People) -> None:
    new = service.start_session(session, people.enterprise, now=NOW)
    found = service.resolve_session(session, new.token, now=NOW)
    assert found is not None and found.person.account.login == "finance.chen"
    stored = session.scalar(
        select(AccountSession.token_hash).where(AccountSession.id == found.session_id)
    )
    assert stored is not None and new.token not in stored  # only a hash is kept
    assert not live(session, new.token[:-1] + ("A" if new.token[-1] != "A" else "B"))


def test_sessions_expire_when_idle_and_at_the_end_of_the_day(
    session: Session, people: People
) -> None:
    token = service.start_session(session, people.reviewer, now=NOW).token
    step = service.SESSION_IDLE - timedelta(minutes=5)
    moment = NOW
    while moment + step < NOW + service.SESSION_LIFETIME:
        moment += step
        assert live(session, token, moment)  # each visit keeps it alive...
    assert not live(session, token, NOW + service.SESSION_LIFETIME)  # ...until the lifetime
    idle = service.start_session(session, people.reviewer, now=NOW).token
    assert not live(session, idle, NOW + service.SESSION_IDLE + timedelta(seconds=1))


def test_sign_out_ends_one_session(session: Session, people: People) -> None:
    first = service.start_session(session, people.auditor, now=NOW)
    second = service.start_session(session, people.auditor, now=NOW)
    service.end_session(session, first.signed_in)
    assert not live(session, first.token) and live(session, second.token)
    actions = session.scalars(
        select(AuditEntry.action).where(AuditEntry.actor == "auditor:auditor.zhao")
    ).all()
    assert actions == ["account.sign_in", "account.sign_in", "account.sign_out"]


def test_password_change_reset_and_disabling_end_every_session(
    session: Session, people: People
) -> None:
    person = people.provider
    account_id = person.account.id
    tokens = [service.start_session(session, person, now=NOW).token for _ in range(2)]
    with pytest.raises(InvalidInput):
        service.change_password(session, account_id, current="wrong", new="新密码-abcdefg", now=NOW)
    assert all(live(session, t) for t in tokens)
    service.change_password(session, account_id, current=PASSWORD, new="新密码-abcdefg", now=NOW)
    assert not any(live(session, t) for t in tokens)

    token = service.start_session(session, person, now=NOW).token
    service.reset_password(session, account_id, password="temporary-pass-1", now=NOW)
    assert not live(session, token)
    assert person.account.must_change_password

    token = service.start_session(session, person, now=NOW).token
    service.disable_account(session, account_id, now=NOW)
    assert not live(session, token)


def test_expired_sessions_are_deleted_as_new_ones_start(session: Session, people: People) -> None:
    for _ in range(3):
        service.start_session(session, people.admin, now=NOW)
    later = NOW + service.SESSION_LIFETIME + timedelta(minutes=1)
    service.start_session(session, people.admin, now=later)
    assert session.scalar(select(func.count()).select_from(AccountSession)) == 1
