"""An alert reaches someone: the API serving a database whose `verify` job failed, a real
Prometheus scraping it with deploy/'s rules, a real Alertmanager with deploy/'s routing, and
the alert sink, as the compose stack wires them; the sink receives VoucherVerifyFailing."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.monitoring.stack import monitoring, wait_for
from voucher_tools.localcluster import api_processes

pytestmark = pytest.mark.slow


def test_a_failed_verify_reaches_the_receiver(scratch_database: str, tmp_path: Path) -> None:
    # The job runner as the deploy files use it: the wrapped command fails, it is recorded.
    wrapped = subprocess.run(
        [sys.executable, "-m", "voucher_service.monitoring.jobs", "verify", "--", "false"],
        env={**os.environ, "VOUCHER_DATABASE_URL": scratch_database},
        timeout=60,
    )
    assert wrapped.returncode == 1
    with (
        api_processes(scratch_database, 1, tmp_path) as [url],
        monitoring([url.removeprefix("http://")], tmp_path, alerting=True) as stack,
    ):

        def delivered() -> list[dict[str, object]]:
            if not stack.received.exists():
                return []
            alerts = [json.loads(line) for line in stack.received.read_text().splitlines()]
            return [a for a in alerts if a["alertname"] == "VoucherVerifyFailing"]

        [alert] = wait_for(delivered, "VoucherVerifyFailing at the sink", 60, stack.logs)[:1]
    assert alert["status"] == "firing"
    assert alert["labels"]["severity"] == "critical"  # type: ignore[index]
    assert alert["annotations"]["runbook_url"] == (  # type: ignore[index]
        "docs/operations.md#voucherverifyfailing"
    )
