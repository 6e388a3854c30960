"""Console fixtures: browsers (test clients with their own cookies) signed in as people of
each role. The accounts come from tests/accounts (made with the service function the command
line uses)."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient

from tests.accounts.conftest import (  # noqa: F401 (fixtures)
    PASSWORD,
    People,
    fast_password_hashing,
    people,
)
from tests.conftest import KeyedClient
from tests.console.scene import month  # noqa: F401 (a fixture: an SME's and a provider's month)
from voucher_service.db.tables.auth import Role

_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf_of(html: str) -> str:
    found = _CSRF.search(html)
    assert found, "the page has no form with a CSRF token"
    return found.group(1)


def sign_in(browser: TestClient, login: str, password: str = PASSWORD, **extra: str):  # type: ignore[no-untyped-def]
    """Sign in through the form, as a person would: load it, post it with its token."""
    token = csrf_of(browser.get("/console/sign-in").text)
    form = {"login": login, "password": password, "csrf_token": token, **extra}
    return browser.post("/console/sign-in", data=form, follow_redirects=False)


Browser = Callable[..., TestClient]


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
def logins(people: People) -> dict[Role, str]:  # noqa: F811 (the fixture above)
    return {role: people.of(role).account.login for role in Role}
