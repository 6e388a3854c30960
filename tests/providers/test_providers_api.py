"""Providers through the bureau API: registration with a price list, suspension and
reinstatement with their reasons, listing by status."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from tests.factories import make_provider, uscc
from tests.test_api_contract import assert_error

ASCEND = {
    "resource_kind": "accelerator",
    "resource_model": "Ascend 910B",
    "unit": "card_hour",
    "list_price_yuan": "12.50",
}


def register(client: TestClient, code: str, *offerings: dict[str, Any]) -> Any:
    return client.post(
        "/v1/admin/providers",
        json={"uscc": code, "name": "武汉智算中心", "offerings": list(offerings)},
    )


def test_registration_with_a_price_list(client: TestClient) -> None:
    code = uscc(division="420100")
    created = register(client, code, ASCEND)
    assert created.status_code == 201, created.text
    body = created.json()
    assert (body["uscc"], body["status"], body["status_history"]) == (code, "active", [])
    assert body["offerings"] == [ASCEND]
    assert client.get(f"/v1/admin/providers/{code}").json() == body
    assert_error(register(client, code), 409, "already_exists")
    twice = register(client, uscc(division="420100"), ASCEND, {**ASCEND, "list_price_yuan": "9"})
    assert "the same resource and unit twice" in assert_error(twice, 422, "invalid_input")
    assert_error(client.get(f"/v1/admin/providers/{uscc()}"), 404, "provider_not_found")


def test_suspend_and_reinstate_with_reasons(client: TestClient, session: Session) -> None:
    provider = make_provider(session)
    session.commit()
    path = f"/v1/admin/providers/{provider.uscc}"
    assert_error(client.post(f"{path}/suspend", json={"reason": "  "}), 422, "reason_required")
    suspended = client.post(f"{path}/suspend", json={"reason": "metering audit"}).json()
    assert (suspended["status"], suspended["status_reason"]) == ("suspended", "metering audit")
    assert_error(client.post(f"{path}/suspend", json={"reason": "again"}), 409, "invalid_state")
    reinstated = client.post(f"{path}/reinstate", json={"reason": "audit passed"}).json()
    assert [(h["status"], h["reason"]) for h in reinstated["status_history"]] == [
        ("suspended", "metering audit"),
        ("active", "audit passed"),
    ]


def test_listing_by_status(client: TestClient, session: Session) -> None:
    running, halted = make_provider(session), make_provider(session, offerings=())
    session.commit()
    client.post(f"/v1/admin/providers/{halted.uscc}/suspend", json={"reason": "audit"})
    listed = client.get("/v1/admin/providers", params={"status": "suspended"}).json()["items"]
    assert [(p["uscc"], p["offerings"]) for p in listed] == [(halted.uscc, [])]
    everyone = client.get("/v1/admin/providers").json()["items"]
    assert {p["uscc"]: len(p["offerings"]) for p in everyone} == {running.uscc: 1, halted.uscc: 0}
    assert_error(client.get("/v1/admin/providers", params={"status": "lost"}), 422, "invalid_input")
