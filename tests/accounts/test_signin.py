"""Signing in cannot be turned against a person (issue 20): the right password always signs
in; failures are slowed per account and per client address, by the throttle API keys use;
an administrator unlocks; every sign-in and failure is in the audit log; the counters are
bounded and expire."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tests.factories import NOW, PASSWORD, People
from voucher_service.accounts import signin
from voucher_service.accounts.service import Person
from voucher_service.auth.throttle import ADDRESS_FAILURE_LIMIT, FAILURE_WINDOW
from voucher_service.db.tables.audit import AuditEntry
from voucher_service.db.tables.auth import AuthFailure
from voucher_service.errors import ServiceError, TooManyFailures, Unauthorized


def attempt(
    session: Session, login: str, password: str, client: str = "10.1.1.1", at=NOW
) -> Person:  # type: ignore[no-untyped-def]
    return signin.check_password(session, login=login, password=password, client=client, now=at)


def outcome(session: Session, login: str, password: str, client: str = "10.1.1.1", at=NOW) -> int:  # type: ignore[no-untyped-def]
    """200, 401 or 429, as the console answers."""
    try:
        attempt(session, login, password, client, at)
    except ServiceError as exc:
        assert isinstance(exc, Unauthorized | TooManyFailures)
        return exc.status
    return 200


def test_six_wrong_passwords_then_the_right_one_signs_in(session: Session, people: People) -> None:
    """The reproduction: six wrong passwords for a reviewer, then the right one. It used to
    get 429 with Retry-After: 896."""
    answers = [outcome(session, "reviewer.li", "wrong password") for _ in range(6)]
    assert answers == [401] * signin.ACCOUNT_FAILURE_LIMIT + [429]
    assert attempt(session, "reviewer.li", PASSWORD).account.login == "reviewer.li"


def test_failures_are_slowed_per_account_from_any_address(session: Session, people: People) -> None:
    limit = signin.ACCOUNT_FAILURE_LIMIT
    answers = [
        outcome(session, "finance.chen", "wrong password", f"203.0.113.{i}")
        for i in range(limit + 2)
    ]
    assert answers == [401] * limit + [429] * 2
    with pytest.raises(TooManyFailures) as throttled:
        attempt(session, "finance.chen", "still wrong", "203.0.113.99")
    assert 0 < throttled.value.retry_after <= FAILURE_WINDOW.total_seconds() + 1
    assert outcome(session, "finance.chen", PASSWORD, "203.0.113.99") == 200  # the owner
    assert outcome(session, "ops.sun", "wrong password", "203.0.113.99") == 401  # another account
    later = NOW + FAILURE_WINDOW + timedelta(seconds=1)
    assert outcome(session, "finance.chen", "wrong password", at=later) == 401  # window passed


def test_failures_are_slowed_per_address_across_accounts(session: Session, people: People) -> None:
    answers = [
        outcome(session, f"guess{i}", "wrong password", "198.51.100.7")
        for i in range(ADDRESS_FAILURE_LIMIT + 2)
    ]
    assert answers == [401] * ADDRESS_FAILURE_LIMIT + [429] * 2
    assert outcome(session, "admin.wang", PASSWORD, "198.51.100.7") == 200  # still signs in
    assert outcome(session, "guess-new", "wrong password", "198.51.100.8") == 401  # elsewhere


def test_unknown_names_are_slowed_like_known_ones(session: Session, people: People) -> None:
    limit = signin.ACCOUNT_FAILURE_LIMIT
    answers = [outcome(session, "nobody.here", "x" * 12, f"192.0.2.{i}") for i in range(limit + 1)]
    assert answers == [401] * limit + [429]


def test_an_administrator_unlocks(session: Session, people: People) -> None:
    for i in range(signin.ACCOUNT_FAILURE_LIMIT):
        outcome(session, "auditor.zhao", "wrong password", f"192.0.2.{i}")
    assert signin.throttled_until(session, "auditor.zhao", now=NOW) == NOW + FAILURE_WINDOW
    assert outcome(session, "auditor.zhao", "wrong password") == 429
    signin.unlock(session, people.auditor.account.id)  # type: ignore[arg-type]
    assert signin.throttled_until(session, "auditor.zhao", now=NOW) is None
    assert outcome(session, "auditor.zhao", "wrong password") == 401
    unlocked = session.scalars(
        select(AuditEntry.after).where(AuditEntry.action == "account.unlock")
    ).all()
    assert unlocked == ['{"counters": 1}']


def test_failed_sign_ins_are_audit_entries_until_their_source_is_slowed(
    session: Session, people: People
) -> None:
    for _ in range(signin.ACCOUNT_FAILURE_LIMIT + 3):
        outcome(session, "ops.sun", "wrong password", "203.0.113.40")
    outcome(session, "missing.person", "wrong password", "203.0.113.41")
    failed = session.execute(
        select(AuditEntry.actor, AuditEntry.target_id, AuditEntry.after)
        .where(AuditEntry.action == "account.sign_in_failed")
        .order_by(AuditEntry.id)
    ).all()
    # the five 401s, the first 429, then only the metric (a flood cannot grow the log)
    assert len(failed) == signin.ACCOUNT_FAILURE_LIMIT + 2
    actor, target, after = failed[0]
    assert (actor, target) == ("anonymous@203.0.113.40", "ops.sun")
    assert after == '{"client": "203.0.113.40", "reason": "wrong_password", "throttled": false}'
    assert '"throttled": true' in failed[-2][2]
    assert failed[-1][1] == "missing.person"


def test_a_disabled_account_is_refused_even_with_its_password(
    session: Session, people: People
) -> None:
    from voucher_service.accounts.service import disable_account

    disable_account(session, people.provider.account.id, now=NOW)  # type: ignore[arg-type]
    with pytest.raises(Unauthorized) as refused:
        attempt(session, "ops.sun", PASSWORD)
    assert refused.value.code == "account_disabled"


def test_counters_past_their_window_are_deleted(session: Session, people: People) -> None:
    for i in range(20):
        outcome(session, f"scan{i}", "wrong password", f"198.51.100.{i}")
    assert session.scalar(select(func.count()).select_from(AuthFailure)) == 40
    outcome(session, "late", "wrong password", at=NOW + FAILURE_WINDOW + timedelta(seconds=1))
    assert session.scalar(select(func.count()).select_from(AuthFailure)) == 2
