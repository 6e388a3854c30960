"""Repeated failed sign-ins are refused for a while, per login name and per address; the
counters are in the database and do not grow without bound."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tests.accounts.conftest import PASSWORD, People
from tests.conftest import NOW
from voucher_service.accounts import service
from voucher_service.db.tables.accounts import SignInFailure
from voucher_service.errors import TooManyFailures, Unauthorized


def attempt(session: Session, login: str, password: str, address: str = "10.1.1.1", at=NOW):  # type: ignore[no-untyped-def]
    return service.sign_in(session, login=login, password=password, address=address, now=at)


def fail(session: Session, login: str, address: str = "10.1.1.1", at=NOW) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(Unauthorized) as refused:
        attempt(session, login, "wrong password", address, at)
    assert refused.value.code == "wrong_password"


def test_a_login_name_is_locked_after_the_limit(session: Session, people: People) -> None:
    for _ in range(service.LOGIN_FAILURE_LIMIT):
        fail(session, "finance.chen")
    with pytest.raises(TooManyFailures) as throttled:
        attempt(session, "finance.chen", PASSWORD)  # even the right password
    assert 0 < throttled.value.retry_after <= service.FAILURE_WINDOW.total_seconds() + 1
    # from another address too: the name is what is being guessed
    with pytest.raises(TooManyFailures):
        attempt(session, "finance.chen", PASSWORD, address="10.9.9.9")
    # other people are not affected
    assert attempt(session, "ops.sun", PASSWORD).account.login == "ops.sun"
    # once the window has passed, the right password works again
    later = NOW + service.FAILURE_WINDOW + timedelta(seconds=1)
    assert attempt(session, "finance.chen", PASSWORD, at=later).account.login == "finance.chen"


def test_unknown_names_are_counted_like_known_ones(session: Session, people: People) -> None:
    for _ in range(service.LOGIN_FAILURE_LIMIT):
        fail(session, "nobody.here")
    with pytest.raises(TooManyFailures):
        attempt(session, "nobody.here", PASSWORD)


def test_success_clears_the_name_s_failures(session: Session, people: People) -> None:
    for _ in range(service.LOGIN_FAILURE_LIMIT - 1):
        fail(session, "auditor.zhao")
    attempt(session, "auditor.zhao", PASSWORD)
    for _ in range(service.LOGIN_FAILURE_LIMIT - 1):
        fail(session, "auditor.zhao")
    attempt(session, "auditor.zhao", PASSWORD)


def test_an_address_is_locked_after_its_own_limit(session: Session, people: People) -> None:
    for i in range(service.ADDRESS_FAILURE_LIMIT):
        fail(session, f"guess{i}", address="203.0.113.7")
    with pytest.raises(TooManyFailures):
        attempt(session, "admin.wang", PASSWORD, address="203.0.113.7")
    assert attempt(session, "admin.wang", PASSWORD, address="203.0.113.8")


def test_counters_past_their_window_are_deleted(session: Session, people: People) -> None:
    for i in range(20):
        fail(session, f"scan{i}", address=f"198.51.100.{i}")
    assert session.scalar(select(func.count()).select_from(SignInFailure)) == 40
    fail(session, "late", at=NOW + service.FAILURE_WINDOW + timedelta(seconds=1))
    assert session.scalar(select(func.count()).select_from(SignInFailure)) == 2
