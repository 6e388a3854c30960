"""Console fixtures: browsers (test clients with their own cookies) signed in as people of
each role, and an SME's and a provider's month. The builders are in tests/factories.py; the
accounts are made with the service function the command line uses."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from tests.factories import FAST_HASHER, Browser, KeyedClient, Month, People, make_month, sign_in
from voucher_service.accounts import passwords
from voucher_service.db.tables.auth import Role


@pytest.fixture(autouse=True)
def fast_password_hashing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(passwords, "PASSWORD_HASHER", FAST_HASHER)


@pytest.fixture
def browser(client: KeyedClient) -> Browser:
    """``browser(login)``: a new test client on the test's app, with its own cookies,
    signed in as ``login`` (or anonymous without one)."""

    def make(login: str | None = None) -> TestClient:
        new = TestClient(client.app, base_url="http://testserver")
        if login is not None:
            assert sign_in(new, login).status_code == 303
        return new

    return make


@pytest.fixture
def logins(people: People) -> dict[Role, str]:
    return {role: people.of(role).account.login for role in Role}


@pytest.fixture
def month(client: KeyedClient, session: Session, people: People) -> Month:
    """An SME's and a provider's month: usage of ``finance.chen``'s voucher with ``ops.sun``."""
    return make_month(client, session, people)
