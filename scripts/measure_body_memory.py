"""Worker memory under huge request bodies (docs/reliability.md, "Bounded requests").

Starts one API worker (uvicorn, as `voucher-service serve` runs it) on 127.0.0.1 with a
scratch SQLite database holding the demo, samples its resident memory every 20 ms, and sends
three concurrent 200 MB bodies, twice: without a key (to a provider's batch route), and with
the demo provider's key to its batch route, once with Content-Length and once streamed
(chunked, no length). Prints the worker's RSS before and its peak during each round.

    .venv/bin/python scripts/measure_body_memory.py

Bounded: each body is generated as it is sent (nothing held), each request times out after
60 s, and the worker is stopped at the end. Only 127.0.0.1 is contacted.
"""

from __future__ import annotations

import contextlib
import io
import os
import re
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx

BODY = 200 * 1024 * 1024
CHUNK = b" " * (1024 * 1024)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def rss_kib(pid: int) -> int:
    text = Path(f"/proc/{pid}/status").read_text()
    match = re.search(r"VmRSS:\s+(\d+) kB", text)
    return int(match[1]) if match else 0


def body() -> Iterator[bytes]:
    for _ in range(BODY // len(CHUNK)):
        yield CHUNK


def send(url: str, headers: dict[str, str], chunked: bool, results: list[str]) -> None:
    try:
        if not chunked:
            headers = {**headers, "Content-Length": str(BODY)}
        response = httpx.post(url, content=body(), headers=headers, timeout=60)
        results.append(str(response.status_code))
    except httpx.HTTPError as exc:  # the server may close the connection once it answered
        results.append(type(exc).__name__)


def round_of(pid: int, url: str, headers: dict[str, str], chunked: bool) -> tuple[int, int, list]:
    before = rss_kib(pid)
    peak = [before]
    done = threading.Event()

    def sample() -> None:
        while not done.is_set():
            peak[0] = max(peak[0], rss_kib(pid))
            time.sleep(0.02)

    sampler = threading.Thread(target=sample)
    sampler.start()
    results: list[str] = []
    senders = [
        threading.Thread(target=send, args=(url, headers, chunked, results)) for _ in range(3)
    ]
    for t in senders:
        t.start()
    for t in senders:
        t.join()
    time.sleep(0.5)
    done.set()
    sampler.join()
    return before, peak[0], sorted(results)


def main() -> None:
    from voucher_service.cli import main as cli

    with tempfile.TemporaryDirectory() as work:
        url = f"sqlite:///{work}/voucher.db"
        os.environ["VOUCHER_DATABASE_URL"] = url
        printed = io.StringIO()
        with contextlib.redirect_stdout(printed):
            assert cli(["migrate"]) == 0
            assert cli(["demo"]) == 0
        text = printed.getvalue()
        key = re.search(r"export PROVIDER_KEY=(\S+)", text)[1]  # type: ignore[index]
        provider = re.search(r"provider: (\w{18})", text)[1]  # type: ignore[index]
        port = free_port()
        server = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "uvicorn",
                "voucher_service.api:app",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--no-proxy-headers",
                "--log-level",
                "warning",
            ],
            env={**os.environ, "VOUCHER_AUDIT_SEAL_SECONDS": "0"},
        )
        try:
            base = f"http://127.0.0.1:{port}"
            for _ in range(100):
                with contextlib.suppress(httpx.HTTPError):
                    if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                        break
                time.sleep(0.1)
            batch = f"{base}/v1/provider/{provider}/usage-records/batch"
            auth = {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}
            plain = {"Content-Type": "application/json"}
            print(f"worker pid {server.pid}; three concurrent bodies of {BODY // 2**20} MB each")
            for label, headers, chunked in [
                ("no key, Content-Length", plain, False),
                ("no key, streamed", plain, True),
                ("provider key (batch), Content-Length", auth, False),
                ("provider key (batch), streamed", auth, True),
            ]:
                before, peak, statuses = round_of(server.pid, batch, headers, chunked)
                print(
                    f"{label:40} RSS before {before / 1024:6.1f} MB, peak {peak / 1024:6.1f} MB "
                    f"(+{(peak - before) / 1024:5.1f} MB); answers {statuses}"
                )
        finally:
            server.terminate()
            server.wait(timeout=10)


if __name__ == "__main__":
    main()
