"""The Prometheus alert rules in deploy/ are valid, per promtool. (The scrape configuration is
checked as the compose stack mounts it, in test_compose.py.)"""

from __future__ import annotations

import subprocess

from tests.deploy.files import DEPLOY
from tests.monitoring.tools import require


def test_alert_rules_are_valid() -> None:
    promtool = require("promtool")
    checked = subprocess.run(
        [promtool, "check", "rules", str(DEPLOY / "prometheus" / "alerts.yml")],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "SUCCESS: 10 rules found" in checked.stdout
