"""Issuing vouchers from a pool: exact reservation, refusals that write nothing, revocation."""

from __future__ import annotations

from datetime import date

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tests.factories import make_enterprise, make_pool, make_program, make_voucher
from voucher_service.books import verify_ledger
from voucher_service.db.tables.enterprises import Enrolment
from voucher_service.db.tables.ledger import LedgerPosting
from voucher_service.db.tables.programs import Pool
from voucher_service.db.tables.vouchers import Voucher


def snapshot(session: Session) -> tuple[int, int, int, int]:
    """Everything an issuance writes, counted."""
    return (
        session.scalar(select(func.count()).select_from(Voucher)) or 0,
        session.scalar(select(func.count()).select_from(LedgerPosting)) or 0,
        session.scalar(select(func.count()).select_from(Enrolment)) or 0,
        session.scalar(select(func.sum(Pool.available_fen))) or 0,
    )


def issue(client: TestClient, program: str, uscc: str, amount: str, year: int = 2026, **extra: str):  # type: ignore[no-untyped-def]
    return client.post(
        "/v1/admin/vouchers",
        json={
            "program_code": program,
            "year": year,
            "uscc": uscc,
            "face_value_yuan": amount,
            **extra,
        },
    )


def test_issue_until_the_pool_is_exactly_empty_then_refuse(
    client: TestClient, session: Session
) -> None:
    program = make_program(session, cap_fen=300_00)
    make_pool(session, program, total_fen=1_000_00)  # 1,000.00 yuan
    enterprises = [make_enterprise(session) for _ in range(5)]
    session.commit()

    faces = ["300.00", "300.00", "300.00", "99.99", "0.01"]
    for enterprise, face in zip(enterprises, faces, strict=True):
        response = issue(client, program.code, enterprise.uscc, face)
        assert response.status_code == 201, response.text
        assert response.json()["balance_yuan"] == face

    pool = client.get(f"/v1/admin/programs/{program.code}/pools/2026").json()
    assert pool["available_yuan"] == "0.00"
    assert pool["outstanding_yuan"] == "1000.00"
    assert pool["issued_yuan"] == "1000.00"

    before = snapshot(session)
    refused = issue(client, program.code, make_enterprise(session).uscc, "0.01")
    assert refused.status_code == 409
    assert refused.json()["error"]["code"] == "pool_insufficient"
    assert "0.00 yuan available" in refused.json()["error"]["message"]
    assert snapshot(session) == before  # nothing written: no voucher, posting or enrolment
    assert verify_ledger(session) == []


def test_revoking_returns_the_unspent_balance(client: TestClient, session: Session) -> None:
    program = make_program(session)
    make_pool(session, program, total_fen=500_000_00)
    enterprise = make_enterprise(session)
    session.commit()
    code = issue(client, program.code, enterprise.uscc, "150000.00").json()["code"]

    revoked = client.post(
        f"/v1/admin/vouchers/{code}/revoke", json={"reason": "duplicate application"}
    )
    assert revoked.status_code == 200, revoked.text
    body = revoked.json()
    assert (body["status"], body["balance_yuan"], body["released_yuan"]) == (
        "revoked",
        "0.00",
        "150000.00",
    )
    pool = client.get(f"/v1/admin/programs/{program.code}/pools/2026").json()
    assert (pool["available_yuan"], pool["released_yuan"], pool["outstanding_yuan"]) == (
        "500000.00",
        "150000.00",
        "0.00",
    )

    again = client.post(f"/v1/admin/vouchers/{code}/revoke", json={"reason": "twice"})
    assert (again.status_code, again.json()["error"]["code"]) == (409, "invalid_state")
    assert verify_ledger(session) == []


def test_cap_counts_unspent_vouchers(client: TestClient, session: Session) -> None:
    program = make_program(session)
    make_pool(session, program)
    enterprise = make_enterprise(session)
    session.commit()
    assert issue(client, program.code, enterprise.uscc, "150000.00").status_code == 201
    before = snapshot(session)
    over = issue(client, program.code, enterprise.uscc, "50000.01")
    assert (over.status_code, over.json()["error"]["code"]) == (409, "cap_exceeded")
    assert "at most 50000.00 yuan more" in over.json()["error"]["message"]
    assert snapshot(session) == before
    assert issue(client, program.code, enterprise.uscc, "50000.00").status_code == 201
    status = client.get(
        f"/v1/enterprise/{enterprise.uscc}/status", params={"program": program.code}
    ).json()
    assert (status["outstanding_yuan"], status["issuable_yuan"], status["cap_remaining_yuan"]) == (
        "200000.00",
        "0.00",
        "200000.00",
    )


def test_window_is_fixed_by_the_first_voucher_and_ends(
    client: TestClient, session: Session
) -> None:
    # A 3-month window starting 2026-04-01 ends before "today" (2026-06-15 in tests).
    program = make_program(session, window_months=2)
    make_pool(session, program)
    enterprise = make_enterprise(session)
    session.commit()
    first = issue(client, program.code, enterprise.uscc, "10.00", valid_from="2026-06-01")
    assert first.status_code == 201, first.text
    assert first.json()["valid_to"] == "2026-07-31"  # clipped to the window's last day
    status = client.get(
        f"/v1/admin/enterprises/{enterprise.uscc}/status", params={"program": program.code}
    ).json()
    assert (status["window_start"], status["window_end"]) == ("2026-06-01", "2026-07-31")
    beyond = issue(client, program.code, enterprise.uscc, "10.00", valid_to="2026-08-01")
    assert (beyond.status_code, beyond.json()["error"]["code"]) == (409, "program_not_valid")


def test_window_ended_is_refused(session: Session) -> None:
    from voucher_service.errors import WindowEnded

    program = make_program(session, window_months=1)
    make_pool(session, program, year=2026)
    enterprise = make_enterprise(session)
    make_voucher(
        session, program=program, enterprise=enterprise, face_value_fen=100, today=date(2026, 1, 10)
    )
    with pytest.raises(WindowEnded, match="ended on 2026-02-09"):
        make_voucher(
            session,
            program=program,
            enterprise=enterprise,
            face_value_fen=100,
            today=date(2026, 2, 10),
        )


def test_outside_program_validity_is_refused(client: TestClient, session: Session) -> None:
    program = make_program(session, valid_from=date(2025, 1, 1), valid_to=date(2026, 3, 31))
    make_pool(session, program, year=2025, today=date(2025, 1, 1))
    make_pool(session, program, year=2026, today=date(2025, 12, 1))
    enterprise = make_enterprise(session)
    session.commit()
    response = issue(client, program.code, enterprise.uscc, "10.00")  # today is 2026-06-15
    assert (response.status_code, response.json()["error"]["code"]) == (409, "program_not_valid")
    assert "ended on 2026-03-31: no new vouchers" in response.json()["error"]["message"]


@pytest.mark.parametrize(
    ("amount", "fragment"),
    [
        ("-5.00", "negative"),
        ("0.00", "greater than zero"),
        ("1e3", "not an amount"),
        ("10.001", "not an amount"),
        ("999999999999999", "not an amount"),
    ],
)
def test_bad_amounts_are_refused_clearly(
    client: TestClient, session: Session, amount: str, fragment: str
) -> None:
    program = make_program(session)
    make_pool(session, program)
    enterprise = make_enterprise(session)
    session.commit()
    response = issue(client, program.code, enterprise.uscc, amount)
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "invalid_input"
    assert fragment in response.json()["error"]["message"]


def test_unknown_things_are_404(client: TestClient, session: Session) -> None:
    program = make_program(session)
    make_pool(session, program)
    enterprise = make_enterprise(session)
    session.commit()
    assert (
        issue(client, "NOPE", enterprise.uscc, "1.00").json()["error"]["code"]
        == "program_not_found"
    )
    assert (
        issue(client, program.code, enterprise.uscc, "1.00", year=2030).json()["error"]["code"]
        == "pool_not_found"
    )
    from tests.factories import uscc

    missing = issue(client, program.code, uscc(), "1.00")
    assert (missing.status_code, missing.json()["error"]["code"]) == (404, "enterprise_not_found")
    response = client.get("/v1/admin/vouchers/2222-2222-2222-2222")
    assert response.json()["error"]["code"] in ("invalid_voucher_code", "voucher_not_found")


def test_expiry_returns_balances_and_is_idempotent(session: Session) -> None:
    from voucher_service.vouchers.service import expire_vouchers

    program = make_program(session)
    pool = make_pool(session, program, year=2026)
    voucher = make_voucher(
        session,
        program=program,
        face_value_fen=123_45,
        today=date(2026, 1, 5),
        valid_to=date(2026, 3, 31),
    )
    # Within the grace period nothing expires; one day after it the voucher does.
    assert expire_vouchers(session, today=date(2026, 4, 30), grace_days=30).expired == 0
    run = expire_vouchers(session, today=date(2026, 5, 1), grace_days=30)
    assert (run.expired, run.released_fen) == (1, 123_45)
    session.refresh(voucher)
    session.refresh(pool)
    assert (voucher.status, voucher.balance_fen, pool.available_fen) == (
        "expired",
        0,
        pool.total_fen,
    )
    assert expire_vouchers(session, today=date(2026, 5, 2), grace_days=30).expired == 0
    assert verify_ledger(session) == []


def test_listing_paginates_and_filters(client: TestClient, session: Session) -> None:
    program = make_program(session)
    make_pool(session, program)
    enterprises = [make_enterprise(session) for _ in range(7)]
    session.commit()
    for e in enterprises:
        assert issue(client, program.code, e.uscc, "1.00").status_code == 201
    seen, cursor = [], None
    while True:
        params = {"program": program.code, "limit": 3, **({"cursor": cursor} if cursor else {})}
        page = client.get("/v1/admin/vouchers", params=params).json()
        seen += [v["uscc"] for v in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == [e.uscc for e in enterprises]
    one = client.get("/v1/admin/vouchers", params={"uscc": enterprises[2].uscc}).json()
    assert [v["uscc"] for v in one["items"]] == [enterprises[2].uscc]
    bad = client.get("/v1/admin/vouchers", params={"cursor": "garbage"})
    assert (bad.status_code, bad.json()["error"]["code"]) == (422, "invalid_cursor")
    assert client.get("/v1/admin/vouchers", params={"status": "lost"}).status_code == 422
