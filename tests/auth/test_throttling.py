"""Repeated failed authentications from one source are refused for a while, and counted."""

from __future__ import annotations

from datetime import timedelta

from prometheus_client import REGISTRY

from tests.conftest import NOW
from tests.usage.conftest import Scene
from voucher_service.auth.service import FAILURE_LIMIT, FAILURE_WINDOW
from voucher_service.db.tables.auth import Role


def failures(reason: str) -> float:
    return REGISTRY.get_sample_value("voucher_auth_failures_total", {"reason": reason}) or 0.0


def test_guessing_a_key_is_refused_after_the_limit(scene: Scene) -> None:
    c = scene.client
    path = f"/v1/provider/{scene.provider}/redemptions"
    real = c.key(Role.PROVIDER, scene.provider)  # type: ignore[attr-defined]
    prefix = real.split("_")[1]
    wrong = {"Authorization": f"Bearer vsk_{prefix}_{'x' * 43}"}
    unknown_before = failures("unknown")
    for _ in range(FAILURE_LIMIT):
        assert c.get(path, headers=wrong).status_code == 401
    assert failures("unknown") == unknown_before + FAILURE_LIMIT
    # The source (this prefix from this address) is now refused, even with the right key.
    refused = c.get(path, headers={"Authorization": f"Bearer {real}"})
    assert refused.status_code == 429 and refused.json()["error"]["code"] == "too_many_failures"
    assert 0 < int(refused.headers["Retry-After"]) <= FAILURE_WINDOW.total_seconds() + 1
    assert failures("throttled") >= 1
    # Another key from the same address is not affected.
    other = c.key(Role.ENTERPRISE, scene.enterprise)  # type: ignore[attr-defined]
    ok = c.get(
        f"/v1/enterprise/{scene.enterprise}/vouchers", headers={"Authorization": f"Bearer {other}"}
    )
    assert ok.status_code == 200
    # Once the window has passed, the right key works again.
    c.app.state.clock = lambda: NOW + FAILURE_WINDOW + timedelta(seconds=1)  # type: ignore[attr-defined]
    assert c.get(path, headers={"Authorization": f"Bearer {real}"}).status_code == 200


def test_missing_and_malformed_keys_are_counted(scene: Scene) -> None:
    missing, malformed = failures("missing"), failures("malformed")
    assert scene.client.get("/v1/admin/vouchers", headers={"Authorization": ""}).status_code == 401
    assert (
        scene.client.get(
            "/v1/admin/vouchers", headers={"Authorization": "Bearer nonsense"}
        ).status_code
        == 401
    )
    assert (failures("missing"), failures("malformed")) == (missing + 1, malformed + 1)
