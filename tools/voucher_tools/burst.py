"""A burst: many keep-alive clients released together against the API, posting usage and
reading it back, each retrying a 503 after its Retry-After as the provider client does.

Used by ``voucher-service bench --burst`` and by the burst test: what it measures is what
the request model promises — every answer is a success or a prompt 503 (never a stall, never
a 500), and with the retries every record is stored exactly once.
"""

from __future__ import annotations

import random
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from typing import Any

import httpx

MAX_ATTEMPTS = 40  # per operation: a client keeps retrying a 503 this long at most


@dataclass
class BurstResult:
    responses: Counter[int] = field(default_factory=Counter)  # every attempt's status
    unexpected: list[str] = field(default_factory=list)  # anything but 200/201/503
    latencies: list[float] = field(default_factory=list)  # per operation, retries included
    slowest_503: float = 0.0  # the longest any request waited to be told 503
    acknowledged: set[str] = field(default_factory=set)  # record ids answered 201/200
    unfinished: int = 0  # operations still refused after MAX_ATTEMPTS
    # Requests that failed in transit (seen: a keep-alive connection the server had closed),
    # sent again on a new connection as the provider client does; a post is safe to resend,
    # its record id makes it once.
    reconnects: int = 0
    seconds: float = 0.0
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def percentile(self, share: float) -> float:
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(len(ordered) * share))] if ordered else 0.0


def burst(
    urls: list[str],
    provider: str,
    key: str,
    make_record: Callable[[str], dict[str, Any]],
    *,
    clients: int,
    operations: int,
    read_every: int = 4,
    prefix: str = "burst",
) -> BurstResult:
    """``clients`` threads, each with its own keep-alive connection (to ``urls`` in turn),
    released together; each makes ``operations`` requests, every ``read_every``-th a read of
    its records, the others single posts of new records (ids ``{prefix}-{client}-{n}``)."""
    result = BurstResult()
    ready = threading.Barrier(clients + 1)
    auth = {"Authorization": f"Bearer {key}"}
    limits = httpx.Limits(max_connections=1, max_keepalive_connections=1)
    records = f"/v1/provider/{provider}/usage-records"

    def client(index: int) -> None:
        jitter = random.Random(index)
        url = urls[index % len(urls)]
        with httpx.Client(base_url=url, headers=auth, timeout=120, limits=limits) as http:
            http.get("/healthz")  # the connection is open before the burst
            ready.wait()
            for n in range(operations):
                if n % read_every == read_every - 1:
                    _operate(partial(http.get, records, params={"limit": 5}), None, result, jitter)
                    continue
                record_id = f"{prefix}-{index}-{n}"
                post = partial(http.post, records, json=make_record(record_id))
                _operate(post, record_id, result, jitter)

    threads = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
    for thread in threads:
        thread.start()
    ready.wait()
    started = time.perf_counter()
    for thread in threads:
        thread.join()
    result.seconds = time.perf_counter() - started
    return result


def _operate(
    send: Callable[[], httpx.Response],
    record_id: str | None,
    result: BurstResult,
    jitter: random.Random,
) -> None:
    began = time.perf_counter()
    for _ in range(MAX_ATTEMPTS):
        asked = time.perf_counter()
        try:
            response = send()
        except httpx.TransportError:
            with result.lock:
                result.reconnects += 1
            continue
        answered = time.perf_counter() - asked
        with result.lock:
            result.responses[response.status_code] += 1
            if response.status_code == 503:
                result.slowest_503 = max(result.slowest_503, answered)
            elif response.status_code not in (200, 201):
                result.unexpected.append(f"{response.status_code} {response.text[:200]}")
        if response.status_code != 503:
            with result.lock:
                result.latencies.append(time.perf_counter() - began)
                if record_id is not None and response.status_code in (200, 201):
                    result.acknowledged.add(record_id)
            return
        wait = float(response.headers.get("retry-after", "1"))
        time.sleep(wait * (0.5 + jitter.random()))
    with result.lock:
        result.unfinished += 1
