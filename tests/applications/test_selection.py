"""Measure 3's model selection (遴选): applications with a model, a sector and a filing
reference; automatic checks; the yearly batch selected or declined, one by one or in bulk;
only the selected are issued the program's vouchers, directly or through an application."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tests.applications.test_applications import body as voucher_application
from tests.factories import make_enterprise, make_pool, make_program, make_selection
from voucher_service.db.tables.applications import ModelSelection
from voucher_service.db.tables.vouchers import Voucher
from voucher_service.programs.service import get_program


def selection_body(program: str, **changes: Any) -> dict[str, Any]:
    return {
        "program_code": program,
        "year": 2026,
        "model_name": "遥感影像解译大模型",
        "sector": "remote_sensing",
        "filing_reference": "Hubei-RSInterp-20260301",
        **changes,
    }


def measure_3(session: Session) -> str:
    program = make_program(session, cap_fen=5_000_000_00, requires_selection=True)
    make_pool(session, program, total_fen=10_000_000_00)
    session.commit()
    return program.code


def apply(client: TestClient, uscc: str, program: str, **changes: Any) -> Any:
    return client.post(f"/v1/enterprise/{uscc}/selections", json=selection_body(program, **changes))


def issue(client: TestClient, program: str, uscc: str) -> Any:
    return client.post(
        "/v1/admin/vouchers",
        json={"program_code": program, "year": 2026, "uscc": uscc, "face_value_yuan": "1000.00"},
    )


def count(session: Session, table: type) -> int:
    return session.scalar(select(func.count()).select_from(table)) or 0


def test_apply_select_and_only_then_issue(client: TestClient, session: Session) -> None:
    program = measure_3(session)
    uscc = make_enterprise(session).uscc
    session.commit()
    refused = issue(client, program, uscc)
    assert (refused.status_code, refused.json()["error"]["code"]) == (409, "not_selected")
    assert count(session, Voucher) == 0

    applied = apply(client, uscc, program)
    assert applied.status_code == 201, applied.text
    row = applied.json()
    assert (row["status"], row["eligible"], row["sector"], row["model_name"]) == (
        "submitted",
        True,
        "remote_sensing",
        "遥感影像解译大模型",
    )
    assert [c["check"] for c in row["checks"]] == ["region", "blacklist", "window"]
    assert issue(client, program, uscc).status_code == 409  # submitted is not selected

    queue = client.get("/v1/admin/selections", params={"program": program}).json()["items"]
    assert [s["id"] for s in queue] == [row["id"]]
    selected = client.post(f"/v1/admin/selections/{row['id']}/select", json={"reason": "strong"})
    assert selected.status_code == 200, selected.text
    assert (selected.json()["status"], selected.json()["decided_by"]) == (
        "selected",
        "bureau_admin:test admin",
    )
    assert issue(client, program, uscc).status_code == 201
    mine = client.get(f"/v1/enterprise/{uscc}/selections").json()["items"]
    assert [s["status"] for s in mine] == ["selected"]
    again = client.post(f"/v1/admin/selections/{row['id']}/decline", json={"reason": "changed"})
    assert (again.status_code, again.json()["error"]["code"]) == (409, "invalid_state")


def test_bad_selection_applications_are_refused_and_write_nothing(
    client: TestClient, session: Session
) -> None:
    program = measure_3(session)
    plain = make_program(session).code
    uscc = make_enterprise(session).uscc
    session.commit()
    for changes, status, code in (
        ({"sector": "agriculture"}, 422, "unknown_field"),  # not one of the program's fields
        ({"sector": "Remote Sensing"}, 422, "invalid_input"),
        ({"filing_reference": "   "}, 422, "invalid_input"),
        ({"model_name": ""}, 422, "invalid_input"),
        ({"year": 2025}, 422, "invalid_year"),
        ({"year": 2028}, 409, "program_not_valid"),
        ({"program_code": plain}, 409, "not_eligible"),
        ({"program_code": "NOPE"}, 404, "program_not_found"),
    ):
        response = apply(client, uscc, program, **changes)
        assert (response.status_code, response.json()["error"]["code"]) == (status, code), changes
    assert count(session, ModelSelection) == 0
    assert apply(client, uscc, program).status_code == 201
    twice = apply(client, uscc, program, model_name="another model")
    assert (twice.status_code, twice.json()["error"]["code"]) == (409, "already_exists")


def test_failing_a_check_declines_at_once_with_the_reason(
    client: TestClient, session: Session
) -> None:
    program = measure_3(session)
    outsider = make_enterprise(session, division="420502").uscc  # Yichang, not Wuhan
    session.commit()
    row = apply(client, outsider, program).json()
    assert (row["status"], row["eligible"], row["decided_by"]) == (
        "declined",
        False,
        "automatic checks",
    )
    assert row["decision_reason"].startswith("region: registered in division 420502")


def test_a_yearly_batch_in_bulk(client: TestClient, session: Session) -> None:
    program = measure_3(session)
    a, b, c = (make_enterprise(session).uscc for _ in range(3))
    session.commit()
    ids = [apply(client, uscc, program, sector="healthcare").json()["id"] for uscc in (a, b, c)]
    declined = client.post(f"/v1/admin/selections/{ids[2]}/decline", json={"reason": ""})
    assert (declined.status_code, declined.json()["error"]["code"]) == (422, "reason_required")
    assert (
        client.post(f"/v1/admin/selections/{ids[2]}/decline", json={"reason": "duplicate"}).json()[
            "status"
        ]
        == "declined"
    )
    batch = client.post(
        "/v1/admin/selections/decide-bulk",
        json={"ids": [*ids, 999_999], "decision": "selected", "reason": "2026 batch"},
    )
    assert batch.status_code == 200, batch.text
    assert [(r["id"], r["ok"], (r["error"] or {}).get("code")) for r in batch.json()] == [
        (ids[0], True, None),
        (ids[1], True, None),
        (ids[2], False, "invalid_state"),
        (999_999, False, "selection_not_found"),
    ]
    selected = client.get(
        "/v1/admin/selections",
        params={"program": program, "status": "selected", "sector": "healthcare"},
    ).json()["items"]
    assert [s["uscc"] for s in selected] == [a, b]
    bad = client.post("/v1/admin/selections/decide-bulk", json={"ids": ids, "decision": "maybe"})
    assert bad.status_code == 422


def test_voucher_applications_to_measure_3_check_the_selection(
    client: TestClient, session: Session
) -> None:
    program = measure_3(session)
    chosen, other = make_enterprise(session), make_enterprise(session)
    make_selection(session, program=get_program(session, program), enterprise=chosen)
    session.commit()
    response = client.post(
        f"/v1/enterprise/{other.uscc}/applications", json=voucher_application(program)
    )
    assert response.json()["status"] == "rejected"
    assert "selection: selection for 2026: not applied for" in response.json()["decision_reason"]
    accepted = client.post(
        f"/v1/enterprise/{chosen.uscc}/applications", json=voucher_application(program)
    ).json()
    assert accepted["status"] == "submitted"
    assert {
        "check": "selection",
        "ok": True,
        "message": "selection for 2026: selected",
    } in accepted["checks"]
    approved = client.post(f"/v1/admin/applications/{accepted['id']}/approve", json={})
    assert approved.status_code == 200 and approved.json()["voucher_code"]


def test_measure_2_applications_have_no_selection_check(
    client: TestClient, session: Session
) -> None:
    program = make_program(session)
    make_pool(session, program)
    uscc = make_enterprise(session).uscc
    session.commit()
    row = client.post(
        f"/v1/enterprise/{uscc}/applications", json=voucher_application(program.code)
    ).json()
    assert [c["check"] for c in row["checks"]] == ["region", "sme", "blacklist", "window", "amount"]
