"""Program administration by two people (docs/access.md): a pool, a rule version, a top-up
layer and a second-review amount are proposals (202) that take effect only when a second
program administrator confirms them; checked when proposed and again when confirmed; the
proposer may withdraw; the audit log names both people."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tests.factories import (
    auditor,
    bureau_person,
    make_enterprise,
    make_pool,
    make_program,
    make_voucher,
    maker_and_checker,
    sysadmin,
)
from voucher_service.db.tables.auth import Duty
from voucher_service.db.tables.confirmations import Confirmation
from voucher_service.db.tables.ledger import LedgerPosting
from voucher_service.db.tables.programs import Pool, Program, TopUp

RULES = {
    "effective_from": "2027-01-01",
    "rate_bp": 4000,
    "cap_yuan": "150000.00",
    "cap_scope": "lifetime",
    "window_months": 36,
}


@pytest.fixture
def program(session: Session) -> Program:
    program = make_program(session, pool_minimum_fen=10_000_000_00)
    session.commit()
    return program


def people(client: TestClient) -> tuple[dict[str, str], dict[str, str]]:
    return maker_and_checker(client, Duty.PROGRAM, "program zhou", "program wu")


def decide(client: TestClient, proposal: int, verb: str, who: dict[str, str]) -> Any:
    return client.post(f"/v1/admin/confirmations/{proposal}/{verb}", headers=who)


def count(session: Session, table: type) -> int:
    session.expire_all()
    return session.scalar(select(func.count()).select_from(table)) or 0


def test_a_pool_waits_for_a_second_program_administrator(
    client: TestClient, session: Session, program: Program
) -> None:
    zhou, wu = people(client)
    reviewer = bureau_person(client, Duty.REVIEW, name="reviewer zhao")
    path = f"/v1/admin/programs/{program.code}/pools"
    proposed = client.post(path, json={"year": 2026, "total_yuan": "10000000.00"}, headers=zhou)
    assert proposed.status_code == 202, proposed.text
    item = proposed.json()
    assert (item["kind"], item["target"], item["status"], item["proposed_by"]) == (
        "pool.create",
        f"{program.code}/2026",
        "pending",
        "program zhou",
    )
    assert item["amount_yuan"] == "10000000.00" and "10000000.00 yuan" in item["summary"]
    assert (count(session, Pool), count(session, LedgerPosting)) == (0, 0)  # nothing yet
    again = client.post(path, json={"year": 2026, "total_yuan": "12000000.00"}, headers=wu)
    assert again.status_code == 409  # one proposal per pool at a time

    # Each person sees what their duties let them confirm: not their own, not a reviewer.
    def queue(who: dict[str, str]) -> list[int]:
        return [i["id"] for i in client.get("/v1/admin/confirmations", headers=who).json()["items"]]

    assert (queue(zhou), queue(wu), queue(reviewer)) == ([], [item["id"]], [])
    everyone = client.get("/v1/admin/confirmations?everyone=true", headers=reviewer).json()
    assert [i["id"] for i in everyone["items"]] == [item["id"]]

    for who, status, code in (
        (zhou, 403, "same_person"),  # the proposer never confirms
        (reviewer, 403, "forbidden"),  # review is not program administration
        (sysadmin(client), 403, "forbidden"),
        (auditor(client), 403, "forbidden"),
    ):
        refused = decide(client, item["id"], "confirm", who)
        assert (refused.status_code, refused.json()["error"]["code"]) == (status, code)
    assert decide(client, item["id"], "withdraw", wu).status_code == 403  # only the proposer
    assert count(session, Pool) == 0

    confirmed = decide(client, item["id"], "confirm", wu)
    assert (confirmed.status_code, confirmed.json()["decided_by"]) == (200, "program wu")
    pool = client.get(f"{path}/2026").json()
    assert (pool["total_yuan"], pool["available_yuan"]) == ("10000000.00", "10000000.00")
    trail = client.get("/v1/admin/audit", headers=auditor(client)).json()["items"]
    actions = {e["action"]: e for e in trail}
    assert actions["pool.create"]["actor"] == "bureau:program wu"
    assert (
        actions["confirmation.confirm"]["after"]["proposed_by"],
        actions["confirmation.confirm"]["after"]["decided_by"],
    ) == ("program zhou", "program wu")
    assert actions["confirmation.propose"]["actor"] == "bureau:program zhou"


def test_checked_when_proposed_and_again_when_confirmed(
    client: TestClient, session: Session, program: Program
) -> None:
    zhou, wu = people(client)
    path = f"/v1/admin/programs/{program.code}/pools"
    small = client.post(path, json={"year": 2026, "total_yuan": "9999999.99"}, headers=zhou)
    assert (small.status_code, small.json()["error"]["code"]) == (409, "pool_below_minimum")
    past = {**RULES, "effective_from": "2026-01-01"}
    old = client.post(f"/v1/admin/programs/{program.code}/rules", json=past, headers=zhou)
    assert (old.status_code, old.json()["error"]["code"]) == (422, "invalid_rules")
    assert count(session, Confirmation) == 0  # nothing proposed

    # A top-up proposed before the district's first voucher no longer holds after it: the
    # confirmation is refused with nothing written, and the proposal still waits.
    district = make_program(session, rate_bp=2000, region_prefix="420111")
    session.commit()
    body = {"base_program_code": program.code, "stack_order": 1, "ceiling_bp": 7000}
    proposed = client.put(f"/v1/admin/programs/{district.code}/top-up", json=body, headers=zhou)
    assert proposed.status_code == 202
    make_pool(session, district)
    make_voucher(session, program=district, enterprise=make_enterprise(session, division="420111"))
    session.commit()
    refused = decide(client, proposed.json()["id"], "confirm", wu)
    assert (refused.status_code, refused.json()["error"]["code"]) == (409, "top_up_refused")
    assert "has issued vouchers" in refused.json()["error"]["message"]
    assert count(session, TopUp) == 0
    waiting = client.get("/v1/admin/confirmations", headers=wu).json()["items"]
    assert [(i["id"], i["status"]) for i in waiting] == [(proposed.json()["id"], "pending")]
    assert decide(client, proposed.json()["id"], "withdraw", zhou).status_code == 200


def test_a_top_up_layer_and_its_withdrawal_wait_for_a_second_administrator(
    client: TestClient, session: Session, program: Program
) -> None:
    zhou, wu = people(client)
    district = make_program(session, rate_bp=2000, region_prefix="420111")
    session.commit()
    path = f"/v1/admin/programs/{district.code}/top-up"
    body = {"base_program_code": program.code, "stack_order": 1, "ceiling_bp": 7000}
    low = client.put(path, json={**body, "ceiling_bp": 4000}, headers=zhou)
    assert (low.status_code, low.json()["error"]["code"]) == (409, "top_up_refused")
    proposed = client.put(path, json=body, headers=zhou)
    assert (proposed.status_code, proposed.json()["kind"]) == (202, "top_up.declare")
    assert count(session, TopUp) == 0
    assert decide(client, proposed.json()["id"], "confirm", wu).status_code == 200
    shown = client.get(f"/v1/admin/programs/{district.code}", headers=zhou).json()
    assert shown["tops_up"] == {"program_code": program.code, "stack_order": 1, "ceiling_bp": 7000}
    withdrawal = client.delete(path, headers=wu)
    assert (withdrawal.status_code, withdrawal.json()["kind"]) == (202, "top_up.withdraw")
    assert count(session, TopUp) == 1
    rejected = decide(client, withdrawal.json()["id"], "reject", zhou)
    assert rejected.json()["status"] == "rejected" and count(session, TopUp) == 1
    again = client.delete(path, headers=wu)
    assert decide(client, again.json()["id"], "confirm", zhou).status_code == 200
    assert count(session, TopUp) == 0


def test_the_second_review_amount_changes_by_two_people(
    client: TestClient, session: Session, program: Program
) -> None:
    zhou, wu = people(client)
    path = f"/v1/admin/programs/{program.code}"
    assert client.get(path).json()["second_review_above_yuan"] is None
    bad = client.patch(path, json={"second_review_above_yuan": "-1.00"}, headers=zhou)
    assert bad.status_code == 422
    reviewer = bureau_person(client, Duty.REVIEW, name="reviewer zhao")
    assert (
        client.patch(path, json={"second_review_above_yuan": "1.00"}, headers=reviewer).status_code
        == 403
    )
    proposed = client.patch(path, json={"second_review_above_yuan": "100000.00"}, headers=zhou)
    assert (proposed.status_code, proposed.json()["kind"]) == (202, "program.second_review")
    assert "above 100000.00 yuan (now never)" in proposed.json()["summary"]
    assert client.get(path).json()["second_review_above_yuan"] is None
    assert decide(client, proposed.json()["id"], "confirm", wu).status_code == 200
    assert client.get(path).json()["second_review_above_yuan"] == "100000.00"
    off = client.patch(path, json={"second_review_above_yuan": None}, headers=wu)
    assert decide(client, off.json()["id"], "confirm", zhou).status_code == 200
    assert client.get(path).json()["second_review_above_yuan"] is None
