"""Programs, rule versions and pools through the bureau API."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tests.factories import confirmed
from voucher_service.db.tables.ledger import LedgerPosting
from voucher_service.db.tables.programs import Pool

MEASURE_2 = {
    "code": "WH-AI-M2",
    "name": "武汉市算力服务券",
    "valid_from": "2025-03-19",
    "valid_to": "2027-03-18",
    "rules": {
        "effective_from": "2025-03-19",
        "rate_bp": 5000,
        "cap_yuan": "200000.00",
        "cap_scope": "lifetime",
        "window_months": 36,
        "pool_minimum_yuan": "10000000.00",
    },
}


def create(client: TestClient, **changes: object) -> dict:  # type: ignore[type-arg]
    response = client.post("/v1/admin/programs", json={**MEASURE_2, **changes})
    assert response.status_code == 201, response.text
    return response.json()


def test_define_measure_2_and_read_it_back(client: TestClient) -> None:
    created = create(client)
    assert created["rules"] == [
        {
            **MEASURE_2["rules"],  # type: ignore[dict-item]
            "version": 1,
            "effective_to": "2027-03-18",
            "in_force": True,
            "pool_maximum_yuan": None,  # no maximum: 不低于1000万元 only
            "year_cap_yuan": None,  # no cap per year beside the lifetime cap
        }
    ]
    assert created["phase"] == "in_force"
    assert (created["tops_up"], created["topped_up_by"]) == (None, [])
    assert client.get("/v1/admin/programs/WH-AI-M2").json() == created
    listed = client.get("/v1/admin/programs").json()
    assert [p["code"] for p in listed["items"]] == ["WH-AI-M2"] and listed["next_cursor"] is None


def test_duplicate_program_is_a_conflict(client: TestClient) -> None:
    create(client)
    response = client.post("/v1/admin/programs", json=MEASURE_2)
    assert (response.status_code, response.json()["error"]["code"]) == (409, "already_exists")


def test_measure_3_is_the_same_engine_with_other_numbers(client: TestClient) -> None:
    m3 = create(
        client,
        code="WH-AI-M3",
        rules={
            **MEASURE_2["rules"],
            "cap_yuan": "5000000.00",  # type: ignore[dict-item]
            "cap_scope": "lifetime",
            "pool_minimum_yuan": "0",
        },
    )
    assert m3["rules"][0]["cap_yuan"] == "5000000.00"


def test_pool_below_the_minimum_is_refused_and_writes_nothing(
    client: TestClient, session: Session
) -> None:
    create(client)
    response = client.post(
        "/v1/admin/programs/WH-AI-M2/pools", json={"year": 2026, "total_yuan": "9999999.99"}
    )
    assert (response.status_code, response.json()["error"]["code"]) == (409, "pool_below_minimum")
    assert "below the program minimum of 10000000.00 yuan" in response.json()["error"]["message"]
    assert session.scalar(select(func.count()).select_from(Pool)) == 0
    assert session.scalar(select(func.count()).select_from(LedgerPosting)) == 0


def test_pool_is_funded_once_per_year(client: TestClient) -> None:
    create(client)
    proposed = client.post(
        "/v1/admin/programs/WH-AI-M2/pools", json={"year": 2026, "total_yuan": "10000000.00"}
    )
    assert (proposed.json()["kind"], proposed.json()["target"]) == ("pool.create", "WH-AI-M2/2026")
    assert client.get("/v1/admin/programs/WH-AI-M2/pools/2026").status_code == 404
    confirmed(client, proposed)
    pool = client.get("/v1/admin/programs/WH-AI-M2/pools/2026")
    assert pool.json() | {} == {
        "program_code": "WH-AI-M2",
        "year": 2026,
        "total_yuan": "10000000.00",
        "available_yuan": "10000000.00",
        "outstanding_yuan": "0.00",
        "consumed_yuan": "0.00",
        "issued_yuan": "0.00",
        "released_yuan": "0.00",
        "vouchers_active": 0,
        "vouchers_closed": 0,
    }
    again = client.post(
        "/v1/admin/programs/WH-AI-M2/pools", json={"year": 2026, "total_yuan": "20000000.00"}
    )
    assert (again.status_code, again.json()["error"]["code"]) == (409, "already_exists")
    outside = client.post(
        "/v1/admin/programs/WH-AI-M2/pools", json={"year": 2028, "total_yuan": "10000000.00"}
    )
    assert (outside.status_code, outside.json()["error"]["code"]) == (409, "program_not_valid")
    assert [p["year"] for p in client.get("/v1/admin/programs/WH-AI-M2/pools").json()["items"]] == [
        2026
    ]


def test_rule_versions_only_take_effect_from_today_on(client: TestClient) -> None:
    create(client)
    rules = {**MEASURE_2["rules"], "rate_bp": 4000}  # type: ignore[dict-item]
    past = client.post(
        "/v1/admin/programs/WH-AI-M2/rules", json={**rules, "effective_from": "2026-01-01"}
    )
    assert (past.status_code, past.json()["error"]["code"]) == (422, "invalid_rules")
    future = client.post(
        "/v1/admin/programs/WH-AI-M2/rules", json={**rules, "effective_from": "2027-01-01"}
    )
    assert "rate_bp 5000 -> 4000" in future.json()["summary"], future.text
    confirmed(client, future)
    versions = client.get("/v1/admin/programs/WH-AI-M2/rules").json()["items"]
    assert [(v["version"], v["rate_bp"]) for v in versions] == [(1, 5000), (2, 4000)]
    # The program shows each version with the days it prices: version 1 until the day
    # before version 2, which lasts as long as the program; version 1 is in force today.
    shown = client.get("/v1/admin/programs/WH-AI-M2").json()["rules"]
    assert [(v["effective_from"], v["effective_to"], v["in_force"]) for v in shown] == [
        ("2025-03-19", "2026-12-31", True),
        ("2027-01-01", "2027-03-18", False),
    ]


def test_nonsense_rules_are_refused(client: TestClient) -> None:
    for bad in (
        {"rate_bp": 10001},
        {"rate_bp": 0},
        {"cap_yuan": "-1.00"},
        {"window_months": 0},
        {"cap_scope": "forever"},
    ):
        response = client.post(
            "/v1/admin/programs", json={**MEASURE_2, "rules": {**MEASURE_2["rules"], **bad}}
        )  # type: ignore[dict-item]
        assert response.status_code == 422, bad
        assert response.json()["error"]["code"] == "invalid_input"
