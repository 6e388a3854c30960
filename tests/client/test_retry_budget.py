"""The provider client's retry budget, on a fake clock and a fake service (no waiting)."""

from __future__ import annotations

import httpx
import pytest

from voucher_client import RETRY_SECONDS, ProviderClient, ServiceError
from voucher_client import client as client_module


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
