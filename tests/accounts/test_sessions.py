"""Sessions live in the database: they end when idle and at their absolute lifetime (both
settings), and sign-out, a password change or reset and disabling an account end them."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tests.factories import NOW, PASSWORD, People
from voucher_service.accounts import service
from voucher_service.accounts.service import Person
from voucher_service.accounts.sessions import (
    NewSession,
    SessionPolicy,
    end_session,
    resolve_session,
    start_session,
)
from voucher_service.config import Settings
from voucher_service.db.tables.accounts import AccountSession
from voucher_service.db.tables.audit import AuditEntry
from voucher_service.errors import InvalidInput

POLICY = SessionPolicy.of(Settings())


def start(session: Session, person: Person, at=NOW, policy=POLICY) -> NewSession:  # type: ignore[no-untyped-def]
    return start_session(session, person, policy=policy, client="10.1.2.3", now=at)


def live(session: Session, token: str, at=NOW, policy=POLICY) -> bool:  # type: ignore[no-untyped-def]
    return resolve_session(session, token, policy=policy, now=at) is not None


def test_the_defaults_are_half_an_hour_idle_and_twelve_hours_in_all() -> None:
    assert (POLICY.idle, POLICY.lifetime) == (timedelta(minutes=30), timedelta(hours=12))
    configured = Settings(session_idle_minutes=10, session_max_hours=8)
    assert SessionPolicy.of(configured) == SessionPolicy(timedelta(minutes=10), timedelta(hours=8))


def test_a_session_is_found_by_its_token_only(session: Session, people: People) -> None:
    new = start(session, people.enterprise)
    found = resolve_session(session, new.token, policy=POLICY, now=NOW)
    assert found is not None and found.person.account.login == "finance.chen"
    stored = session.scalar(
        select(AccountSession.token_hash).where(AccountSession.id == found.session_id)
    )
    assert stored is not None and new.token not in stored  # only a hash is kept
    assert not live(session, new.token[:-1] + ("A" if new.token[-1] != "A" else "B"))


@pytest.mark.parametrize(
    "policy",
    [POLICY, SessionPolicy(idle=timedelta(minutes=5), lifetime=timedelta(hours=1))],
    ids=["defaults", "configured"],
)
def test_sessions_end_when_idle_and_at_their_lifetime(
    session: Session, people: People, policy: SessionPolicy
) -> None:
    token = start(session, people.reviewer, policy=policy).token
    step = policy.idle - timedelta(seconds=61)
    moment = NOW
    while moment + step < NOW + policy.lifetime:
        moment += step
        assert live(session, token, moment, policy)  # each visit keeps it alive...
    assert not live(session, token, NOW + policy.lifetime, policy)  # ...until the lifetime
    idle = start(session, people.reviewer, policy=policy).token
    assert live(session, idle, NOW + policy.idle - timedelta(seconds=1), policy)
    assert not live(session, idle, NOW + policy.idle - timedelta(seconds=1) + policy.idle, policy)


def test_sign_out_ends_one_session(session: Session, people: People) -> None:
    first = start(session, people.auditor)
    second = start(session, people.auditor)
    end_session(session, first.signed_in)
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
    assert account_id is not None
    tokens = [start(session, person).token for _ in range(2)]
    with pytest.raises(InvalidInput):
        service.change_password(session, account_id, current="wrong", new="新密码-abcdefg", now=NOW)
    assert all(live(session, t) for t in tokens)
    service.change_password(session, account_id, current=PASSWORD, new="新密码-abcdefg", now=NOW)
    assert not any(live(session, t) for t in tokens)

    token = start(session, person).token
    service.reset_password(session, account_id, password="temporary-pass-1", now=NOW)
    assert not live(session, token)
    assert person.account.must_change_password

    token = start(session, person).token
    service.disable_account(session, account_id, now=NOW)
    assert not live(session, token)


def test_expired_sessions_are_deleted_as_new_ones_start(session: Session, people: People) -> None:
    for _ in range(3):
        start(session, people.admin)
    start(session, people.admin, at=NOW + POLICY.lifetime + timedelta(minutes=1))
    assert session.scalar(select(func.count()).select_from(AccountSession)) == 1
