"""A program's life: who it is for (region, SME limits) as the API sets and shows it; its
phase; nothing new once it has ended, while the vouchers already issued are grandfathered
until their own last day."""

from __future__ import annotations

from datetime import date
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tests.factories import (
    make_enterprise,
    make_pool,
    make_program,
    make_voucher,
    post_provider,
    post_redemption,
    usage_on,
    uscc,
)
from tests.programs.test_programs_api import MEASURE_2
from voucher_service.books import verify_ledger
from voucher_service.db.tables.applications import Application
from voucher_service.db.tables.enterprises import Enterprise
from voucher_service.db.tables.programs import Pool
from voucher_service.db.tables.vouchers import Voucher
from voucher_service.vouchers.service import expire_vouchers

# Today is 2026-06-15 (tests/conftest.py). This program ended five days ago.
ENDED = {"valid_from": date(2025, 6, 1), "valid_to": date(2026, 6, 10)}


def count(session: Session, table: type) -> int:
    return session.scalar(select(func.count()).select_from(table)) or 0


def test_eligibility_is_set_and_shown(client: TestClient) -> None:
    created = client.post(
        "/v1/admin/programs",
        json={
            **MEASURE_2,
            "code": "HS-TOPUP",
            "region_prefix": "420111",
            "sme_max_headcount": 300,
            "sme_max_revenue_yuan": "20000000.00",
        },
    )
    assert created.status_code == 201, created.text
    shown = client.get("/v1/admin/programs/HS-TOPUP").json()
    assert {
        k: shown[k] for k in ("region_prefix", "sme_max_headcount", "sme_max_revenue_yuan")
    } == {
        "region_prefix": "420111",
        "sme_max_headcount": 300,
        "sme_max_revenue_yuan": "20000000.00",
    }
    defaults = client.post("/v1/admin/programs", json=MEASURE_2).json()
    assert (defaults["region_prefix"], defaults["sme_max_revenue_yuan"]) == ("4201", "400000000.00")
    assert defaults["requires_selection"] is False
    for bad in (
        {"region_prefix": "42x1"},
        {"region_prefix": "4201011"},
        {"sme_max_headcount": -1},
        {"sme_max_revenue_yuan": "1e9"},
    ):
        response = client.post("/v1/admin/programs", json={**MEASURE_2, "code": "BAD", **bad})
        assert (response.status_code, response.json()["error"]["code"]) == (422, "invalid_input")


def test_the_region_prefix_decides_the_region_check(client: TestClient, session: Session) -> None:
    program = make_program(session, region_prefix="420111")
    make_pool(session, program)
    hongshan, wuchang = make_enterprise(session, division="420111"), make_enterprise(session)
    session.commit()
    body: dict[str, Any] = {
        "program_code": program.code,
        "year": 2026,
        "requested_yuan": "100.00",
        "planned_use": "fine-tuning",
        "size_class": "small",
        "headcount": 10,
        "revenue_yuan": "100.00",
        "declares_no_related_party": True,
    }
    statuses = [
        client.post(f"/v1/enterprise/{e.uscc}/applications", json=body).json()["status"]
        for e in (hongshan, wuchang)
    ]
    assert statuses == ["submitted", "rejected"]


def test_phases(client: TestClient, session: Session) -> None:
    upcoming = make_program(session, valid_from=date(2027, 1, 1), valid_to=date(2028, 12, 31))
    ended = make_program(session, **ENDED)
    session.commit()
    shown = {
        p["code"]: (p["phase"], [v["in_force"] for v in p["rules"]])
        for p in client.get("/v1/admin/programs").json()["items"]
    }
    assert shown == {upcoming.code: ("upcoming", [False]), ended.code: ("ended", [False])}


def test_nothing_new_once_a_program_has_ended(client: TestClient, session: Session) -> None:
    program = make_program(session, **ENDED)
    make_pool(session, program, year=2025, today=date(2025, 6, 1))
    make_pool(session, program, year=2026, today=date(2026, 1, 5))
    enterprise = make_enterprise(session)
    session.commit()
    before = (count(session, Pool), count(session, Voucher), count(session, Application))
    pool = client.post(
        f"/v1/admin/programs/{program.code}/pools", json={"year": 2027, "total_yuan": "1.00"}
    )
    voucher = client.post(
        "/v1/admin/vouchers",
        json={
            "program_code": program.code,
            "year": 2026,
            "uscc": enterprise.uscc,
            "face_value_yuan": "10.00",
            "valid_from": "2026-06-01",
            "valid_to": "2026-06-10",
        },
    )
    application = client.post(
        f"/v1/enterprise/{enterprise.uscc}/applications",
        json={
            "program_code": program.code,
            "year": 2026,
            "requested_yuan": "10.00",
            "planned_use": "inference",
            "size_class": "micro",
            "headcount": 3,
            "revenue_yuan": "0.00",
            "declares_no_related_party": True,
        },
    )
    for response, what in ((pool, "pools"), (voucher, "vouchers"), (application, "applications")):
        assert (response.status_code, response.json()["error"]["code"]) == (
            409,
            "program_not_valid",
        )
        assert f"ended on 2026-06-10: no new {what}" in response.json()["error"]["message"]
    assert (count(session, Pool), count(session, Voucher), count(session, Application)) == before


def test_vouchers_issued_before_the_end_are_grandfathered(
    client: TestClient, session: Session
) -> None:
    program = make_program(session, **ENDED)
    make_pool(session, program, year=2026, today=date(2026, 1, 5))
    voucher = make_voucher(session, program=program, today=date(2026, 6, 1), face_value_fen=1000_00)
    assert voucher.valid_to == date(2026, 6, 10)  # clipped to the program's last day
    enterprise = session.get(Enterprise, voucher.enterprise_id)
    assert enterprise is not None
    session.commit()
    provider = post_provider(client, uscc(division="420100"))
    # Redeeming still works while the voucher is active (until it expires after the grace).
    post_redemption(client, enterprise.uscc, voucher.code, provider)

    def post(record_id: str, day: str) -> dict[str, Any]:
        response = client.post(
            f"/v1/provider/{provider}/usage-records",
            json=usage_on(record_id, voucher.code, enterprise.uscc, "100.00", day),
        )
        assert response.status_code == 201, response.text
        return response.json()  # type: ignore[no-any-return]

    # Service on the program's last day, reported five days after its end: priced as usual.
    on_time = post("last-day", "2026-06-10")
    assert (on_time["outcome"], on_time["subsidy_yuan"], on_time["rule_version"]) == (
        "subsidised",
        "50.00",
        1,
    )
    # Service after the end earns nothing: the voucher was not valid that day.
    late = post("after-end", "2026-06-12")
    assert (late["outcome"], late["reason"]) == ("refused", "voucher_not_valid_on_date")
    # After the grace period the voucher expires and what is unspent returns to its pool.
    run = expire_vouchers(session, today=date(2026, 7, 11), grace_days=30)
    assert (run.expired, run.released_fen) == (1, 950_00)
    pool = client.get(f"/v1/admin/programs/{program.code}/pools/2026").json()
    assert (pool["consumed_yuan"], pool["released_yuan"]) == ("50.00", "950.00")
    assert verify_ledger(session) == []
