"""A real Prometheus (Debian's package) scrapes a running API process; the series are there."""

from __future__ import annotations

import socket
import subprocess
import time
from pathlib import Path

import httpx
import pytest
from sqlalchemy.orm import Session

from tests.factories import make_pool, make_program
from tests.monitoring.tools import require
from voucher_service.db.session import create_db_engine
from voucher_service.tools.localcluster import api_processes

pytestmark = pytest.mark.slow


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_prometheus_scrapes_the_service(scratch_database: str, tmp_path: Path) -> None:
    prometheus = require("prometheus")
    engine = create_db_engine(scratch_database)
    with Session(engine) as session:
        make_pool(session, make_program(session, code="SCRAPED"), year=2026, total_fen=123_456_78)
        session.commit()
    engine.dispose()

    with api_processes(scratch_database, 1, tmp_path) as [url]:
        target = url.removeprefix("http://")
        config = tmp_path / "prometheus.yml"
        config.write_text(
            "global: {scrape_interval: 1s}\n"
            "scrape_configs:\n"
            f"  - job_name: voucher-service\n    static_configs: [{{targets: ['{target}']}}]\n"
        )
        port = free_port()
        server = subprocess.Popen(
            [
                prometheus,
                f"--config.file={config}",
                f"--storage.tsdb.path={tmp_path / 'tsdb'}",
                f"--web.listen-address=127.0.0.1:{port}",
            ],
            stdout=subprocess.DEVNULL,
            stderr=(tmp_path / "prometheus.log").open("wb"),
        )
        try:
            found = []
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline and not found:
                time.sleep(1)
                try:
                    reply = httpx.get(
                        f"http://127.0.0.1:{port}/api/v1/query",
                        params={"query": 'voucher_pool_total_yuan{program="SCRAPED"}'},
                        timeout=5,
                    ).json()
                except httpx.TransportError:
                    continue
                found = reply.get("data", {}).get("result", [])
            assert found, (tmp_path / "prometheus.log").read_text()[-2000:]
            assert found[0]["metric"]["year"] == "2026"
            assert float(found[0]["value"][1]) == 123456.78
            up = httpx.get(f"http://127.0.0.1:{port}/api/v1/query", params={"query": "up"}).json()
            assert up["data"]["result"][0]["value"][1] == "1"
        finally:
            server.terminate()
            server.wait(timeout=20)
