"""The scheduled jobs' outcomes, and the database's state, as /metrics exports them for the
alerts (deploy/prometheus/alerts.yml)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from prometheus_client import CollectorRegistry, generate_latest
from sqlalchemy import create_engine
from sqlalchemy.orm import Session

from tests.monitoring.test_metrics import sample
from voucher_service.monitoring import jobs
from voucher_service.monitoring.collector import LedgerCollector
from voucher_service.monitoring.jobs import Job

NOW = datetime(2026, 6, 15, 2, 0, tzinfo=UTC)


def exposition(session: Session) -> str:
    registry = CollectorRegistry(auto_describe=False)
    registry.register(LedgerCollector(session, NOW))
    return generate_latest(registry).decode()


def test_each_job_keeps_its_last_success_and_failure(session: Session) -> None:
    jobs.record(session, Job.VERIFY, ok=True, now=NOW - timedelta(days=1))
    jobs.record(session, Job.VERIFY, ok=False, now=NOW)
    jobs.record(session, Job.BACKUP, ok=True, now=NOW - timedelta(hours=2))
    jobs.record(session, Job.BACKUP, ok=True, now=NOW)
    text = exposition(session)
    success, failure = (
        "voucher_job_last_success_timestamp_seconds",
        ("voucher_job_last_failure_timestamp_seconds"),
    )
    assert sample(text, success, task="verify") == (NOW - timedelta(days=1)).timestamp()
    assert sample(text, failure, task="verify") == NOW.timestamp()
    assert sample(text, success, task="backup") == NOW.timestamp()
    assert sample(text, failure, task="backup") is None
    assert sample(text, success, task="checkpoint") is None
    assert sample(text, "voucher_database_up") == 1
    assert sample(text, "voucher_database_migrations_behind") == 0


def test_a_database_that_does_not_answer_is_a_metric_not_a_failed_scrape() -> None:
    unreachable = create_engine("postgresql+psycopg://nobody@127.0.0.1:9/none?connect_timeout=2")
    with Session(unreachable) as session:
        text = exposition(session)
    assert sample(text, "voucher_database_up") == 0
    assert "voucher_pool_total_yuan" not in text
    assert "voucher_database_migrations_behind" not in text
