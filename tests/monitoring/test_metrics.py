"""/metrics: the program's money read from the ledger, service metrics, and promtool's word."""

from __future__ import annotations

import re
import subprocess

from tests.factories import Scene
from tests.monitoring.tools import require


def scrape(scene: Scene) -> str:
    response = scene.client.get("/metrics", headers={"Authorization": ""})
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/plain")
    return response.text


def sample(text: str, name: str, **labels: str) -> float | None:
    """The value of one series in an exposition, whatever the order of its labels."""
    for line in text.splitlines():
        series, _, value = line.rpartition(" ")
        metric, _, rest = series.partition("{")
        found = dict(re.findall(r'(\w+)="([^"]*)"', rest))
        if metric == name and found == labels:
            return float(value)
    return None


def test_ledger_figures_are_exposed(scene: Scene) -> None:
    scene.post("m-1")  # 100.00 fee, 50.00 subsidy
    scene.post(
        "m-2", uscc=scene.enterprise[:2] + scene.enterprise[2:]
    )  # a replay-free second record
    text = scrape(scene)
    labels = {"program": scene.program, "year": "2026"}
    assert sample(text, "voucher_pool_total_yuan", **labels) == 1_000_000.0
    assert sample(text, "voucher_pool_outstanding_yuan", **labels) == 900.0
    assert sample(text, "voucher_pool_consumed_yuan", **labels) == 100.0
    assert sample(text, "voucher_pool_available_yuan", **labels) == 999_000.0
    assert sample(text, "voucher_vouchers", program=scene.program, status="active") == 1
    assert (
        sample(text, "voucher_usage_records_total", provider=scene.provider, outcome="subsidised")
        == 2
    )
    assert sample(text, "voucher_subsidies_yuan", provider=scene.provider) == 100.0
    assert sample(text, "voucher_district_subsidies_yuan", district="420106") == 100.0
    assert sample(text, "voucher_enterprises_near_cap", program=scene.program, share="0.8") == 0
    assert sample(text, "voucher_metrics_scrape_seconds") is not None
    # Service metrics: the requests just made, by route template (never by id).
    assert 'route="/v1/provider/{uscc}/usage-records"' in text
    assert "voucher_ingest_seconds_count" in text
    assert sample(text, "voucher_db_pool_connections", state="size") is not None


def test_promtool_accepts_the_exposition(scene: Scene) -> None:
    promtool = require("promtool")
    scene.post("p-1")
    checked = subprocess.run(
        [promtool, "check", "metrics"],
        input=scrape(scene),
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert checked.returncode == 0, checked.stdout + checked.stderr
