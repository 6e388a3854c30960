"""An object's history, readable: names for people, changes field by field, money in yuan."""

from __future__ import annotations

from datetime import date

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from tests.factories import (
    NOW,
    as_role,
    make_account,
    make_application,
    make_enterprise,
    make_pool,
    make_program,
)
from voucher_service import audit_log
from voucher_service.applications import service
from voucher_service.audit.history import (
    Change,
    ObjectRef,
    Person,
    PersonKind,
    ValueKind,
    changes_of,
    object_history,
)
from voucher_service.db.tables.auth import Role
from voucher_service.pagination import PageParams

TODAY = date(2026, 6, 15)


def approved_for_less(session: Session) -> int:
    """An application for ¥100.00 filed by an enterprise's person, approved for ¥80.00 by
    a reviewer with a display name; its id."""
    program = make_program(session)
    make_pool(session, program, total_fen=1_000_000_00)
    enterprise = make_enterprise(session)
    clerk = make_account(session, "finance.chen", Role.ENTERPRISE, uscc=enterprise.uscc)
    reviewer = make_account(session, "reviewer.zhang", Role.BUREAU_REVIEWER)
    reviewer.account.display_name = "张三"
    audit_log.set_actor(session, clerk.actor())
    row = make_application(session, program=program, enterprise=enterprise)
    audit_log.set_actor(session, reviewer.actor())
    service.approve(session, row, amount_fen=80_00, reason="按预算核减", today=TODAY, now=NOW)
    session.commit()
    assert row.id is not None
    return row.id


def test_an_application_approved_for_less_reads_as_what_happened(session: Session) -> None:
    application_id = approved_for_less(session)
    rows, cursor = object_history(
        session, ObjectRef.parse(f"application:{application_id}"), PageParams()
    )
    assert cursor is None
    assert [r.action for r in rows] == ["application.submit", "application.approve"]
    submitted, approved = rows
    assert submitted.person.kind is PersonKind.ENTERPRISE
    assert submitted.person.name == "finance.chen 测试"  # the display name, not the login
    assert submitted.person.organisation  # the enterprise's name
    assert approved.person == Person(PersonKind.BUREAU, "bureau_reviewer", None, "张三")
    assert Change("requested_fen", ValueKind.MONEY, None, 100_00) in submitted.changes
    assert approved.changes == [
        Change("status", ValueKind.STATUS, "submitted", "approved"),
        Change("approved_fen", ValueKind.MONEY, None, 80_00),
        Change("reason", ValueKind.TEXT, None, "按预算核减"),
    ]


def test_changes_leave_out_what_stayed_and_flatten_lists() -> None:
    assert changes_of({"status": "active", "balance_fen": 5}, {"status": "active"}) == [
        Change("balance_fen", ValueKind.MONEY, 5, None)
    ]
    assert changes_of(None, {"records": ["a", "b"], "ok": True}) == [
        Change("records", ValueKind.TEXT, None, "a, b"),
        Change("ok", ValueKind.FLAG, None, True),
    ]


def test_the_api_gives_the_history_with_yuan_and_names(
    client: TestClient, session: Session
) -> None:
    application_id = approved_for_less(session)
    response = client.get(
        "/v1/admin/audit/history", params={"object": f"application:{application_id}"}
    )
    assert response.status_code == 200, response.text
    items = response.json()["items"]
    assert [i["action"] for i in items] == ["application.submit", "application.approve"]
    approve = items[1]
    assert approve["person"] == {
        "kind": "bureau",
        "role": "bureau_reviewer",
        "organisation": None,
        "name": "张三",
    }
    assert {"field": "approved_fen", "kind": "money", "before": None, "after": "80.00"} in approve[
        "changes"
    ]
    assert "reviewer.zhang" not in response.text


def test_bad_objects_are_refused_and_the_history_is_the_auditors(
    client: TestClient, session: Session
) -> None:
    for bad in ("application", "nothing:1", "application:", "x" * 251, "voucher:a\x00b"):
        response = client.get("/v1/admin/audit/history", params={"object": bad})
        assert response.status_code == 422, bad
        assert response.json()["error"]["code"] in ("invalid_input", "validation_error"), bad
    enterprise = make_enterprise(session)
    session.commit()
    refused = client.get(
        "/v1/admin/audit/history",
        params={"object": f"enterprise:{enterprise.uscc}"},
        headers=as_role(client, Role.ENTERPRISE, enterprise.uscc),  # type: ignore[arg-type]
    )
    assert refused.status_code == 403


def test_nested_fields_are_brought_up_and_shares_are_basis_points() -> None:
    assert changes_of(None, {"rules": {"rate_bp": 5000, "cap_fen": 100}, "name": "M2"}) == [
        Change("rate_bp", ValueKind.BASIS_POINTS, None, 5000),
        Change("cap_fen", ValueKind.MONEY, None, 100),
        Change("name", ValueKind.TEXT, None, "M2"),
    ]
