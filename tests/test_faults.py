"""Fault drills: the provider client (clients/python/, ``voucher_client``) posts batches and
single records while API workers are killed with SIGKILL in the middle of batches, or while the
database is stopped and started at once (a crash: ``pg_ctl stop -m immediate``). After the
restarts and the client's retries, every record the client saw acknowledged is stored
exactly once with the outcome it was told, no record is stored that it was not told about,
and ``verify`` finds the books clean.

The database drill runs its own PostgreSQL cluster (``initdb`` in a temporary directory, on
a free port: ``localcluster.private_postgres``), never the shared server."""

from __future__ import annotations

import random
import threading
import time
import zlib
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from itertools import count
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.databases import backend
from voucher_client import ProviderClient
from voucher_service.books import verify_ledger
from voucher_service.config import get_settings
from voucher_service.db.migrate import migrate
from voucher_service.db.session import create_db_engine
from voucher_service.db.tables.usage import UsageRecord
from voucher_service.money import yuan_to_fen
from voucher_tools import bench
from voucher_tools.localcluster import api_cluster, postgres_bin_dir, private_postgres

pytestmark = pytest.mark.slow

BATCH = 400  # records per batch post: long enough to be cut in the middle
CLIENTS = [("batch-a", True), ("batch-b", True), ("single-a", False), ("single-b", False)]
PREFIX = "fault-"


class CountingTransport(httpx.HTTPTransport):
    """Counts what each attempt of the client met, and tells the drill when a batch is on
    its way (so a fault can be timed to land in the middle of one)."""

    def __init__(self, counts: Counter[str], batch_sent: threading.Event) -> None:
        super().__init__()
        self.counts, self.batch_sent = counts, batch_sent

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        kind = "batch" if request.url.path.endswith("/batch") else "single"
        if kind == "batch":
            self.batch_sent.set()
        try:
            response = super().handle_request(request)
        except httpx.TransportError:
            self.counts[f"{kind} cut off"] += 1
            raise
        self.counts[f"{kind} {response.status_code}"] += 1
        return response


@dataclass
class Load:
    """Provider clients posting until told to stop: what they were told, and what they met."""

    url: str
    provider: str
    key: str
    targets: list[bench.Target]
    acknowledged: dict[str, int] = field(default_factory=dict)  # record id -> subsidy, fen
    failures: list[str] = field(default_factory=list)  # a post that failed after its retries
    counts: Counter[str] = field(default_factory=Counter)
    batch_sent: threading.Event = field(default_factory=threading.Event)
    stop: threading.Event = field(default_factory=threading.Event)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def record(self, record_id: str) -> dict[str, Any]:
        end = datetime.now(get_settings().tz).replace(microsecond=0) - timedelta(minutes=5)
        target = self.targets[zlib.crc32(record_id.encode()) % len(self.targets)]
        return bench.record(record_id, target, end)

    def client(self, counts: Counter[str]) -> ProviderClient:
        http = httpx.Client(
            base_url=self.url, timeout=30, transport=CountingTransport(counts, self.batch_sent)
        )
        # The default budget (retried for 30 s), from a 0.1 s wait doubling up to 5 s.
        return ProviderClient(self.url, self.provider, api_key=self.key, backoff=0.1, http=http)

    def post(self, name: str, batched: bool) -> None:
        counts: Counter[str] = Counter()
        numbers = count()
        with self.client(counts) as client:
            while not self.stop.is_set():
                n = next(numbers)
                ids = [f"{PREFIX}{name}-{n}-{i}" for i in range(BATCH if batched else 1)]
                try:
                    if batched:
                        results = client.post_batch([self.record(i) for i in ids])
                        odd = [r for r in results if r["status"] not in ("created", "replayed")]
                        assert not odd, f"a batch's record {odd[0]}"
                        told = {r["record_id"]: r["subsidy_yuan"] for r in results}
                        counts["batch records replayed"] += sum(
                            1 for r in results if r["status"] == "replayed"
                        )
                    else:
                        told = {ids[0]: client.post_usage(self.record(ids[0]))["subsidy_yuan"]}
                except Exception as error:  # noqa: BLE001 (the drill reports it)
                    with self.lock:
                        self.failures.append(f"{ids[0]}: {error!r}")
                    continue
                with self.lock:
                    self.acknowledged.update({i: yuan_to_fen(str(v)) for i, v in told.items()})
        with self.lock:
            self.counts.update(counts)


@dataclass
class Drill:
    seconds: float = 0.0
    faults: int = 0
    load: Load | None = None


def drill(load: Load, fault: Callable[[], None], faults: int) -> Drill:
    """Run the load; ``faults`` times, once a batch is on its way, wait a moment into it and
    strike; let the load run on a while after the last, then stop it."""
    threads = [
        threading.Thread(target=load.post, args=(name, batched)) for name, batched in CLIENTS
    ]
    began = time.perf_counter()
    for thread in threads:
        thread.start()
    jitter = random.Random(11)
    try:
        for _ in range(faults):
            load.batch_sent.clear()
            assert load.batch_sent.wait(60), "no batch was sent"
            time.sleep(jitter.uniform(0.02, 0.25))
            fault()
            time.sleep(jitter.uniform(0.5, 1.0))
        time.sleep(2.0)  # the clients catch up: retries after the last fault land
    finally:
        load.stop.set()
        for thread in threads:
            thread.join(timeout=180)
    return Drill(time.perf_counter() - began, faults, load)


def assert_each_acknowledged_record_stored_once(database_url: str, result: Drill) -> None:
    load = result.load
    assert load is not None
    print(
        f"\n{result.faults} faults in {result.seconds:.1f} s: {len(load.acknowledged)} records "
        f"acknowledged; attempts {dict(sorted(load.counts.items()))}"
    )
    assert load.failures == [], load.failures[:5]
    # Each attempt was answered (a success, or a 503 in the error shape that the client
    # retries) or cut off by the fault: never a 500, never another refusal.
    answers = {kind.split()[1] for kind in load.counts if kind.split()[1].isdigit()}
    assert answers <= {"200", "201", "503"}, load.counts
    assert load.counts["batch cut off"] + load.counts["batch 503"] > 0, "no batch was cut"
    engine = create_db_engine(database_url)
    try:
        with Session(engine) as session:
            stored = session.execute(
                select(UsageRecord.record_id, UsageRecord.subsidy_fen).where(
                    UsageRecord.record_id.like(f"{PREFIX}%")  # type: ignore[attr-defined]
                )
            ).all()
            ids = [record_id for record_id, _ in stored]
            assert len(ids) == len(set(ids))
            # Every acknowledged record stored, with the outcome the client was told; none
            # stored that the client was not told about (the posts that failed are none).
            assert dict(stored) == load.acknowledged
            assert verify_ledger(session) == []
    finally:
        engine.dispose()


@pytest.fixture
def loaded(scratch_database: str) -> Iterator[tuple[str, str, str, list[bench.Target]]]:
    provider, _, key, targets = bench.load(scratch_database, 20)
    yield scratch_database, provider, key, targets


@pytest.mark.skipif(backend() != "postgresql", reason="several writer processes: PostgreSQL")
def test_api_workers_killed_mid_batch_lose_and_double_nothing(
    loaded: tuple[str, str, str, list[bench.Target]], tmp_path: Path
) -> None:
    url, provider, key, targets = loaded
    with api_cluster(url, 1, tmp_path, workers=2) as cluster:
        load = Load(cluster.urls[0], provider, key, targets)
        rounds = [0]

        def kill() -> None:
            rounds[0] += 1
            if rounds[0] < 5:
                assert cluster.kill_workers(0) == 2  # uvicorn's parent starts new ones
            else:  # the whole server, as a node that dies, started again on its port
                cluster.kill(0)
                time.sleep(0.5)
                cluster.restart(0)

        result = drill(load, kill, faults=5)
    assert_each_acknowledged_record_stored_once(url, result)


@pytest.mark.skipif(
    backend() != "postgresql" or postgres_bin_dir() is None,
    reason="a private PostgreSQL cluster (initdb) in the PostgreSQL run",
)
def test_a_database_crash_and_restart_loses_and_doubles_nothing(tmp_path: Path) -> None:
    with private_postgres() as database:
        migrate(database.url)
        provider, _, key, targets = bench.load(database.url, 20)
        with api_cluster(database.url, 1, tmp_path, workers=2) as cluster:
            load = Load(cluster.urls[0], provider, key, targets)

            def crash() -> None:
                database.stop("immediate")
                time.sleep(0.5)
                database.start()

            result = drill(load, crash, faults=3)
        assert_each_acknowledged_record_stored_once(database.url, result)
