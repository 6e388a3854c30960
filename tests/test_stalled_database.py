"""A stalled database (issue 20, item 2): every process of a private PostgreSQL cluster is
stopped with SIGSTOP (the postmaster and every backend: connections are accepted by the
kernel and then nothing answers, as when a database host freezes) under a real
`voucher-service serve` process.

Before: ``/readyz`` hung over 15 s, and once the requests stuck on the database filled the
gate, ``/healthz`` answered 503 — the liveness probe would have restarted healthy pods. Now
``/readyz`` answers 503 within 2 s, ``/healthz`` 200 at once, ``/metrics`` without the
ledger's figures, requests that arrive meanwhile get a prompt 503; and after SIGCONT
everything recovers by itself: ``/readyz`` 200 again and a real post succeeds, with no
restart.

The cluster is the drill's own (``localcluster.private_postgres``), never the shared
server."""

from __future__ import annotations

import os
import signal
import statistics
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from pathlib import Path

import httpx
import pytest

from tests.databases import backend
from tests.served import served
from voucher_service.config import get_settings
from voucher_service.db.migrate import migrate
from voucher_tools import bench
from voucher_tools.localcluster import PrivatePostgres, postgres_bin_dir, private_postgres

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        backend() != "postgresql" or postgres_bin_dir() is None,
        reason="a private PostgreSQL cluster (initdb) in the PostgreSQL run",
    ),
]

STALL_ROUNDS = 6  # probes, a second apart, while the database is stopped
ARRIVING = 12  # posts sent while it is stopped (more than the gate's ten places)


def cluster_pids(database: PrivatePostgres) -> list[int]:
    """The postmaster (the first line of postmaster.pid) and every process it started."""
    postmaster = int((database.data / "postmaster.pid").read_text().split()[0])
    children = Path(f"/proc/{postmaster}/task/{postmaster}/children").read_text().split()
    return [postmaster, *(int(pid) for pid in children)]


@contextmanager
def stopped(pids: list[int]) -> Iterator[None]:
    for pid in pids:
        os.kill(pid, signal.SIGSTOP)
    try:
        yield
    finally:
        for pid in pids:
            os.kill(pid, signal.SIGCONT)


def timed_get(url: str) -> tuple[int, float, str]:
    started = time.perf_counter()
    response = httpx.get(url, timeout=30)
    return response.status_code, time.perf_counter() - started, response.text


def test_a_stalled_database_is_not_ready_fast_and_recovers_by_itself(tmp_path: Path) -> None:
    with private_postgres() as database:
        migrate(database.url)
        provider, _, key, targets = bench.load(database.url, 2)
        end = datetime.now(get_settings().tz).replace(microsecond=0) - timedelta(minutes=5)
        auth = {"authorization": f"Bearer {key}"}

        def post(http: httpx.Client, record_id: str) -> int:
            record = bench.record(record_id, targets[0], end)
            path = f"/v1/provider/{provider}/usage-records"
            return http.post(path, json=record, headers=auth).status_code

        arriving: Counter[str] = Counter()
        arriving_seconds: list[float] = []

        def arrive(n: int) -> None:
            started = time.perf_counter()
            try:
                with httpx.Client(base_url=url, timeout=120) as http:
                    arriving[str(post(http, f"stall-{n}"))] += 1
            except httpx.TransportError as error:
                arriving[type(error).__name__] += 1
            arriving_seconds.append(time.perf_counter() - started)

        with served(database.url, tmp_path) as url, httpx.Client(base_url=url, timeout=30) as http:
            assert post(http, "before") == 201
            assert http.get("/readyz").status_code == 200
            readyz, healthz, metrics = [], [], []
            with stopped(cluster_pids(database)):
                stalled = time.perf_counter()
                threads = [threading.Thread(target=arrive, args=(n,)) for n in range(ARRIVING)]
                for thread in threads:
                    thread.start()
                time.sleep(0.5)
                for _ in range(STALL_ROUNDS):
                    readyz.append(timed_get(f"{url}/readyz"))
                    healthz.append(timed_get(f"{url}/healthz"))
                    metrics.append(timed_get(f"{url}/metrics"))
                    time.sleep(1)
                stalled_seconds = time.perf_counter() - stalled
            resumed = time.perf_counter()
            while http.get("/readyz").status_code != 200:
                assert time.perf_counter() - resumed < 60, "readyz did not recover"
                time.sleep(0.2)
            ready_again = time.perf_counter() - resumed
            assert post(http, "after") == 201
            for thread in threads:
                thread.join(150)
    print(
        f"\ndatabase stopped {stalled_seconds:.1f} s: /readyz {Counter(s for s, _, _ in readyz)} "
        f"in at most {max(t for _, t, _ in readyz):.2f} s ({readyz[-1][2]}); /healthz "
        f"{Counter(s for s, _, _ in healthz)} in at most {max(t for _, t, _ in healthz):.3f} s; "
        f"/metrics {Counter(s for s, _, _ in metrics)} in at most "
        f"{max(t for _, t, _ in metrics):.2f} s\nposts sent during the stall: {dict(arriving)}, "
        f"answered after median {statistics.median(arriving_seconds):.1f} s\nafter SIGCONT: "
        f"/readyz 200 after {ready_again:.2f} s, a new post 201"
    )
    assert all(status == 503 and seconds < 2.0 for status, seconds, _ in readyz), readyz
    assert all(status == 200 and seconds < 1.0 for status, seconds, _ in healthz), healthz
    assert all(status == 200 and seconds < 4.0 for status, seconds, _ in metrics), metrics
    assert all("voucher_metrics_ledger_up 0.0" in text for _, _, text in metrics)
    # Each post sent during the stall was answered: a prompt 503 to retry, or once the
    # database was back, its 201 (none cut off, none a 500).
    assert set(arriving) <= {"201", "503"}, arriving
    assert sum(arriving.values()) == ARRIVING
