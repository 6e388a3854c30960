"""Run the real service as several uvicorn processes on one database: for the multi-process
tests, the fault drills and the benchmark (the same code starts them all). For the drills,
a server's workers can be killed with SIGKILL (its uvicorn parent starts new ones) or the
whole server killed and started again on its port, and ``private_postgres`` runs a
PostgreSQL cluster of its own, made with ``initdb`` in a temporary directory, that a drill
may stop and start: never the shared server."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

import httpx

from voucher_service import protocol


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class _Server:
    port: int
    log: IO[bytes]
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


@dataclass
class ApiCluster:
    """``count`` API servers on one database, each on its own port with ``workers`` uvicorn
    worker processes sharing it (the kernel spreads connections over them, unevenly)."""

    database_url: str
    count: int
    log_dir: Path
    workers: int = 1
    settings: dict[str, str] = field(default_factory=dict)
    app: str = "voucher_service.api:app"  # the benchmark's HTTP ceiling serves another
    servers: list[_Server] = field(default_factory=list)

    @property
    def urls(self) -> list[str]:
        return [server.url for server in self.servers]

    def start(self) -> None:
        for i in range(self.count):
            log = open(self.log_dir / f"api-{i}.log", "ab")  # noqa: SIM115 (closed in stop)
            self.servers.append(_Server(_free_port(), log))
            self._launch(i)
        self.wait_until_serving()

    def _launch(self, index: int) -> None:
        server = self.servers[index]
        # Each process seals the audit log every second: concurrent sealers, as in production.
        env = {
            **os.environ,
            "VOUCHER_DATABASE_URL": self.database_url,
            "VOUCHER_AUDIT_SEAL_SECONDS": "1",
            **{f"VOUCHER_{name.upper()}": value for name, value in self.settings.items()},
        }
        command = [
            sys.executable,
            "-m",
            "uvicorn",
            self.app,
            "--host",
            "127.0.0.1",
            "--port",
            str(server.port),
            "--log-level",
            "warning",
            "--no-proxy-headers",  # as `serve`: the gate alone reads X-Forwarded-For
            "--http",  # as `serve`: deadlines and a size bound on request heads
            protocol.PATH,
        ]
        if self.workers > 1:
            command += ["--workers", str(self.workers)]
            metrics = self.log_dir / f"metrics-{index}"
            metrics.mkdir(exist_ok=True)
            env["PROMETHEUS_MULTIPROC_DIR"] = str(metrics)
        server.process = subprocess.Popen(
            command, env=env, stdout=server.log, stderr=subprocess.STDOUT, start_new_session=True
        )

    def wait_until_serving(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        for url in self.urls:
            while True:
                try:
                    if httpx.get(f"{url}/healthz", timeout=2).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                if time.monotonic() > deadline:
                    raise RuntimeError(f"API process at {url} did not start; see {self.log_dir}")
                time.sleep(0.2)

    def worker_pids(self, index: int) -> list[int]:
        """The pids of server ``index``'s worker processes (its uvicorn parent's children
        that serve; with one worker, the server process itself)."""
        parent = self.servers[index].process
        assert parent is not None
        if self.workers == 1:
            return [parent.pid]
        children = Path(f"/proc/{parent.pid}/task/{parent.pid}/children").read_text().split()
        return [
            int(pid)
            for pid in children
            if b"spawn_main" in _cmdline(int(pid)) and b"resource_tracker" not in _cmdline(int(pid))
        ]

    def kill_workers(self, index: int) -> int:
        """SIGKILL every worker of server ``index`` (its parent starts new ones); how many."""
        pids = self.worker_pids(index)
        for pid in pids:
            with suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        return len(pids)

    def kill(self, index: int) -> None:
        """SIGKILL server ``index``, parent and workers, as a node that dies would."""
        process = self.servers[index].process
        assert process is not None
        with suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait()

    def restart(self, index: int) -> None:
        """Start server ``index`` again on its port after ``kill``."""
        self._launch(index)

    def stop(self) -> None:
        for server in self.servers:
            if server.process is not None and server.process.poll() is None:
                server.process.terminate()
        for server in self.servers:
            if server.process is None:
                continue
            try:
                server.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(server.process.pid, signal.SIGKILL)
                server.process.wait()
            server.log.close()


def _cmdline(pid: int) -> bytes:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return b""


@contextmanager
def api_cluster(
    database_url: str,
    count: int,
    log_dir: Path,
    *,
    workers: int = 1,
    app: str = "voucher_service.api:app",
    **settings: str,
) -> Iterator[ApiCluster]:
    """Start ``count`` API servers on ``database_url`` (``settings`` are extra VOUCHER_
    variables: ``max_in_flight="4"``; ``app`` the ASGI application to serve); yield them, to
    kill and restart; stop them after."""
    cluster = ApiCluster(database_url, count, log_dir, workers, settings, app)
    try:
        cluster.start()
        yield cluster
    finally:
        cluster.stop()


@contextmanager
def api_processes(
    database_url: str,
    count: int,
    log_dir: Path,
    *,
    workers: int = 1,
    app: str = "voucher_service.api:app",
    **settings: str,
) -> Iterator[list[str]]:
    """``api_cluster``, yielding only the servers' base URLs."""
    with api_cluster(database_url, count, log_dir, workers=workers, app=app, **settings) as cluster:
        yield cluster.urls


@dataclass
class PrivatePostgres:
    """A PostgreSQL cluster of its own: ``url`` reaches its ``postgres`` database."""

    bin_dir: Path
    data: Path
    port: int
    run_as: str | None  # initdb refuses root: then every command runs as this user

    @property
    def url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def _run(self, *command: str, timeout: float = 60) -> None:
        prefix = ["runuser", "-u", self.run_as, "--"] if self.run_as else []
        subprocess.run(
            [*prefix, *command], check=True, capture_output=True, timeout=timeout, cwd="/"
        )

    def start(self) -> None:
        options = f"-p {self.port} -k {self.data} -c listen_addresses=127.0.0.1"
        log = str(self.data / "server.log")
        self._run(str(self.bin_dir / "pg_ctl"), "-D", str(self.data), "-l", log, "-o", options,
                  "-w", "start")  # fmt: skip

    def stop(self, mode: str = "fast") -> None:
        """Stop the server; ``immediate`` is a crash: no checkpoint, recovery on start."""
        self._run(str(self.bin_dir / "pg_ctl"), "-D", str(self.data), "-m", mode, "-w", "stop")


def postgres_bin_dir() -> Path | None:
    """Where Debian (or PATH) keeps initdb and pg_ctl, the newest version first."""
    found = shutil.which("initdb")
    if found:
        return Path(found).parent
    versions = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"), reverse=True)
    return versions[0].parent if versions else None


@contextmanager
def private_postgres() -> Iterator[PrivatePostgres]:
    """Make a PostgreSQL cluster with ``initdb`` in a temporary directory, start it on a free
    port, yield it; stop it and remove the directory after. As root (as in CI), it runs as
    the ``postgres`` user, which owns the directory."""
    bin_dir = postgres_bin_dir()
    if bin_dir is None:
        raise RuntimeError("PostgreSQL's initdb is not installed")
    run_as = "postgres" if os.geteuid() == 0 else None
    root = Path(tempfile.mkdtemp(prefix="voucher-pg-"))
    data = root / "data"
    if run_as:
        shutil.chown(root, user=run_as)
    cluster = PrivatePostgres(bin_dir, data, _free_port(), run_as)
    try:
        cluster._run(str(bin_dir / "initdb"), "-D", str(data), "-U", "postgres", "-A", "trust",
                     "--no-sync", "-E", "UTF8")  # fmt: skip
        cluster.start()
        yield cluster
    finally:
        with suppress(subprocess.CalledProcessError, subprocess.TimeoutExpired):
            cluster.stop("immediate")
        shutil.rmtree(root, ignore_errors=True)
