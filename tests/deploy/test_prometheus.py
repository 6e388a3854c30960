"""The Prometheus alert rules and Alertmanager routing in deploy/ are valid (promtool,
amtool); every alert has a promtool unit test (alerts_test.yml) that passes, and a runbook in
docs/operations.md. (The scrape configuration is checked as the compose stack mounts it, in
test_compose.py; test_alert_delivery.py delivers an alert through the real processes.)"""

from __future__ import annotations

import re
import subprocess
from functools import cache
from pathlib import Path

import yaml

from tests.deploy.files import DEPLOY, ROOT
from tests.monitoring.tools import require

ALERTS = DEPLOY / "prometheus" / "alerts.yml"
UNIT_TESTS = Path(__file__).with_name("alerts_test.yml")


@cache
def alerts() -> list[dict[str, object]]:
    groups = yaml.safe_load(ALERTS.read_text())["groups"]
    return [rule for group in groups for rule in group["rules"] if "alert" in rule]


def run(*command: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(command, capture_output=True, text=True, timeout=60)


def test_alert_rules_are_valid() -> None:
    checked = run(require("promtool"), "check", "rules", str(ALERTS))
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert f"SUCCESS: {len(alerts())} rules found" in checked.stdout


def test_every_alert_passes_its_unit_tests() -> None:
    tested = {
        case["alertname"]
        for test in yaml.safe_load(UNIT_TESTS.read_text())["tests"]
        for case in test["alert_rule_test"]
        if case["exp_alerts"]
    }
    assert {str(rule["alert"]) for rule in alerts()} - tested == set()
    checked = run(require("promtool"), "test", "rules", str(UNIT_TESTS))
    assert checked.returncode == 0, checked.stdout + checked.stderr


def test_every_alert_links_its_runbook() -> None:
    headings = re.findall(r"^#+ (.+)$", (ROOT / "docs" / "operations.md").read_text(), re.M)
    anchors = {re.sub(r"[^a-z0-9 -]", "", h.lower()).replace(" ", "-") for h in headings}
    for rule in alerts():
        runbook = rule["annotations"]["runbook_url"]  # type: ignore[index]
        assert runbook == f"docs/operations.md#{str(rule['alert']).lower()}", rule["alert"]
        assert runbook.partition("#")[2] in anchors, f"{rule['alert']}: no runbook heading"


def test_alertmanager_routing_is_valid() -> None:
    checked = run(
        require("amtool"), "check-config", str(DEPLOY / "prometheus" / "alertmanager.yml")
    )
    assert checked.returncode == 0, checked.stdout + checked.stderr
