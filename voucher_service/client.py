"""A small client for compute providers, on httpx.

Every usage record carries the provider's own ``record_id``; the service stores a record
once per id. So the client can retry anything that failed in transit — a timeout, a reset
connection, a 502/503/504 (after the Retry-After the service gives) — with the very same
body: if the first attempt did reach the service, the retry is answered with the first
outcome (a replay) and nothing is posted twice.

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
        retries: int = 5,
        backoff: float = 0.2,
        http: httpx.Client | None = None,
    ) -> None:
        self._headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        self._http = http or httpx.Client(base_url=base_url, timeout=timeout)
        self._prefix = f"/v1/provider/{provider_uscc}"
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
        for attempt in range(self._retries + 1):
            last = attempt == self._retries
            try:
                response = self._http.post(self._prefix + path, json=body, headers=self._headers)
            except httpx.TransportError:
                if last:
                    raise
            else:
                if response.status_code not in RETRY_STATUSES or last:
                    return _result(response)
                # The service says when to come back (503 overloaded, 429 throttled).
                after = response.headers.get("retry-after", "")
                if after.isdigit():
                    time.sleep(min(float(after), MAX_RETRY_AFTER) * (0.5 + random.random()))
                    continue
            time.sleep(self._backoff * 2**attempt)
        raise AssertionError("unreachable")


def _result(response: httpx.Response) -> dict[str, Any]:
    if response.is_success:
        payload: dict[str, Any] = response.json()
        return payload
    try:
        error = response.json()["error"]
        raise ServiceError(response.status_code, error["code"], error["message"])
    except (ValueError, KeyError, TypeError):
        raise ServiceError(response.status_code, "http_error", response.text[:500]) from None
