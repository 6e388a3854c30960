"""The provider client retries with the same record ids, so lost replies never double-post."""

from __future__ import annotations

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tests.factories import Scene
from voucher_service import client as client_module
from voucher_service.client import RETRY_SECONDS, ProviderClient, ServiceError
from voucher_service.db.tables.auth import Role
from voucher_service.db.tables.usage import UsageRecord


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


def client_for(scene: Scene, lose: int) -> tuple[ProviderClient, LosesReplies]:
    transport = LosesReplies(scene.client._transport, lose)
    http = httpx.Client(base_url=str(scene.client.base_url), transport=transport)
    key = scene.client.key(Role.PROVIDER, scene.provider)  # type: ignore[attr-defined]
    return ProviderClient("", scene.provider, api_key=key, http=http, backoff=0), transport


def test_a_lost_reply_is_retried_without_double_posting(scene: Scene, session: Session) -> None:
    client, transport = client_for(scene, lose=2)
    outcome = client.post_usage(scene.record("retry-1"))
    assert transport.calls == 3
    assert outcome["subsidy_yuan"] == "50.00"
    assert scene.voucher_state()["balance_yuan"] == "950.00"  # charged once, not three times
    assert session.scalar(select(func.count()).select_from(UsageRecord)) == 1


def test_batches_are_split_and_retried(scene: Scene) -> None:
    client, transport = client_for(scene, lose=1)
    results = client.post_batch([scene.record(f"cb-{i}", "0.02") for i in range(25)])
    assert [r["index"] for r in results] == list(range(25))
    assert {r["status"] for r in results} == {"replayed"}  # the lost first attempt created them
    assert scene.voucher_state()["balance_yuan"] == "999.75"


def test_refusals_raise_with_the_error_code(scene: Scene) -> None:
    client, _ = client_for(scene, lose=0)
    client.post_usage(scene.record("e-1"))
    with pytest.raises(ServiceError) as refused:
        client.post_usage(scene.record("e-1", "200.00"))
    assert (refused.value.status, refused.value.code) == (409, "record_id_conflict")


class FakeTime:
    """The client's clock and sleep, with no real waiting."""

    def __init__(self) -> None:
        self.now = 0.0

    def monotonic(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        assert seconds >= 0
        self.now += seconds


def restarting(clock: FakeTime, down_seconds: float) -> httpx.Client:
    """A service that refuses connections, then answers 503, for ``down_seconds``, then
    stores the record."""

    def handle(request: httpx.Request) -> httpx.Response:
        if clock.now < down_seconds / 2:
            raise httpx.ConnectError("connection refused", request=request)
        if clock.now < down_seconds:
            return httpx.Response(503, json={"error": {"code": "overloaded", "message": "."}})
        return httpx.Response(201, json={"record_id": "r-1", "subsidy_yuan": "50.00"})

    return httpx.Client(base_url="http://service", transport=httpx.MockTransport(handle))


@pytest.mark.parametrize("down_seconds", [5.0, 20.0, 25.0])
def test_the_default_retry_budget_rides_out_a_restart(
    monkeypatch: pytest.MonkeyPatch, down_seconds: float
) -> None:
    """Issue 20: five retries 0.2 s doubling gave up after about 6 s; restarts of the
    service or its database were measured at up to 20 s."""
    clock = FakeTime()
    monkeypatch.setattr(client_module, "time", clock)
    client = ProviderClient("", "91420100MA4K00100E", http=restarting(clock, down_seconds))
    assert client.post_usage({"record_id": "r-1"})["subsidy_yuan"] == "50.00"
    assert down_seconds <= clock.now <= RETRY_SECONDS


def test_past_the_budget_the_last_failure_is_raised(monkeypatch: pytest.MonkeyPatch) -> None:
    clock = FakeTime()
    monkeypatch.setattr(client_module, "time", clock)
    client = ProviderClient("", "91420100MA4K00100E", http=restarting(clock, 50.0))
    with pytest.raises(ServiceError) as refused:
        client.post_usage({"record_id": "r-1"})
    assert refused.value.status == 503
    assert clock.now == pytest.approx(RETRY_SECONDS)  # the last attempt at the budget's end
