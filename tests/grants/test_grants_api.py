"""Grants (issue 25, measure 2's network monitoring: 每年安排不超过300万元) through the API, on
both databases: a grants program whose yearly budget has a ceiling, a project approved within
it, paid in instalments against accepted milestones, and everything above the ceiling refused
with nothing written. Exact fen asserted in the database: the pool, the postings, the grant."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tests.factories import (
    KeyedClient,
    audit_count,
    bureau_person,
    confirmed,
    last_entry,
    make_enterprise,
    uscc,
)
from voucher_service.books import verify_ledger
from voucher_service.db.tables.auth import Duty
from voucher_service.db.tables.grants import GrantMilestone, ProjectGrant
from voucher_service.db.tables.ledger import LedgerPosting
from voucher_service.db.tables.programs import Pool

CODE = "WH-NET-MON"
CEILING_FEN = 3_000_000_00
MONITORING: dict[str, Any] = {
    "code": CODE,
    "name": "算力网络运行监测与质量评估",
    "description": "每年安排不超过300万元",
    "valid_from": "2025-03-19",
    "valid_to": "2027-03-18",
    "region_prefix": "",
    "funding": "grants",
    "rules": {
        "effective_from": "2025-03-19",
        "rate_bp": 10000,
        "cap_yuan": "3000000.00",
        "window_months": 12,
        "pool_maximum_yuan": "3000000.00",
    },
}


def budget(client: KeyedClient, session: Session) -> tuple[str, str]:
    """The monitoring program with its 2026 budget at the ceiling, and two projects."""
    created = client.post("/v1/admin/programs", json=MONITORING)
    assert created.status_code == 201, created.text
    assert created.json()["funding"] == "grants"
    assert created.json()["rules"][0]["pool_maximum_yuan"] == "3000000.00"
    pool = {"year": 2026, "total_yuan": "3000000.00"}
    confirmed(client, client.post(f"/v1/admin/programs/{CODE}/pools", json=pool), status=200)
    first = make_enterprise(session, name="武汉算网监测研究院").uscc
    second = make_enterprise(session, name="湖北质量评估中心").uscc
    session.commit()
    return first, second


def apply(client: KeyedClient, uscc: str, asked: str, title: str = "监测平台") -> dict[str, Any]:
    body = {"program_code": CODE, "year": 2026, "uscc": uscc, "title": title, "asked_yuan": asked}
    response = client.post("/v1/admin/grants", json=body)
    assert response.status_code == 201, response.text
    return dict(response.json())


def pool_of(session: Session) -> Pool:
    pool = session.scalar(select(Pool).execution_options(populate_existing=True))
    assert pool is not None
    return pool


def postings(session: Session, kind: str) -> list[tuple[str, str, int]]:
    return [
        (p.from_account, p.to_account, p.amount_fen)
        for p in session.scalars(
            select(LedgerPosting).where(LedgerPosting.kind == kind).order_by(LedgerPosting.id)
        )
    ]


def test_a_pool_above_the_maximum_is_refused_with_nothing_written(
    client: KeyedClient, session: Session
) -> None:
    assert client.post("/v1/admin/programs", json=MONITORING).status_code == 201
    before = audit_count(session)
    response = client.post(
        f"/v1/admin/programs/{CODE}/pools", json={"year": 2026, "total_yuan": "3000000.01"}
    )
    assert (response.status_code, response.json()["error"]["code"]) == (409, "pool_above_maximum")
    assert "above the program maximum of 3000000.00 yuan" in response.json()["error"]["message"]
    assert session.scalar(select(func.count()).select_from(Pool)) == 0
    assert session.scalar(select(func.count()).select_from(LedgerPosting)) == 0
    assert audit_count(session) == before


def test_a_maximum_below_the_minimum_is_refused(client: KeyedClient) -> None:
    rules = {**MONITORING["rules"], "pool_minimum_yuan": "3000000.01"}
    response = client.post("/v1/admin/programs", json={**MONITORING, "rules": rules})
    assert (response.status_code, response.json()["error"]["code"]) == (422, "invalid_rules")


def test_a_monitoring_grant_paid_in_two_instalments_and_a_third_refused_above_the_ceiling(
    client: KeyedClient, session: Session
) -> None:
    institute, centre = budget(client, session)
    reviewer = bureau_person(client, Duty.REVIEW, name="reviewer li")
    finance = bureau_person(client, Duty.FINANCE, name="finance liu")
    grant = apply(client, institute, "2500000.00")
    other = apply(client, centre, "600000.00", title="质量评估")
    gid, oid = grant["id"], other["id"]
    assert (grant["status"], grant["asked_yuan"], grant["approved_yuan"]) == (
        "applied",
        "2500000.00",
        None,
    )

    approved = client.post(
        f"/v1/admin/grants/{gid}/approve", json={"amount_yuan": "2500000.00"}, headers=reviewer
    )
    assert approved.status_code == 200, approved.text
    # Over-approval: 600,000 asked, 500,000 left under the year's ceiling: nothing written.
    entries = audit_count(session)
    refused = client.post(
        f"/v1/admin/grants/{oid}/approve", json={"amount_yuan": "600000.00"}, headers=reviewer
    )
    assert (refused.status_code, refused.json()["error"]["code"]) == (409, "pool_insufficient")
    assert "500000.00 yuan is left" in refused.json()["error"]["message"]
    assert audit_count(session) == entries
    assert session.get(ProjectGrant, oid, populate_existing=True).approved_fen is None  # type: ignore[union-attr]
    assert pool_of(session).available_fen == 500_000_00
    # In part, to exactly the ceiling.
    part = client.post(
        f"/v1/admin/grants/{oid}/approve", json={"amount_yuan": "500000.00"}, headers=reviewer
    )
    assert part.status_code == 200, part.text
    assert pool_of(session).available_fen == 0

    for description, amount in (("试运行", "1500000.00"), ("验收", "1000000.00")):
        added = client.post(
            f"/v1/admin/grants/{gid}/milestones",
            json={"description": description, "amount_yuan": amount},
            headers=reviewer,
        )
        assert added.status_code == 201, added.text
        milestone = added.json()["milestones"][-1]["id"]
        # Accepted by the admin (review and finance): who accepted it may not pay it.
        accepted = client.post(f"/v1/admin/grants/{gid}/milestones/{milestone}/accept")
        assert accepted.status_code == 200, accepted.text
        same = client.post(f"/v1/admin/grants/{gid}/milestones/{milestone}/pay")
        assert (same.status_code, same.json()["error"]["code"]) == (403, "same_person")
        paid = client.post(f"/v1/admin/grants/{gid}/milestones/{milestone}/pay", headers=finance)
        assert paid.status_code == 200, paid.text
    assert paid.json()["paid_yuan"] == "2500000.00"
    assert [m["status"] for m in paid.json()["milestones"]] == ["paid", "paid"]

    # A third instalment: above the approved amount, and so above the year's ceiling.
    entries = audit_count(session)
    third = client.post(
        f"/v1/admin/grants/{gid}/milestones",
        json={"description": "追加", "amount_yuan": "0.01"},
        headers=reviewer,
    )
    assert (third.status_code, third.json()["error"]["code"]) == (409, "grant_exceeded")
    assert audit_count(session) == entries
    more = client.post(
        f"/v1/admin/grants/{oid}/milestones",
        json={"description": "追加", "amount_yuan": "500000.01"},
        headers=reviewer,
    )
    assert (more.status_code, more.json()["error"]["code"]) == (409, "grant_exceeded")

    stored = session.get(ProjectGrant, gid, populate_existing=True)
    assert stored is not None
    assert (stored.approved_fen, stored.paid_fen) == (2_500_000_00, 2_500_000_00)
    pool = pool_of(session)
    assert (pool.total_fen, pool.available_fen) == (CEILING_FEN, 0)
    assert postings(session, "grant") == [
        (f"pool:{pool.id}", f"grant:{gid}", 2_500_000_00),
        (f"pool:{pool.id}", f"grant:{oid}", 500_000_00),
    ]
    assert postings(session, "instalment") == [
        (f"grant:{gid}", f"granted:{gid}", 1_500_000_00),
        (f"grant:{gid}", f"granted:{gid}", 1_000_000_00),
    ]
    assert session.scalar(select(func.count()).select_from(GrantMilestone)) == 2
    year = client.get(f"/v1/admin/grants/budgets/{CODE}/2026").json()
    assert year == {
        "program_code": CODE,
        "year": 2026,
        "ceiling_yuan": "3000000.00",
        "maximum_yuan": "3000000.00",
        "approved_yuan": "3000000.00",
        "paid_yuan": "2500000.00",
        "held_yuan": "500000.00",
        "remaining_yuan": "0.00",
        "grants": 2,
    }
    assert last_entry(session, "grant.pay").target_id == str(gid)
    assert verify_ledger(session) == []


def test_a_grant_is_listed_read_and_rejected(client: KeyedClient, session: Session) -> None:
    institute, centre = budget(client, session)
    first = apply(client, institute, "100.00")
    second = apply(client, centre, "200.00")
    page = client.get("/v1/admin/grants", params={"program": CODE, "year": 2026, "limit": 1})
    assert [g["id"] for g in page.json()["items"]] == [first["id"]]
    cursor = page.json()["next_cursor"]
    rest = client.get("/v1/admin/grants", params={"program": CODE, "cursor": cursor})
    assert [g["id"] for g in rest.json()["items"]] == [second["id"]]
    rejected = client.post(f"/v1/admin/grants/{second['id']}/reject", json={"reason": "重复"})
    assert (rejected.json()["status"], rejected.json()["reason"]) == ("rejected", "重复")
    again = client.post(f"/v1/admin/grants/{second['id']}/approve", json={"amount_yuan": "1.00"})
    assert (again.status_code, again.json()["error"]["code"]) == (409, "invalid_state")
    one = client.get(f"/v1/admin/grants/{first['id']}").json()
    assert (one["project_uscc"], one["project_name"]) == (institute, "武汉算网监测研究院")
    only = client.get("/v1/admin/grants", params={"status": "rejected"}).json()["items"]
    assert [g["id"] for g in only] == [second["id"]]
    assert last_entry(session, "grant.reject").target_id == str(second["id"])


@pytest.mark.parametrize(
    ("path", "body", "code"),
    [
        ("/v1/admin/grants/999999", None, "grant_not_found"),
        ("/v1/admin/grants/999999/approve", {"amount_yuan": "1.00"}, "grant_not_found"),
        ("/v1/admin/grants/999999/milestones/1/accept", {}, "grant_not_found"),
        ("/v1/admin/grants/budgets/NO-SUCH/2026", None, "program_not_found"),
    ],
)
def test_unknown_ids_are_404(
    client: KeyedClient, path: str, body: dict[str, str] | None, code: str
) -> None:
    response = client.get(path) if body is None else client.post(path, json=body)
    assert (response.status_code, response.json()["error"]["code"]) == (404, code)


def test_an_unknown_milestone_program_pool_or_project_is_404(
    client: KeyedClient, session: Session
) -> None:
    institute, _ = budget(client, session)
    grant = apply(client, institute, "100.00")
    client.post(f"/v1/admin/grants/{grant['id']}/approve", json={"amount_yuan": "100.00"})
    milestone = client.post(f"/v1/admin/grants/{grant['id']}/milestones/424242/accept")
    assert (milestone.status_code, milestone.json()["error"]["code"]) == (
        404,
        "milestone_not_found",
    )
    base = {"program_code": CODE, "year": 2026, "uscc": institute, "title": "t", "asked_yuan": "1"}
    for change, code in (
        ({"program_code": "NO-SUCH"}, "program_not_found"),
        ({"year": 2027}, "pool_not_found"),
        ({"uscc": uscc()}, "enterprise_not_found"),  # a valid code nobody registered
    ):
        response = client.post("/v1/admin/grants", json={**base, **change})
        assert (response.status_code, response.json()["error"]["code"]) == (404, code)


@pytest.mark.parametrize("amount", ["0", "0.00", "-1.00", "1.001", "abc", 100, ""])
def test_bad_amounts_are_422_with_nothing_written(
    client: KeyedClient, session: Session, amount: Any
) -> None:
    institute, _ = budget(client, session)
    grant = apply(client, institute, "100.00")
    before = audit_count(session)
    body = {"program_code": CODE, "year": 2026, "uscc": institute, "title": "t"}
    for path, payload in (
        ("/v1/admin/grants", {**body, "asked_yuan": amount}),
        (f"/v1/admin/grants/{grant['id']}/approve", {"amount_yuan": amount}),
        (f"/v1/admin/grants/{grant['id']}/milestones", {"description": "d", "amount_yuan": amount}),
    ):
        response = client.post(path, json=payload)
        assert response.status_code == 422, (path, response.text)
        assert set(response.json()["error"]) >= {"code", "message"}
    above = client.post(f"/v1/admin/grants/{grant['id']}/approve", json={"amount_yuan": "100.01"})
    assert (above.status_code, above.json()["error"]["code"]) == (422, "invalid_amount")
    assert audit_count(session) == before
    assert session.scalar(select(func.count()).select_from(ProjectGrant)) == 1
    assert pool_of(session).available_fen == CEILING_FEN


def test_vouchers_are_not_issued_from_a_grants_budget_nor_grants_from_vouchers(
    client: KeyedClient, session: Session
) -> None:
    institute, _ = budget(client, session)
    voucher = client.post(
        "/v1/admin/vouchers",
        json={"program_code": CODE, "year": 2026, "uscc": institute, "face_value_yuan": "1.00"},
    )
    assert (voucher.status_code, voucher.json()["error"]["code"]) == (409, "invalid_state")
    vouchers = {**MONITORING, "code": "WH-AI-M2X", "funding": "vouchers"}
    assert client.post("/v1/admin/programs", json=vouchers).status_code == 201
    body = {"program_code": "WH-AI-M2X", "year": 2026, "uscc": institute, "title": "t"}
    grant = client.post("/v1/admin/grants", json={**body, "asked_yuan": "1.00"})
    assert (grant.status_code, grant.json()["error"]["code"]) == (409, "invalid_state")
