"""Bursts against real API processes on PostgreSQL: every answer is a success or a prompt
503 with Retry-After — never a stall, a 500 or a reset — and, with the clients' retries,
every record is stored exactly once and the books still hold.

Before the request model (gate + one unit of work per request), 60 concurrent reads on one
worker gave 40 500s after 30 s, and 200 keep-alive clients on one worker got 0 of 1,000
requests through."""

from __future__ import annotations

from datetime import datetime, timedelta
from itertools import cycle
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tests.databases import backend
from voucher_service.books import verify_ledger
from voucher_service.config import get_settings
from voucher_service.db.session import create_db_engine
from voucher_service.db.tables.usage import UsageRecord
from voucher_tools import bench
from voucher_tools.burst import burst
from voucher_tools.localcluster import api_processes

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        backend() != "postgresql", reason="a burst needs PostgreSQL (SQLite has one writer)"
    ),
]


@pytest.mark.parametrize(
    ("servers", "workers", "clients", "limits"),
    [
        (1, 1, 256, {"queue_seconds": "2"}),
        (1, 3, 64, {"queue_seconds": "2"}),
        # A worker held to two requests at a time with a quarter-second queue: most of the
        # burst is turned away with 503 and comes back after its Retry-After.
        (1, 1, 128, {"queue_seconds": "0.25", "max_in_flight": "2"}),
    ],
    ids=["256 clients, one worker", "64 clients, one port, three workers", "overloaded"],
)
def test_a_burst_gets_successes_or_prompt_503s_and_stores_each_record_once(
    scratch_database: str,
    tmp_path: Path,
    servers: int,
    workers: int,
    clients: int,
    limits: dict[str, str],
) -> None:
    provider, _, key, targets = bench.load(scratch_database, 20)
    end = datetime.now(get_settings().tz).replace(microsecond=0) - timedelta(minutes=5)
    pick = cycle(targets)
    operations = 4 if clients > 100 else 8
    with api_processes(scratch_database, servers, tmp_path, workers=workers, **limits) as urls:
        result = burst(
            urls,
            provider,
            key,
            lambda record_id: bench.record(record_id, next(pick), end),
            clients=clients,
            operations=operations,
        )
    print(
        f"\n{clients} clients x {operations}: {dict(result.responses)} in {result.seconds:.1f} s;"
        f" p50 {result.percentile(0.5) * 1000:.0f} ms, p99 {result.percentile(0.99) * 1000:.0f}"
        f" ms; slowest 503 after {result.slowest_503:.2f} s"
    )
    assert result.unexpected == [], result.unexpected[:5]
    assert set(result.responses) <= {200, 201, 503}
    assert result.unfinished == 0
    assert result.slowest_503 < float(limits["queue_seconds"]) + 2.0, "a 503 must be prompt"
    if "max_in_flight" in limits:
        assert result.responses[503] > 0, "the overloaded worker turned nobody away"
    posts = clients * sum(1 for n in range(operations) if n % 4 != 3)
    assert len(result.acknowledged) == posts

    engine = create_db_engine(scratch_database)
    try:
        with Session(engine) as session:
            stored = session.scalar(
                select(func.count()).where(UsageRecord.record_id.like("burst-%"))  # type: ignore[attr-defined]
            )
            assert stored == posts  # exactly once: the unique key forbids more, none lost
            assert verify_ledger(session) == []
    finally:
        engine.dispose()
