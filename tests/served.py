"""The service as it is deployed: the `voucher-service serve` command (what the Dockerfile and
the Kubernetes manifests run: one uvicorn worker, the HTTP protocol of ``protocol.py``) on a
free port of 127.0.0.1, for the drills that need a real process and real sockets."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def command() -> str:
    """The installed `voucher-service` script beside this interpreter."""
    found = shutil.which("voucher-service", path=str(Path(sys.executable).parent))
    if found is None:
        raise RuntimeError("voucher-service is not installed beside this Python")
    return found


@contextmanager
def served(database_url: str, log_dir: Path, **settings: str) -> Iterator[str]:
    """Run `voucher-service serve` on ``database_url`` (``settings`` are extra VOUCHER_
    variables: ``body_read_seconds="8"``) until the block ends; yield its base URL."""
    port = free_port()
    env = {
        **os.environ,
        "VOUCHER_DATABASE_URL": database_url,
        "VOUCHER_AUDIT_SEAL_SECONDS": "1",
        **{f"VOUCHER_{name.upper()}": value for name, value in settings.items()},
    }
    url = f"http://127.0.0.1:{port}"
    with open(log_dir / "serve.log", "ab") as log:
        process = subprocess.Popen(
            [command(), "serve", "--host", "127.0.0.1", "--port", str(port)],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            _wait_until_serving(url, process, log_dir)
            yield url
        finally:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()


def _wait_until_serving(url: str, process: subprocess.Popen[bytes], log_dir: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"voucher-service serve exited; see {log_dir / 'serve.log'}")
        try:
            if httpx.get(f"{url}/healthz", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"voucher-service serve did not start; see {log_dir / 'serve.log'}")
