"""Declaring a district program a top-up of the city's measure 2: the declaration, what it
shows, and every stacking rule refused with nothing written."""

from __future__ import annotations

from datetime import date
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tests.factories import (
    auditor,
    confirmed,
    make_enterprise,
    make_pool,
    make_program,
    make_voucher,
)
from voucher_service.db.tables.programs import Program, TopUp


def count(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(TopUp)) or 0


def declare(client: TestClient, code: str, base: str, order: int = 1, ceiling: int = 7000) -> Any:
    """Propose the declaration and, when it was not refused, confirm it as a second program
    administrator: the program as it is then, or the refusal."""
    proposed = client.put(
        f"/v1/admin/programs/{code}/top-up",
        json={"base_program_code": base, "stack_order": order, "ceiling_bp": ceiling},
    )
    if proposed.status_code != 202:
        return proposed
    confirmed(client, proposed)
    return client.get(f"/v1/admin/programs/{code}")


def withdraw(client: TestClient, code: str) -> Any:
    """Propose withdrawing the declaration and confirm it, as ``declare`` does."""
    proposed = client.delete(f"/v1/admin/programs/{code}/top-up")
    if proposed.status_code != 202:
        return proposed
    confirmed(client, proposed)
    return client.get(f"/v1/admin/programs/{code}")


def district(session: Session, **changes: Any) -> Program:
    numbers: dict[str, Any] = {
        "valid_from": date(2026, 1, 1),
        "valid_to": date(2026, 12, 31),
        "rate_bp": 2000,
        "cap_fen": 50_000_00,
        "region_prefix": "420111",
        **changes,
    }
    return make_program(session, **numbers)


def test_declare_a_district_top_up_and_read_it(client: TestClient, session: Session) -> None:
    city, hongshan, sector = make_program(session), district(session), district(session)
    session.commit()
    response = declare(client, hongshan.code, city.code)
    assert response.status_code == 200, response.text
    assert response.json()["tops_up"] == {
        "program_code": city.code,
        "stack_order": 1,
        "ceiling_bp": 7000,
    }
    assert declare(client, sector.code, city.code, order=2, ceiling=8000).status_code == 200
    base = client.get(f"/v1/admin/programs/{city.code}").json()
    assert (
        base["tops_up"],
        [(p["program_code"], p["stack_order"]) for p in base["topped_up_by"]],
    ) == (
        None,
        [(hongshan.code, 1), (sector.code, 2)],
    )
    # Changed before its first voucher: fine; then its vouchers come from its own pool.
    assert (
        declare(client, hongshan.code, city.code, ceiling=7500).json()["tops_up"]["ceiling_bp"]
        == 7500
    )
    make_pool(session, hongshan, total_fen=2_000_000_00)
    voucher = make_voucher(
        session, program=hongshan, enterprise=make_enterprise(session, division="420111")
    )
    session.commit()
    assert voucher.program_id == hongshan.id
    frozen = declare(client, hongshan.code, city.code, ceiling=9000)
    assert (frozen.status_code, frozen.json()["error"]["code"]) == (409, "top_up_refused")
    assert "has issued vouchers" in frozen.json()["error"]["message"]
    refused = withdraw(client, hongshan.code)
    assert (refused.status_code, refused.json()["error"]["code"]) == (409, "top_up_refused")
    assert withdraw(client, sector.code).json()["tops_up"] is None
    entries = client.get(
        "/v1/admin/audit", params={"action": "program.top_up"}, headers=auditor(client)
    ).json()["items"]
    assert [e["after"]["ceiling_bp"] for e in entries] == [7000, 8000, 7500]


def test_stacking_rules_are_refused_with_nothing_written(
    client: TestClient, session: Session
) -> None:
    city, hongshan, other = make_program(session), district(session), district(session)
    long_lived = district(session, valid_to=date(2028, 12, 31))
    session.commit()
    assert declare(client, hongshan.code, city.code).status_code == 200
    before = count(session)
    for code, base, order, ceiling, fragment in (
        (other.code, other.code, 2, 7000, "cannot top up itself"),
        (other.code, hongshan.code, 1, 7000, "is itself a top-up"),
        (city.code, other.code, 1, 7000, "is topped up by other programs"),
        (other.code, city.code, 1, 7000, "already has order 1"),
        (long_lived.code, city.code, 2, 7000, "within its base's validity"),
        (other.code, city.code, 2, 4999, "below"),
    ):
        response = declare(client, code, base, order, ceiling)
        assert (response.status_code, response.json()["error"]["code"]) == (
            409,
            "top_up_refused",
        ), fragment
        assert fragment in response.json()["error"]["message"]
    for bad in ({"ceiling_bp": 10_001}, {"stack_order": 0}, {"base_program_code": None}):
        body = {"base_program_code": city.code, "stack_order": 2, "ceiling_bp": 7000, **bad}
        response = client.put(f"/v1/admin/programs/{other.code}/top-up", json=body)
        assert (response.status_code, response.json()["error"]["code"]) == (422, "invalid_input")
    unknown = declare(client, other.code, "NOPE")
    assert (unknown.status_code, unknown.json()["error"]["code"]) == (404, "program_not_found")
    assert count(session) == before
    nothing = withdraw(client, other.code)
    assert nothing.status_code == 404


def test_a_base_rate_may_not_rise_above_a_top_up_ceiling(
    client: TestClient, session: Session
) -> None:
    city, hongshan = make_program(session), district(session)
    session.commit()
    declare(client, hongshan.code, city.code, ceiling=6000)
    rules = {
        "effective_from": "2027-01-01",
        "rate_bp": 6500,
        "cap_yuan": "200000.00",
        "cap_scope": "lifetime",
        "window_months": 36,
    }
    above = client.post(f"/v1/admin/programs/{city.code}/rules", json=rules)
    assert (above.status_code, above.json()["error"]["code"]) == (422, "invalid_rules")
    at = client.post(f"/v1/admin/programs/{city.code}/rules", json={**rules, "rate_bp": 6000})
    confirmed(client, at)


def test_no_declaration_once_a_program_has_ended(client: TestClient, session: Session) -> None:
    city = make_program(session)
    ended = district(session, valid_from=date(2025, 6, 1), valid_to=date(2026, 6, 1))
    session.commit()
    response = declare(client, ended.code, city.code)
    assert (response.status_code, response.json()["error"]["code"]) == (409, "program_not_valid")
