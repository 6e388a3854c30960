"""Maker-checker on large approvals and revocations (docs/access.md): above the program's
second-review amount, one reviewer proposes and a second one, never the proposer,
confirms; the proposer may withdraw. Nothing moves before the confirmation."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from tests.factories import (
    auditor,
    make_application,
    make_pool,
    make_program,
    make_voucher,
    maker_and_checker,
)
from voucher_service.db.tables.auth import Duty
from voucher_service.db.tables.programs import Pool, Program

LIMIT_FEN = 100_000_00  # 100,000.00 yuan


@pytest.fixture
def program(session: Session) -> Program:
    program = make_program(session)
    make_pool(session, program)
    program.second_review_above_fen = LIMIT_FEN
    session.commit()
    return program


def people(client: TestClient) -> tuple[dict[str, str], dict[str, str]]:
    return maker_and_checker(client, Duty.REVIEW, "reviewer zhao", "reviewer qian")


def queue(client: TestClient, who: dict[str, str]) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = client.get("/v1/admin/confirmations", headers=who).json()["items"]
    return items


def available(session: Session, program: Program) -> int:
    session.expire_all()
    pool = session.query(Pool).filter_by(program_id=program.id).one()
    return pool.available_fen


def test_a_large_approval_waits_for_a_second_reviewer(
    client: TestClient, session: Session, program: Program
) -> None:
    zhao, qian = people(client)
    small = make_application(session, program=program, requested_fen=LIMIT_FEN)
    large = make_application(session, program=program, requested_fen=150_000_00)
    session.commit()
    before = available(session, program)
    at_limit = client.post(f"/v1/admin/applications/{small.id}/approve", json={}, headers=zhao)
    assert (at_limit.status_code, at_limit.json()["status"]) == (200, "approved")
    assert available(session, program) == before - LIMIT_FEN

    proposed = client.post(f"/v1/admin/applications/{large.id}/approve", json={}, headers=zhao)
    assert (proposed.status_code, proposed.json()["status"]) == (202, "submitted")
    waiting = proposed.json()["awaiting_confirmation"]
    assert available(session, program) == before - LIMIT_FEN  # nothing issued yet
    again = client.post(f"/v1/admin/applications/{large.id}/approve", json={}, headers=zhao)
    assert again.status_code == 409  # one proposal at a time
    assert queue(client, zhao) == []  # nobody checks themselves
    [item] = queue(client, qian)
    assert (item["id"], item["proposed_by"], item["amount_yuan"]) == (
        waiting,
        "reviewer zhao",
        "150000.00",
    )
    assert "for 150000.00 yuan" in item["summary"] and "above 100000.00 yuan" in item["summary"]

    own = client.post(f"/v1/admin/confirmations/{waiting}/confirm", headers=zhao)
    assert (own.status_code, own.json()["error"]["code"]) == (403, "same_person")
    assert (
        client.post(
            f"/v1/admin/confirmations/{waiting}/confirm", headers=auditor(client)
        ).status_code
        == 403
    )
    confirmed = client.post(f"/v1/admin/confirmations/{waiting}/confirm", headers=qian)
    assert confirmed.status_code == 200, confirmed.text
    assert (confirmed.json()["status"], confirmed.json()["decided_by"]) == (
        "confirmed",
        "reviewer qian",
    )
    application = client.get(f"/v1/admin/applications/{large.id}").json()
    assert application["status"] == "approved" and application["voucher_code"]
    assert available(session, program) == before - LIMIT_FEN - 150_000_00
    [entry] = [
        e
        for e in client.get(
            "/v1/admin/audit", params={"action": "confirmation.confirm"}, headers=auditor(client)
        ).json()["items"]
        if e["after"]["kind"] == "application.approve"
    ]
    assert (entry["after"]["proposed_by"], entry["after"]["decided_by"]) == (
        "reviewer zhao",
        "reviewer qian",
    )


def test_the_proposer_withdraws_and_a_second_reviewer_may_reject(
    client: TestClient, session: Session, program: Program
) -> None:
    zhao, qian = people(client)
    voucher = make_voucher(session, program=program, face_value_fen=120_000_00)
    session.commit()
    before = available(session, program)

    def propose() -> int:
        response = client.post(
            f"/v1/admin/vouchers/{voucher.code}/revoke", json={"reason": "企业已注销"}, headers=zhao
        )
        assert (response.status_code, response.json()["status"]) == (202, "active")
        waiting: int = response.json()["awaiting_confirmation"]
        return waiting

    first = propose()
    assert client.post(f"/v1/admin/confirmations/{first}/withdraw", headers=qian).status_code == 403
    withdrawn = client.post(f"/v1/admin/confirmations/{first}/withdraw", headers=zhao)
    assert withdrawn.json()["status"] == "withdrawn"
    second = propose()
    rejected = client.post(f"/v1/admin/confirmations/{second}/reject", headers=qian)
    assert rejected.json()["status"] == "rejected"
    assert client.get(f"/v1/admin/vouchers/{voucher.code}").json()["status"] == "active"
    assert available(session, program) == before
    third = propose()
    assert client.post(f"/v1/admin/confirmations/{third}/confirm", headers=qian).status_code == 200
    assert client.get(f"/v1/admin/vouchers/{voucher.code}").json()["status"] == "revoked"
    assert available(session, program) == before + 120_000_00
    assert client.post(f"/v1/admin/confirmations/{third}/confirm", headers=qian).status_code == 409
