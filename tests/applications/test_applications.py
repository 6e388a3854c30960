"""Applications: automatic checks with reasons, the review workflow, bulk approval."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import Engine, event, func, select
from sqlalchemy.orm import Session

from tests.factories import make_enterprise, make_pool, make_program
from voucher_service.books import verify_ledger
from voucher_service.db.tables.vouchers import Voucher


def body(program: str, **changes: Any) -> dict[str, Any]:
    return {
        "program_code": program,
        "year": 2026,
        "requested_yuan": "100.00",
        "planned_use": "training a defect-detection model",
        "intended_providers": [],
        "size_class": "small",
        "headcount": 40,
        "revenue_yuan": "5000000.00",
        "declares_no_related_party": True,
        **changes,
    }


def setup(session: Session, pool_fen: int = 1_000_000_00) -> tuple[str, str]:
    program = make_program(session)
    make_pool(session, program, total_fen=pool_fen)
    enterprise = make_enterprise(session)
    session.commit()
    return program.code, enterprise.uscc


def apply(client: TestClient, uscc: str, program: str, **changes: Any) -> dict[str, Any]:
    response = client.post(f"/v1/enterprise/{uscc}/applications", json=body(program, **changes))
    assert response.status_code == 201, response.text
    return response.json()  # type: ignore[no-any-return]


def vouchers(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(Voucher)) or 0


def test_apply_review_and_approve_for_less(client: TestClient, session: Session) -> None:
    program, uscc = setup(session)
    submitted = apply(
        client,
        uscc,
        program,
        intended_providers=[uscc, "91420100MA4K00100E"],
        declares_no_related_party=False,
    )
    assert (submitted["status"], submitted["eligible"]) == ("submitted", True)
    assert {c["check"] for c in submitted["checks"] if c["ok"]} == {
        "region",
        "sme",
        "blacklist",
        "window",
        "amount",
    }
    assert any("shares the applicant's credit code" in f for f in submitted["flags"])
    assert any("not a registered provider" in f for f in submitted["flags"])
    assert any("related-party" in f for f in submitted["flags"])
    again = client.post(f"/v1/enterprise/{uscc}/applications", json=body(program))
    assert (again.status_code, again.json()["error"]["code"]) == (409, "already_exists")

    queue = client.get("/v1/admin/applications").json()["items"]
    assert [a["id"] for a in queue] == [submitted["id"]]
    approved = client.post(
        f"/v1/admin/applications/{submitted['id']}/approve", json={"amount_yuan": "80.00"}
    )
    assert approved.status_code == 200, approved.text
    a = approved.json()
    assert (a["status"], a["approved_yuan"], a["decided_by"]) == (
        "approved",
        "80.00",
        "bureau_admin:test admin",
    )
    voucher = client.get(f"/v1/admin/vouchers/{a['voucher_code']}").json()
    assert (voucher["face_value_yuan"], voucher["uscc"]) == ("80.00", uscc)
    # Final states stay final.
    for verb in ("approve", "reject", "return"):
        refused = client.post(f"/v1/admin/applications/{a['id']}/{verb}", json={"reason": "x"})
        assert (refused.status_code, refused.json()["error"]["code"]) == (409, "invalid_state")
    mine = client.get(f"/v1/enterprise/{uscc}/applications").json()["items"]
    assert [(m["status"], m["voucher_code"]) for m in mine] == [("approved", a["voucher_code"])]
    assert verify_ledger(session) == []


def test_failed_checks_reject_at_once_with_reasons(client: TestClient, session: Session) -> None:
    program, uscc = setup(session)
    beijing = make_enterprise(session, division="110105")
    session.commit()
    outside = apply(client, beijing.uscc, program)
    assert (outside["status"], outside["decided_by"]) == ("rejected", "automatic checks")
    assert outside["decision_reason"].startswith(
        "region: registered in division 110105; the program requires 4201xx"
    )
    too_big = apply(client, uscc, program, headcount=5000)
    assert too_big["status"] == "rejected" and "sme:" in too_big["decision_reason"]
    too_much = apply(client, uscc, program, requested_yuan="200000.01")
    assert (
        too_much["status"] == "rejected"
        and "may still receive 200000.00 yuan" in too_much["decision_reason"]
    )
    client.post("/v1/admin/blacklist", json={"uscc": uscc, "reason": "false declarations in 2025"})
    barred = apply(client, uscc, program)
    assert "blacklisted: false declarations in 2025" in barred["decision_reason"]
    assert vouchers(session) == 0


def test_return_resubmit_and_reject(client: TestClient, session: Session) -> None:
    program, uscc = setup(session)
    first = apply(client, uscc, program)
    no_reason = client.post(f"/v1/admin/applications/{first['id']}/return", json={})
    assert (no_reason.status_code, no_reason.json()["error"]["code"]) == (422, "reason_required")
    returned = client.post(
        f"/v1/admin/applications/{first['id']}/return", json={"reason": "say which model"}
    )
    assert returned.json()["status"] == "returned"
    assert (
        client.get(f"/v1/enterprise/{uscc}/applications/{first['id']}").json()["decision_reason"]
        == "say which model"
    )
    resubmitted = client.post(
        f"/v1/enterprise/{uscc}/applications/{first['id']}/resubmit",
        json=body(program, planned_use="YOLO-based steel defect detection"),
    )
    assert resubmitted.json()["status"] == "submitted"
    twice = client.post(
        f"/v1/enterprise/{uscc}/applications/{first['id']}/resubmit", json=body(program)
    )
    assert twice.status_code == 409
    rejected = client.post(
        f"/v1/admin/applications/{first['id']}/reject", json={"reason": "duplicate of a 2025 grant"}
    )
    assert rejected.json()["status"] == "rejected"


def test_approval_rechecks_and_writes_nothing_when_refused(
    client: TestClient, session: Session
) -> None:
    program, uscc = setup(session)
    submitted = apply(client, uscc, program)
    client.post("/v1/admin/blacklist", json={"uscc": uscc, "reason": "found after submission"})
    refused = client.post(f"/v1/admin/applications/{submitted['id']}/approve", json={})
    assert (refused.status_code, refused.json()["error"]["code"]) == (409, "not_eligible")
    assert "found after submission" in refused.json()["error"]["message"]
    assert client.get(f"/v1/admin/applications/{submitted['id']}").json()["status"] == "submitted"
    assert vouchers(session) == 0


def test_bulk_approval_never_overcommits_the_pool(client: TestClient, session: Session) -> None:
    program, _ = setup(session, pool_fen=250_00)
    ids = []
    for _ in range(3):
        enterprise = make_enterprise(session)
        session.commit()
        ids.append(apply(client, enterprise.uscc, program)["id"])
    results = client.post(
        "/v1/admin/applications/approve-bulk", json={"ids": [*ids, 999999]}
    ).json()
    assert [r["ok"] for r in results] == [True, True, False, False]
    assert results[2]["error"]["code"] == "pool_insufficient"
    assert results[3]["error"]["code"] == "application_not_found"
    assert client.get(f"/v1/admin/applications/{ids[2]}").json()["status"] == "submitted"
    assert (
        client.get(f"/v1/admin/programs/{program}/pools/2026").json()["available_yuan"] == "50.00"
    )
    assert verify_ledger(session) == []


def test_other_enterprises_applications_are_not_found(client: TestClient, session: Session) -> None:
    program, uscc = setup(session)
    mine = apply(client, uscc, program)
    other = make_enterprise(session)
    session.commit()
    response = client.get(f"/v1/enterprise/{other.uscc}/applications/{mine['id']}")
    assert (response.status_code, response.json()["error"]["code"]) == (
        404,
        "application_not_found",
    )


def test_a_page_of_applications_is_read_in_one_query(
    client: TestClient, session: Session, engine: Engine
) -> None:
    """No query per listed application: the queue costs the same for one as for four."""
    program, uscc = setup(session)
    apply(client, uscc, program)
    client.get("/v1/admin/applications")  # the admin key is made and used once before counting

    def statements() -> int:
        seen: list[str] = []

        def count(*args: Any) -> None:
            seen.append(args[2])

        event.listen(engine, "before_cursor_execute", count)
        try:
            items = client.get("/v1/admin/applications").json()["items"]
        finally:
            event.remove(engine, "before_cursor_execute", count)
        assert all(a["uscc"] and a["program_code"] for a in items)
        return len(seen)

    one = statements()
    for _ in range(3):
        other = make_enterprise(session)
        session.commit()
        apply(client, other.uscc, program)
    assert statements() == one
