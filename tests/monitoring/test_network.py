"""Provider telemetry, the price index and its flags, quality scores, health probes."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.factories import Scene, post_provider, telemetry_snapshot
from tests.monitoring.test_metrics import sample, scrape
from voucher_service.db.tables.audit import AuditEntry
from voucher_service.db.tables.monitoring import ProbeResult
from voucher_service.db.tables.providers import Provider
from voucher_service.monitoring.network import probe_providers, quality


def test_telemetry_price_index_and_flags(scene: Scene) -> None:
    c = scene.client
    others = [post_provider(c) for _ in range(2)]
    for uscc, price in zip([scene.provider, *others], ["10.00", "12.00", "14.00"], strict=True):
        response = c.post(
            f"/v1/provider/{uscc}/telemetry", json={"snapshots": [telemetry_snapshot(price)]}
        )
        assert response.json() == {"stored": 1}
    bad = c.post(
        f"/v1/provider/{scene.provider}/telemetry",
        json={"snapshots": [telemetry_snapshot("1.00", available=600)]},
    )
    assert (bad.status_code, bad.json()["error"]["code"]) == (422, "invalid_capacity")
    assert c.get("/v1/admin/network/price-index").json() == {"Ascend 910B": "12.00"}
    # 8 card-hours at 12.50 is fine; 1 at 18.01 is above 1.5 x 12.00: flagged, not refused.
    scene.post("fair")
    pricey = scene.post("pricey", "18.01")
    assert pricey.json()["outcome"] == "subsidised"
    flagged = c.get("/v1/admin/network/flagged-records").json()
    assert [(f["record_id"], f["unit_price_yuan"], f["index_yuan"]) for f in flagged] == [
        ("pricey", "18.01", "12.00")
    ]
    view = {p["uscc"]: p for p in c.get("/v1/admin/network").json()}
    assert view[scene.provider]["capacity"][0]["available"] == 64
    text = scrape(scene)
    assert (
        sample(
            text,
            "voucher_provider_accelerators",
            provider=scene.provider,
            model="Ascend 910B",
            state="available",
        )
        == 64
    )
    assert sample(text, "voucher_price_index_yuan", model="Ascend 910B") == 12.0
    assert (
        sample(text, "voucher_provider_quality_score", provider=scene.provider, part="freshness")
        == 1.0
    )


def test_a_provider_sees_its_own_part_of_the_network(scene: Scene, session: Session) -> None:
    c = scene.client
    rival = post_provider(c)
    c.post(f"/v1/provider/{rival}/telemetry", json={"snapshots": [telemetry_snapshot("14.00")]})
    mine = c.post(
        f"/v1/provider/{scene.provider}/telemetry",
        json={"snapshots": [telemetry_snapshot("10.00")]},
    )
    assert mine.json() == {"stored": 1}
    scene.post("cheap", "12.00")
    scene.post("dear", "18.01")  # above 1.5 x the index of 12.00: flagged
    provider = session.query(Provider).filter_by(uscc=scene.provider).one()
    session.add_all(
        ProbeResult(
            provider_id=provider.id,
            probed_at=datetime(2026, 6, 15, 3, m, tzinfo=UTC),
            ok=m != 30,
            latency_ms=120 if m != 30 else None,
            status_code=200 if m != 30 else 503,
        )
        for m in (0, 30)
    )
    session.commit()
    view = c.get(f"/v1/provider/{scene.provider}/network").json()
    assert view["uscc"] == scene.provider
    assert view["quality"] == quality(session, provider, now=datetime(2026, 6, 15, 4, tzinfo=UTC))
    assert [(s["resource_model"], s["list_price_yuan"]) for s in view["capacity"]] == [
        ("Ascend 910B", "10.00")
    ]
    assert [(p["ok"], p["status_code"]) for p in view["probes"]] == [(False, 503), (True, 200)]
    assert view["price_index"] == {"Ascend 910B": "12.00"}
    assert [f["record_id"] for f in view["flagged_records"]] == ["dear"]
    # its part of the bureau's views, no more
    everyone = {p["uscc"]: p for p in c.get("/v1/admin/network").json()}
    assert everyone[scene.provider]["quality"] == view["quality"]
    assert [
        f
        for f in c.get("/v1/admin/network/flagged-records").json()
        if f["provider"] == scene.provider
    ] == view["flagged_records"]
    assert c.get(f"/v1/provider/{rival}/network").json()["flagged_records"] == []


def test_telemetry_posts_are_audited(scene: Scene, session: Session) -> None:
    c = scene.client
    c.post(
        f"/v1/provider/{scene.provider}/telemetry",
        json={"snapshots": [telemetry_snapshot("10.00")]},
    )
    entry = session.scalars(select(AuditEntry).where(AuditEntry.action == "telemetry.post")).one()
    assert (entry.target_id, entry.actor) == (scene.provider, f"provider:{scene.provider}")
    assert json.loads(entry.after) == {"snapshots": 1, "models": ["Ascend 910B"]}


def test_quality_score_parts(scene: Scene, session: Session) -> None:
    scene.post("q-1")
    scene.post("q-2", uscc=post_provider(scene.client))  # a refused record (uscc mismatch)
    provider = session.query(Provider).filter_by(uscc=scene.provider).one()
    parts = quality(session, provider, now=datetime(2026, 6, 15, 4, tzinfo=UTC))
    # No health endpoint: availability and latency count as full; no telemetry: freshness 0;
    # one of two records refused: records 0.5.
    assert parts == {
        "score": 0.7,
        "availability": 1.0,
        "latency": 1.0,
        "freshness": 0.0,
        "records": 0.5,
    }


class _Health(BaseHTTPRequestHandler):
    def do_GET(self) -> None:  # noqa: N802
        if self.path == "/slow":
            time.sleep(3)
        status = 500 if self.path == "/broken" else 200
        self.send_response(status)
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, *_: object) -> None:
        pass


@pytest.fixture
def health_server() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Health)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


def test_probes_of_healthy_broken_slow_and_down_providers(
    scene: Scene, session: Session, health_server: str
) -> None:
    c = scene.client
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        closed = s.getsockname()[1]  # nothing listens there once the socket closes
    endpoints = {
        "healthy": f"{health_server}/ok",
        "broken": f"{health_server}/broken",
        "slow": f"{health_server}/slow",
        "down": f"http://127.0.0.1:{closed}/ok",
    }
    ids = {}
    for name, url in endpoints.items():
        uscc = scene.provider if name == "healthy" else post_provider(c)
        assert (
            c.post(f"/v1/admin/providers/{uscc}/health-endpoint", json={"url": url}).status_code
            == 200
        )
        ids[session.query(Provider).filter_by(uscc=uscc).one().id] = name
    started = time.perf_counter()
    probes = probe_providers(session, now=datetime(2026, 6, 15, 4, tzinfo=UTC), timeout_s=0.5)
    took = time.perf_counter() - started
    results = {ids[p.provider_id]: p for p in probes}
    assert results["healthy"].ok and results["healthy"].status_code == 200
    assert not results["broken"].ok and results["broken"].status_code == 500
    assert not results["slow"].ok and results["slow"].error == "timeout"
    assert not results["down"].ok and "ConnectError" in (results["down"].error or "")
    assert took < 2.0, f"a hanging provider held the round up for {took:.1f}s"
    healthy = session.query(Provider).filter_by(uscc=scene.provider).one()
    assert (
        quality(session, healthy, now=datetime(2026, 6, 15, 4, tzinfo=UTC))["availability"] == 1.0
    )
    bad = c.post(f"/v1/admin/providers/{scene.provider}/health-endpoint", json={"url": "ftp://x"})
    assert bad.status_code == 422
