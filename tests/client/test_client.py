"""The provider client (clients/python/, package ``voucher_client``) against the real
service app: it retries with the same record ids, so lost replies never double-post."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tests.factories import (
    make_enterprise,
    make_pool,
    make_program,
    make_provider,
    make_redemption,
    make_voucher,
    usage_on,
)
from voucher_client import ProviderClient, ServiceError
from voucher_service.db.tables.auth import Role
from voucher_service.db.tables.usage import UsageRecord
from voucher_service.db.tables.vouchers import Voucher


@dataclass
class Books:
    """A 1,000-yuan voucher (50% subsidy) redeemed with a provider."""

    client: TestClient
    session: Session
    voucher: Voucher
    holder: str
    provider: str

    def record(self, record_id: str, fee: str = "100.00") -> dict[str, Any]:
        return usage_on(record_id, self.voucher.code, self.holder, fee, "2026-06-15")

    def balance_fen(self) -> int:
        self.session.refresh(self.voucher)
        return self.voucher.balance_fen


@pytest.fixture
def books(client: TestClient, session: Session) -> Books:
    program = make_program(session)
    make_pool(session, program)
    enterprise = make_enterprise(session)
    voucher = make_voucher(session, program=program, enterprise=enterprise, face_value_fen=1000_00)
    provider = make_provider(session)
    make_redemption(session, voucher=voucher, provider=provider)
    session.commit()
    return Books(client, session, voucher, enterprise.uscc, provider.uscc)


class LosesReplies(httpx.BaseTransport):
    """Delivers each request to the real service, then loses the first ``n`` replies."""

    def __init__(self, inner: httpx.BaseTransport, n: int) -> None:
        self.inner, self.n, self.calls = inner, n, 0

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        self.calls += 1
        response = self.inner.handle_request(request)
        response.read()
        if self.n:
            self.n -= 1
            raise httpx.ReadTimeout("reply lost", request=request)
        return response


def client_for(books: Books, lose: int) -> tuple[ProviderClient, LosesReplies]:
    transport = LosesReplies(books.client._transport, lose)
    http = httpx.Client(base_url=str(books.client.base_url), transport=transport)
    key = books.client.key(Role.PROVIDER, books.provider)  # type: ignore[attr-defined]
    return ProviderClient("", books.provider, api_key=key, http=http, backoff=0), transport


def test_a_lost_reply_is_retried_without_double_posting(books: Books) -> None:
    client, transport = client_for(books, lose=2)
    outcome = client.post_usage(books.record("retry-1"))
    assert transport.calls == 3
    assert outcome["subsidy_yuan"] == "50.00"
    assert books.balance_fen() == 950_00  # charged once, not three times
    assert books.session.scalar(select(func.count()).select_from(UsageRecord)) == 1


def test_batches_are_split_and_retried(books: Books) -> None:
    client, transport = client_for(books, lose=1)
    results = client.post_batch([books.record(f"cb-{i}", "0.02") for i in range(25)])
    assert [r["index"] for r in results] == list(range(25))
    assert {r["status"] for r in results} == {"replayed"}  # the lost first attempt created them
    assert books.balance_fen() == 999_75


def test_refusals_raise_with_the_error_code(books: Books) -> None:
    client, _ = client_for(books, lose=0)
    client.post_usage(books.record("e-1"))
    with pytest.raises(ServiceError) as refused:
        client.post_usage(books.record("e-1", "200.00"))
    assert (refused.value.status, refused.value.code) == (409, "record_id_conflict")
