"""The command line on a scratch database, on a fixed day, with cheap password hashing."""

from __future__ import annotations

from datetime import date

import pytest

from tests.factories import FAST_HASHER, TODAY
from voucher_service.accounts import passwords as accounts
from voucher_service.config import Settings


@pytest.fixture(autouse=True)
def fixed_today(monkeypatch: pytest.MonkeyPatch) -> date:
    """The command line's "today" is the suite's: dates after it are the future."""
    monkeypatch.setattr(Settings, "today", lambda self, moment=None: TODAY)
    return TODAY


@pytest.fixture(autouse=True)
def fast_password_hashing(monkeypatch: pytest.MonkeyPatch) -> None:
    # Real argon2id at a low cost: the demo makes five accounts per load.
    monkeypatch.setattr(accounts, "PASSWORD_HASHER", FAST_HASHER)
