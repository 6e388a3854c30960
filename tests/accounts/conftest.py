"""Accounts tests hash passwords cheaply (the builders are in tests/factories.py)."""

from __future__ import annotations

import pytest

from tests.factories import FAST_HASHER
from voucher_service.accounts import passwords


@pytest.fixture(autouse=True)
def fast_password_hashing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(passwords, "PASSWORD_HASHER", FAST_HASHER)
