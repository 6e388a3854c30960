"""A small client for compute providers, on httpx.

Every usage record carries the provider's own ``record_id``; the service stores a record
once per id. So the client can retry anything that failed in transit — a timeout, a reset
connection, a 502/503/504 (after the Retry-After the service gives) — with the very same
body: if the first attempt did reach the service, the retry is answered with the first
outcome (a replay) and nothing is posted twice.

The retry budget is a time, not a count: a post is tried again until ``retry_seconds``
(30 s) after its first attempt, waiting 0.2 s, 0.4 s, ... up to 5 s between attempts (with
jitter), or the Retry-After the service gives. A restart of the service or of its database
(up to 20 s measured, docs/reliability.md) is ridden out; past the budget the last failure
is raised.

    client = ProviderClient("https://vouchers.example.gov.cn", "91420100MA4K00100E",
                            api_key="vsk_...")
    outcome = client.post_usage({...})        # one record
    results = client.post_batch([... 50_000 records ...])   # sent 10,000 at a time
"""

from __future__ import annotations

import random
import time
from collections.abc import Sequence
from typing import Any

import httpx

RETRY_STATUSES = {429, 500, 502, 503, 504}
MAX_RETRY_AFTER = 30.0  # seconds: a longer Retry-After is cut to this
MAX_BATCH = 10_000
RETRY_SECONDS = 30.0  # covers the longest restart measured (20 s), with room
MAX_BACKOFF = 5.0


class ServiceError(Exception):
    """The service refused the request (a 4xx with its error code)."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(f"{status} {code}: {message}")
        self.status, self.code, self.message = status, code, message


class ProviderClient:
    def __init__(
        self,
        base_url: str,
        provider_uscc: str,
        *,
        api_key: str | None = None,
        timeout: float = 30.0,
        retry_seconds: float = RETRY_SECONDS,
        retries: int | None = None,
        backoff: float = 0.2,
        http: httpx.Client | None = None,
    ) -> None:
        """``retry_seconds``: how long after its first attempt a post may still be retried;
        ``retries``: at most this many retries besides (default: no count, only the time);
        ``backoff``: the first wait, doubled after each attempt up to 5 s."""
        self._headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        self._http = http or httpx.Client(base_url=base_url, timeout=timeout)
        self._prefix = f"/v1/provider/{provider_uscc}"
        self._retry_seconds = retry_seconds
        self._retries = retries
        self._backoff = backoff

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> ProviderClient:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def post_usage(self, record: dict[str, Any]) -> dict[str, Any]:
        """Post one record; returns its outcome (subsidy, enterprise share, reason)."""
        return self._post("/usage-records", record)

    def post_adjustment(self, adjustment: dict[str, Any]) -> dict[str, Any]:
        """Refund part or all of an earlier record's fee."""
        return self._post("/adjustments", adjustment)

    def post_batch(self, records: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
        """Post any number of records, 10,000 per request; one result per record, in order."""
        results: list[dict[str, Any]] = []
        for start in range(0, len(records), MAX_BATCH):
            chunk = list(records[start : start + MAX_BATCH])
            reply = self._post("/usage-records/batch", {"records": chunk})
            for item in reply["results"]:
                item["index"] += start
            results.extend(reply["results"])
        return results

    def _post(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        give_up = time.monotonic() + self._retry_seconds
        attempt = 0
        while True:
            try:
                response = self._http.post(self._prefix + path, json=body, headers=self._headers)
            except httpx.TransportError:
                if self._spent(attempt, give_up):
                    raise
                wait = self._wait(attempt)
            else:
                if response.status_code not in RETRY_STATUSES or self._spent(attempt, give_up):
                    return _result(response)
                # The service says when to come back (503 overloaded, 429 throttled).
                after = response.headers.get("retry-after", "")
                wait = (
                    min(float(after), MAX_RETRY_AFTER) * (0.5 + random.random())
                    if after.isdigit()
                    else self._wait(attempt)
                )
            # The last attempt is made at the end of the budget, not past it.
            time.sleep(max(0.0, min(wait, give_up - time.monotonic())))
            attempt += 1

    def _spent(self, attempt: int, give_up: float) -> bool:
        """Whether the post has had its retries: the time is up, or the count is."""
        counted_out = self._retries is not None and attempt >= self._retries
        return counted_out or time.monotonic() >= give_up

    def _wait(self, attempt: int) -> float:
        return float(min(self._backoff * 2**attempt, MAX_BACKOFF) * (0.5 + random.random()))


def _result(response: httpx.Response) -> dict[str, Any]:
    if response.is_success:
        payload: dict[str, Any] = response.json()
        return payload
    try:
        error = response.json()["error"]
        raise ServiceError(response.status_code, error["code"], error["message"])
    except (ValueError, KeyError, TypeError):
        raise ServiceError(response.status_code, "http_error", response.text[:500]) from None
