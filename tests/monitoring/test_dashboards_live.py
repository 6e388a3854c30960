"""Each dashboard panel's query against a real Prometheus scraping two replicas on one
database, as the compose stack runs them: the database-derived figures, which every replica
exports, come out once (as one replica alone gives them), not doubled; every query answers."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from sqlalchemy.orm import Session

from tests.deploy.files import DEPLOY
from tests.monitoring.stack import Monitoring, monitoring, wait_for
from voucher_service.db.session import create_db_engine
from voucher_service.monitoring import jobs
from voucher_service.monitoring.jobs import Job
from voucher_tools.localcluster import api_processes

pytestmark = pytest.mark.slow

# Counted in each process's memory (voucher_service/metrics.py, the pool): summed over
# replicas, or shown by replica.
PER_PROCESS = re.compile(
    r"voucher_(http_request_duration_seconds|ingest_seconds|batch_records|auth_failures|"
    r"requests_in_flight|admission_|db_pool_connections|database_)"
)


def queries() -> list[tuple[str, str]]:
    return [
        (f"{path.stem}: {panel['title']}", target["expr"])
        for path in sorted((DEPLOY / "grafana").glob("*.json"))
        for panel in json.loads(path.read_text())["panels"]
        for target in panel["targets"]
    ]


def on_one(expr: str, instance: str) -> str:
    """``expr`` with every voucher_ series restricted to one replica."""
    return re.sub(
        r"\b(voucher_[a-z_]+)(\{)?",
        lambda m: f'{m[1]}{{instance="{instance}"' + ("," if m[2] else "}"),
        expr,
    )


def figures(
    prometheus: Monitoring, expr: str, at: float | None = None
) -> dict[tuple[tuple[str, str], ...], float]:
    """The series of ``expr`` by labels, with their values; ages (read at each replica's own
    scrape) by labels alone."""
    return {
        tuple(sorted(series["metric"].items())): (
            0.0 if "age_seconds" in expr else round(float(series["value"][1]), 6)
        )
        for series in prometheus.query(expr, at)
    }


def test_every_panel_counts_each_figure_once(scratch_database: str, tmp_path: Path) -> None:
    loaded = subprocess.run(
        [str(Path(sys.executable).with_name("voucher-service")), "demo", "--today", "2026-06-15"],
        env={**os.environ, "VOUCHER_DATABASE_URL": scratch_database},
        capture_output=True,
        timeout=120,
    )
    assert loaded.returncode == 0, loaded.stderr
    engine = create_db_engine(scratch_database)
    with Session(engine) as session:
        jobs.record(session, Job.BACKUP, ok=True, now=datetime.now(UTC))
        session.commit()
    engine.dispose()

    with api_processes(scratch_database, 2, tmp_path) as urls:
        targets = [url.removeprefix("http://") for url in urls]
        with monitoring(targets, tmp_path, alerting=False) as prometheus:
            for url in urls:  # some traffic for the latency panels
                for path in ("/healthz", "/readyz", "/v1/nothing-here"):
                    httpx.get(f"{url}{path}", timeout=10)
            # Two scrapes of each replica, so that rates have two samples.
            wait_for(
                lambda: len(prometheus.query("count_over_time(up[1m]) >= 3")) == 2 or None,
                "three scrapes of both replicas",
                60,
                prometheus.logs,
            )
            # Without `max without (instance)` a database figure doubles: the check can fail.
            doubled = figures(prometheus, "sum(voucher_pool_total_yuan)")
            once = figures(prometheus, on_one("sum(voucher_pool_total_yuan)", targets[0]))
            assert once and doubled == {key: 2 * value for key, value in once.items()}

            empty, counted_twice = [], []
            at = time.time()
            for title, expr in queries():
                both = figures(prometheus, expr, at)
                if not both:
                    empty.append(title)
                if not PER_PROCESS.search(expr) and both != figures(
                    prometheus, on_one(expr, targets[0]), at
                ):
                    counted_twice.append(f"{title}: {expr}")
    assert counted_twice == []
    # Series that appear with their first event: no usage is posted here, and nothing fails.
    assert empty == [
        "voucher-bureau: Ingest latency p95 (s)",
        "voucher-bureau: Request errors (5xx per second)",
    ]
