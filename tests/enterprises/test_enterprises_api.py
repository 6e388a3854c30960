"""Enterprises through the bureau API: registration, reading, listing; an enterprise's
standing in a program before and after its first voucher."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from tests.factories import make_enterprise, make_pool, make_program, make_voucher, uscc
from tests.test_api_contract import assert_error


def test_enterprise_registration(client: TestClient, session: Session) -> None:
    code = uscc(division="420111")
    created = client.post("/v1/admin/enterprises", json={"uscc": code.lower(), "name": "洪山科技"})
    assert created.status_code == 201
    assert (created.json()["uscc"], created.json()["district_code"]) == (code, "420111")
    assert_error(
        client.post("/v1/admin/enterprises", json={"uscc": code, "name": "again"}),
        409,
        "already_exists",
    )
    assert_error(client.get(f"/v1/admin/enterprises/{uscc()}"), 404, "enterprise_not_found")
    make_enterprise(session, division="420102")
    session.commit()
    only = client.get("/v1/admin/enterprises", params={"district_code": "420111"}).json()["items"]
    assert [e["uscc"] for e in only] == [code]


def test_status_before_and_after_the_first_voucher(client: TestClient, session: Session) -> None:
    program = make_program(session)
    make_pool(session, program)
    enterprise = make_enterprise(session)
    session.commit()
    path, params = f"/v1/admin/enterprises/{enterprise.uscc}/status", {"program": program.code}
    before = client.get(path, params=params).json()
    assert (before["enrolled"], before["window_end"], before["vouchers"]) == (False, None, [])
    assert (before["cap_remaining_yuan"], before["issuable_yuan"]) == ("200000.00", "200000.00")

    voucher = make_voucher(session, program=program, enterprise=enterprise, face_value_fen=500_00)
    session.commit()
    after = client.get(path, params=params).json()
    assert (after["enrolled"], after["outstanding_yuan"], after["issuable_yuan"]) == (
        True,
        "500.00",
        "199500.00",
    )
    assert [v["code"] for v in after["vouchers"]] == [voucher.code]
    mine = client.get(f"/v1/enterprise/{enterprise.uscc}/status", params=params).json()
    assert mine == after
    listed = client.get(f"/v1/enterprise/{enterprise.uscc}/vouchers").json()["items"]
    assert [(v["code"], v["status"]) for v in listed] == [(voucher.code, "active")]
    assert_error(client.get(path, params={"program": "NOPE"}), 404, "program_not_found")
