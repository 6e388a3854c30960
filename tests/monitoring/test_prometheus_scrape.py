"""A real Prometheus (Debian's package) scrapes a running API process; the series are there."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy.orm import Session

from tests.factories import make_pool, make_program
from tests.monitoring.stack import monitoring, wait_for
from voucher_service.db.session import create_db_engine
from voucher_tools.localcluster import api_processes

pytestmark = pytest.mark.slow


def test_prometheus_scrapes_the_service(scratch_database: str, tmp_path: Path) -> None:
    engine = create_db_engine(scratch_database)
    with Session(engine) as session:
        make_pool(session, make_program(session, code="SCRAPED"), year=2026, total_fen=123_456_78)
        session.commit()
    engine.dispose()

    with (
        api_processes(scratch_database, 1, tmp_path) as [url],
        monitoring([url.removeprefix("http://")], tmp_path, alerting=False) as prometheus,
    ):
        found = wait_for(
            lambda: prometheus.query('voucher_pool_total_yuan{program="SCRAPED"}'),
            "scraped pool",
            60,
            prometheus.logs,
        )
        assert found[0]["metric"]["year"] == "2026"
        assert float(found[0]["value"][1]) == 123456.78
        assert prometheus.query("up")[0]["value"][1] == "1"
        assert prometheus.query("voucher_database_up")[0]["value"][1] == "1"
        assert prometheus.query("voucher_database_migrations_behind")[0]["value"][1] == "0"
