"""Nobody reads or moves what is not theirs; keys rotate, expire and are stored as hashes."""

from __future__ import annotations

from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.factories import NOW, Scene, post_provider, sysadmin
from voucher_service.db.tables.auth import ApiKey, Role


def bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


def test_provider_a_cannot_see_or_draw_on_provider_bs_redemptions(scene: Scene) -> None:
    c = scene.client
    rival = post_provider(c)
    rival_key = bearer(c.key(Role.PROVIDER, rival))  # type: ignore[attr-defined]
    assert scene.post("mine-1").status_code == 201
    # Reading the other provider's redemptions or records: not found, as if it did not exist.
    for path in ("redemptions", "usage-records", "usage-records/mine-1", "usage-records.csv"):
        response = c.get(f"/v1/provider/{scene.provider}/{path}", headers=rival_key)
        assert (response.status_code, response.json()["error"]["code"]) == (
            404,
            "provider_not_found",
        )
    assert c.get(f"/v1/provider/{rival}/usage-records/mine-1", headers=rival_key).status_code == 404
    # Posting against a voucher redeemed only with the other provider draws nothing.
    refused = c.post(
        f"/v1/provider/{rival}/usage-records", json=scene.record("theirs-1"), headers=rival_key
    )
    assert (refused.json()["outcome"], refused.json()["reason"]) == ("refused", "unknown_voucher")
    assert scene.voucher_state()["balance_yuan"] == "950.00"
    # Nor may it post on the first provider's path.
    other_path = c.post(
        f"/v1/provider/{scene.provider}/usage-records", json=scene.record("x"), headers=rival_key
    )
    assert other_path.status_code == 404


def test_enterprise_a_cannot_read_bs_vouchers(scene: Scene, session: Session) -> None:
    from tests.factories import make_enterprise

    c = scene.client
    other = make_enterprise(session)
    session.commit()
    other_key = bearer(c.key(Role.ENTERPRISE, other.uscc))  # type: ignore[attr-defined]
    for path in (
        "vouchers",
        "status?program=" + scene.program,
        "usage-records",
        "redemptions",
        "keys",
    ):
        response = c.get(f"/v1/enterprise/{scene.enterprise}/{path}", headers=other_key)
        assert (response.status_code, response.json()["error"]["code"]) == (
            404,
            "enterprise_not_found",
        )
    # Redeeming someone else's voucher on its own path: the voucher is not found.
    steal = c.post(
        f"/v1/enterprise/{other.uscc}/redemptions",
        json={"voucher_code": scene.voucher, "provider_uscc": scene.provider},
        headers=other_key,
    )
    assert (steal.status_code, steal.json()["error"]["code"]) == (404, "voucher_not_found")
    # And it may not use the bureau's API.
    assert c.get("/v1/admin/vouchers", headers=other_key).status_code == 403


def test_key_rotation_expiry_and_revocation(scene: Scene, session: Session) -> None:
    c = scene.client
    path = f"/v1/provider/{scene.provider}"
    old = c.key(Role.PROVIDER, scene.provider)  # type: ignore[attr-defined]
    new = c.post(f"{path}/keys", json={"name": "rotated"}, headers=bearer(old))
    assert new.status_code == 201 and new.json()["key"].startswith("vsk_")
    listed = c.get(f"{path}/keys", headers=bearer(new.json()["key"])).json()["items"]
    assert [k["name"] for k in listed] == ["test", "rotated"] and all(
        "key" not in k for k in listed
    )
    old_prefix = old.split("_")[1]
    assert (
        c.post(f"{path}/keys/{old_prefix}/revoke", headers=bearer(new.json()["key"])).status_code
        == 200
    )
    refused = c.get(f"{path}/redemptions", headers=bearer(old))
    assert (refused.status_code, refused.headers["www-authenticate"]) == (401, "Bearer")
    assert "revoked" in refused.json()["error"]["message"]
    assert c.get(f"{path}/redemptions", headers=bearer(new.json()["key"])).status_code == 200
    # Only a hash is stored.
    stored = session.scalars(select(ApiKey.secret_hash)).all()
    assert new.json()["key"] not in stored and all(len(h) == 64 for h in stored)
    # A key that expires.
    soon = c.post(
        f"{path}/keys",
        json={"name": "short", "expires_at": (NOW + timedelta(hours=1)).isoformat()},
        headers=bearer(new.json()["key"]),
    ).json()["key"]
    assert c.get(f"{path}/redemptions", headers=bearer(soon)).status_code == 200
    c.app.state.clock = lambda: NOW + timedelta(hours=2)  # type: ignore[attr-defined]
    expired = c.get(f"{path}/redemptions", headers=bearer(soon))
    assert expired.status_code == 401 and "expired" in expired.json()["error"]["message"]


def test_bureau_creates_keys_for_every_role(client: TestClient, scene: Scene) -> None:
    it = sysadmin(client)
    made = client.post(
        "/v1/admin/keys",
        json={"role": "bureau", "duties": ["review"], "holder": "张三", "name": "desk"},
        headers=it,
    )
    assert made.status_code == 201 and made.json()["holder"] == "张三"
    assert made.json()["duties"] == ["review"]
    reviewer = bearer(made.json()["key"])
    assert client.get("/v1/admin/vouchers", headers=reviewer).status_code == 200
    assert client.post("/v1/admin/programs", json={}, headers=reviewer).status_code == 403
    for_provider = client.post(
        "/v1/admin/keys",
        json={"role": "provider", "uscc": scene.provider, "name": "ops"},
        headers=it,
    )
    assert for_provider.status_code == 201
    assert (
        client.get(
            f"/v1/provider/{scene.provider}/redemptions", headers=bearer(for_provider.json()["key"])
        ).status_code
        == 200
    )
    missing = client.post("/v1/admin/keys", json={"role": "enterprise", "name": "x"}, headers=it)
    assert missing.status_code == 422


def test_keys_for_unknown_holders_are_not_found(client: TestClient) -> None:
    from tests.factories import uscc

    for role, code in (("enterprise", "enterprise_not_found"), ("provider", "provider_not_found")):
        response = client.post(
            "/v1/admin/keys",
            json={"role": role, "uscc": uscc(), "name": "x"},
            headers=sysadmin(client),
        )
        assert (response.status_code, response.json()["error"]["code"]) == (404, code)
        assert "with credit code" in response.json()["error"]["message"]
