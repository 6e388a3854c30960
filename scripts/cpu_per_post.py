"""Where a single usage post's CPU goes (docs/performance.md, "What bounds a single post").

On a scratch PostgreSQL database made beside the one named (as ``voucher-service bench``
does: 200 redeemed vouchers, one provider), it starts 2 API processes, posts N records one
per request from 16 keep-alive clients, then makes the raw-SQL floor's writes for N more
records from 16 psycopg connections, and prints the CPU each side spent per record: the API
processes, their PostgreSQL backends, and this load generator. CPU is read from /proc
(Linux), so it is what the processes used, not wall time shared with others.

    .venv/bin/python scripts/cpu_per_post.py [N] [--py-spy FILE]

With --py-spy (``pip install py-spy``), the first API process is sampled while it holds the
GIL and the samples are summed by the package of the innermost frame. Bounded: N records
(default 3000) each way, to 127.0.0.1 only; the scratch database is dropped at the end.
"""

from __future__ import annotations

import os
import resource
import signal
import subprocess
import sys
import tempfile
import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta
from itertools import cycle
from pathlib import Path

import psycopg
from sqlalchemy.engine import make_url

from voucher_service.config import get_settings
from voucher_service.db.migrate import migrate
from voucher_tools.bench import (
    encoded,
    http_single,
    load,
    raw_params,
    raw_record,
    record,
    timed,
)
from voucher_tools.localcluster import api_cluster
from voucher_tools.scratch import empty_postgres_database

SERVER = "postgresql://postgres@127.0.0.1:5432/test"
CLIENTS = 16
TICKS = os.sysconf("SC_CLK_TCK")
PACKAGES = [  # innermost frame's file -> what it is counted as
    ("voucher_service/", "the service's own code"),
    ("sqlalchemy/", "SQLAlchemy"),
    ("psycopg", "psycopg"),
    ("fastapi/", "FastAPI"),
    ("starlette/", "Starlette"),
    ("anyio/", "anyio (thread hand-offs)"),
    ("threading.py", "threads (waking, hand-offs)"),
    ("uvicorn/", "uvicorn and httptools"),
    ("h11/", "h11"),
    ("asyncio/", "the event loop"),
    ("uvloop", "the event loop"),
    ("pydantic", "pydantic"),
    ("prometheus_client", "prometheus-client"),
    ("json", "json"),
]


def cpu_seconds(pid: int) -> float:
    """User and system CPU a process has used so far (0 if it is gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except FileNotFoundError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / TICKS


def own_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def backends(dsn: str) -> list[int]:
    with psycopg.connect(dsn) as conn:
        rows = conn.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
            "AND pid <> pg_backend_pid()"
        ).fetchall()
    return [pid for (pid,) in rows]


def floor(dsn: str, params: list[dict[str, object]]) -> tuple[float, float]:
    """The floor's writes (as ``bench``); seconds, and its backends' CPU."""
    spent: list[float] = []
    lock = threading.Lock()

    def worker(index: int) -> None:
        with psycopg.connect(dsn) as conn:
            pid = conn.execute("SELECT pg_backend_pid()").fetchone()[0]  # type: ignore[index]
            conn.commit()  # or each record's transaction would be a savepoint inside this one
            before = cpu_seconds(pid)
            for p in params[index::CLIENTS]:
                raw_record(conn, p)
            with lock:
                spent.append(cpu_seconds(pid) - before)

    with ThreadPoolExecutor(CLIENTS) as pool:
        seconds = timed(lambda: list(pool.map(worker, range(CLIENTS))))
    return seconds, sum(spent)


def by_package(raw: Path) -> Counter[str]:
    counts: Counter[str] = Counter()
    for line in raw.read_text().splitlines():
        stack, _, n = line.rpartition(" ")
        frames = stack.split(";")
        name = "other"
        if any("_seal_audit_log" in f for f in frames):
            name = "the audit sealer (all of it)"
        else:
            for frame in reversed(frames):
                name = next((what for where, what in PACKAGES if where in frame), "")
                if name:
                    break
        counts[name or "other"] += int(n)
    return counts


def main(n: int, spy_file: Path | None) -> None:
    with empty_postgres_database(SERVER, prefix="voucher_cpu") as url:
        migrate(url)
        uscc, provider_id, key, targets = load(url, 200)
        dsn = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
        auth = {"Authorization": f"Bearer {key}"}
        end = datetime.now(get_settings().tz).replace(microsecond=0) - timedelta(minutes=5)
        pick = cycle(targets)
        bodies = encoded([record(f"s-{i}", next(pick), end) for i in range(n)])
        warm_up = encoded([record(f"w-{i}", next(pick), end) for i in range(400)])
        posts = f"/v1/provider/{uscc}/usage-records"
        with tempfile.TemporaryDirectory() as logs, api_cluster(url, 2, Path(logs)) as cluster:
            http_single(cluster.urls, posts, warm_up, CLIENTS, auth)  # pools filled, plans made
            workers = [server.process.pid for server in cluster.servers if server.process]
            spy = None
            if spy_file is not None:
                spy = subprocess.Popen(
                    ["py-spy", "record", "--gil", "-r", "250", "-f", "raw", "-o", str(spy_file),
                     "-p", str(workers[0])],
                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                )  # fmt: skip
            pids = backends(dsn)
            before = [cpu_seconds(p) for p in workers], [cpu_seconds(p) for p in pids], own_cpu()
            seconds, _ = http_single(cluster.urls, posts, bodies, CLIENTS, auth)
            after = [cpu_seconds(p) for p in workers], [cpu_seconds(p) for p in pids], own_cpu()
            if spy is not None:
                spy.send_signal(signal.SIGINT)
                spy.wait()
        raw = [raw_params(f"r-{i}", next(pick), provider_id, end) for i in range(n)]
        client_before = own_cpu()
        floor_seconds, floor_pg = floor(dsn, raw)
        floor_client = own_cpu() - client_before
    ms = 1000 / n
    api = sum(after[0]) - sum(before[0])
    pg = sum(after[1]) - sum(before[1])
    client = after[2] - before[2]
    print(
        f"service: {n / seconds:,.0f} records/s; CPU per record: API processes "
        f"{api * ms:.2f} ms, PostgreSQL {pg * ms:.2f} ms, load generator {client * ms:.2f} ms"
    )
    print(
        f"floor:   {n / floor_seconds:,.0f} records/s; CPU per record: PostgreSQL "
        f"{floor_pg * ms:.2f} ms, psycopg clients {floor_client * ms:.2f} ms"
    )
    print(f"ratio:   {floor_seconds / seconds:.0%}")  # fmt: skip
    if spy_file is not None and spy_file.exists():
        counts = by_package(spy_file)
        total = sum(counts.values())
        print(f"the first API process holding the GIL, {total:,} samples:")
        for name, count in counts.most_common():
            print(f"  {count / total:6.1%}  {name}")


if __name__ == "__main__":
    args = sys.argv[1:]
    spy_path = None
    if "--py-spy" in args:
        at = args.index("--py-spy")
        spy_path = Path(args[at + 1])
        del args[at : at + 2]
    main(int(args[0]) if args else 3000, spy_path)
