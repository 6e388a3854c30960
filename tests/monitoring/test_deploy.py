"""The Prometheus configuration and alert rules in deploy/ are valid, per promtool."""

from __future__ import annotations

import subprocess
from pathlib import Path

from tests.monitoring.tools import require

DEPLOY = Path(__file__).resolve().parents[2] / "deploy" / "prometheus"


def test_alert_rules_are_valid() -> None:
    promtool = require("promtool")
    checked = subprocess.run(
        [promtool, "check", "rules", str(DEPLOY / "alerts.yml")],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "SUCCESS: 10 rules found" in checked.stdout


def test_scrape_config_is_valid() -> None:
    promtool = require("promtool")
    checked = subprocess.run(
        [promtool, "check", "config", str(DEPLOY / "prometheus.yml")],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert checked.returncode == 0, checked.stdout + checked.stderr
