"""Run the real service as several uvicorn processes on one database: for the multi-process
tests and the benchmark (the same code starts both)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def api_processes(
    database_url: str, count: int, log_dir: Path, *, workers: int = 1, **settings: str
) -> Iterator[list[str]]:
    """Start ``count`` API servers on ``database_url``, each on its own port with ``workers``
    uvicorn worker processes sharing it (the kernel spreads connections over them, unevenly);
    yield their base URLs. ``settings`` are extra VOUCHER_ variables (``max_in_flight="4"``)."""
    # Each process seals the audit log every second: concurrent sealers, as in production.
    env = {
        **os.environ,
        "VOUCHER_DATABASE_URL": database_url,
        "VOUCHER_AUDIT_SEAL_SECONDS": "1",
        **{f"VOUCHER_{name.upper()}": value for name, value in settings.items()},
    }
    procs, urls = [], []
    try:
        for i in range(count):
            port = _free_port()
            log = open(log_dir / f"api-{i}.log", "wb")  # noqa: SIM115 (closed with the process)
            command = [
                sys.executable,
                "-m",
                "uvicorn",
                "voucher_service.api:app",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--log-level",
                "warning",
                "--no-proxy-headers",  # as `serve`: the gate alone reads X-Forwarded-For
            ]
            own_env = dict(env)
            if workers > 1:
                command += ["--workers", str(workers)]
                metrics = log_dir / f"metrics-{i}"
                metrics.mkdir(exist_ok=True)
                own_env["PROMETHEUS_MULTIPROC_DIR"] = str(metrics)
            procs.append(
                subprocess.Popen(command, env=own_env, stdout=log, stderr=subprocess.STDOUT)
            )
            urls.append(f"http://127.0.0.1:{port}")
        deadline = time.monotonic() + 60
        for url in urls:
            while True:
                try:
                    if httpx.get(f"{url}/healthz", timeout=2).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                if time.monotonic() > deadline:
                    raise RuntimeError(f"API process at {url} did not start; see {log_dir}")
                time.sleep(0.2)
        yield urls
    finally:
        for proc in procs:
            proc.terminate()
        for proc in procs:
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
