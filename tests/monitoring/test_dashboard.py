"""The Grafana dashboards only query metrics the service really exposes."""

from __future__ import annotations

import json
import re
from pathlib import Path

from tests.factories import Scene
from tests.monitoring.test_metrics import scrape

DASHBOARD = Path(__file__).resolve().parents[2] / "deploy" / "grafana" / "voucher-bureau.json"
ALERTS = DASHBOARD.parents[1] / "prometheus" / "alerts.yml"


def exposed_names(scene: Scene) -> set[str]:
    scene.post("d-1")
    scene.client.post(
        f"/v1/provider/{scene.provider}/telemetry",
        json={
            "snapshots": [
                {
                    "observed_at": "2026-06-15T11:00:00+08:00",
                    "resource_model": "Ascend 910B",
                    "total": 8,
                    "available": 2,
                    "utilisation_percent": 75,
                    "queue_wait_seconds": 0,
                    "list_price_yuan": "12.50",
                }
            ]
        },
    )
    names = set()
    for line in scrape(scene).splitlines():
        if line.startswith("# TYPE "):
            names.add(line.split()[2])
    return names


def queried(text: str) -> set[str]:
    names = set(re.findall(r"\b(voucher_[a-z_]+)", text))
    return {re.sub(r"_(bucket|count|sum)$", "", n) for n in names}


def test_dashboard_and_alerts_query_real_metrics(scene: Scene) -> None:
    dashboard = json.loads(DASHBOARD.read_text())
    assert len(dashboard["panels"]) >= 12
    exposed = exposed_names(scene)
    exprs = " ".join(
        t["expr"]
        for path in DASHBOARD.parent.glob("*.json")
        for p in json.loads(path.read_text())["panels"]
        for t in p["targets"]
    )
    # Counters are exposed as NAME (TYPE line) with samples NAME_total.
    exposed |= {f"{n}_total" for n in exposed}
    assert queried(exprs) - exposed == set()
    assert queried(ALERTS.read_text()) - exposed == set()
