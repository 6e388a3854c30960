"""Separation of duties (docs/access.md): who holds which duties, who gives them, and the
statement's maker-checker rule in the service and in the database."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from tests.factories import (
    NOW,
    TODAY,
    acting_as,
    bureau_person,
    make_key,
    make_person,
    make_provider,
    sysadmin,
)
from voucher_service.accounts.service import create_account
from voucher_service.auth.duties import check_duties, conflict
from voucher_service.db.tables.auth import LEGACY_DUTIES, Duty, Role
from voucher_service.errors import Forbidden, InvalidInput
from voucher_service.settlement.service import approve_statement, close_month, pay_statement


def test_which_duties_one_person_may_hold() -> None:
    assert conflict({Duty.PROGRAM, Duty.REVIEW, Duty.FINANCE}) is None
    assert conflict({Duty.SYSTEM}) is None
    for money in (Duty.PROGRAM, Duty.REVIEW, Duty.FINANCE):
        assert "moves no money" in (conflict({Duty.SYSTEM, money}) or "")
    for other in set(Duty) - {Duty.AUDIT}:
        assert "no other duty" in (conflict({Duty.AUDIT, other}) or "")
    # The legacy roles keep working under the documented mapping, which breaks no rule.
    assert LEGACY_DUTIES[Role.BUREAU_ADMIN] == {Duty.PROGRAM, Duty.REVIEW, Duty.FINANCE}
    assert all(conflict(duties) is None for duties in LEGACY_DUTIES.values())
    assert check_duties(Role.BUREAU_ADMIN, ()) == LEGACY_DUTIES[Role.BUREAU_ADMIN]
    with pytest.raises(InvalidInput, match="at least one duty"):
        check_duties(Role.BUREAU, ())
    with pytest.raises(InvalidInput, match="fixed duties"):
        check_duties(Role.AUDITOR, {Duty.FINANCE})


def _account(session: Session, login: str, *duties: Duty) -> int:
    person = create_account(
        session,
        login=login,
        display_name=login,
        role=Role.BUREAU,
        password="a-long-passphrase-2026",
        duties=frozenset(duties),
        now=NOW,
    )
    session.commit()
    assert person.account.id is not None
    return person.account.id


def test_a_system_administrator_gives_duties_but_never_their_own(
    client: TestClient, session: Session
) -> None:
    clerk = _account(session, "clerk.ma", Duty.REVIEW)
    it = sysadmin(client)
    changed = client.put(
        f"/v1/admin/accounts/{clerk}/duties", json={"duties": ["review", "finance"]}, headers=it
    )
    assert changed.status_code == 200 and changed.json()["duties"] == ["finance", "review"]
    conflicting = client.put(
        f"/v1/admin/accounts/{clerk}/duties", json={"duties": ["sysadmin", "finance"]}, headers=it
    )
    assert (conflicting.status_code, conflicting.json()["error"]["code"]) == (
        422,
        "duties_conflict",
    )
    # A system administrator's own account and key (one principal: the same person).
    own = _account(session, "it.ma", Duty.SYSTEM)
    mine = {"Authorization": f"Bearer {make_key(session, Role.BUREAU, holder='it.ma')}"}
    session.commit()
    for duties in (["sysadmin", "finance"], ["finance"]):
        refused = client.put(
            f"/v1/admin/accounts/{own}/duties", json={"duties": duties}, headers=mine
        )
        assert (refused.status_code, refused.json()["error"]["code"]) == (403, "self_grant")
    # Nor can anyone without the duty: the old bureau_admin, finance, an auditor.
    for who in ({}, bureau_person(client, Duty.FINANCE), bureau_person(client, Duty.AUDIT)):
        put = client.put(
            f"/v1/admin/accounts/{clerk}/duties", json={"duties": ["finance"]}, headers=who
        )
        assert put.status_code == 403
    trail = client.get("/v1/admin/audit", params={"action": "principal.duties"}, headers=it).json()[
        "items"
    ]
    assert [(e["actor"], e["before"], e["after"]) for e in trail] == [
        ("bureau:test sysadmin", {"duties": "review"}, {"duties": "finance,review"})
    ]


def test_a_system_administrator_cannot_close_approve_or_pay(
    client: TestClient, session: Session
) -> None:
    provider = make_provider(session, offerings=())
    session.commit()
    it = sysadmin(client)
    body = {"provider_uscc": provider.uscc, "period": "2026-05"}
    assert client.post("/v1/admin/statements", json=body, headers=it).status_code == 403
    [statement] = client.post("/v1/admin/statements", json=body).json()["statements"]
    for verb, payload in (("approve", None), ("pay", {"payment_reference": "T-1"})):
        refused = client.post(
            f"/v1/admin/statements/{statement['id']}/{verb}", json=payload, headers=it
        )
        assert refused.status_code == 403, verb


def test_the_service_refuses_the_same_person_whichever_door(session: Session) -> None:
    """Called directly (as the console and the command line call it): the closer never
    approves, the approver never pays, nobody unnamed moves money; two people suffice."""
    provider = make_provider(session, offerings=())
    wang, li = make_person(session, Duty.FINANCE), make_person(session, Duty.FINANCE)
    with pytest.raises(Forbidden, match="needs a named person"):
        close_month(session, provider, "2026-05", today=TODAY, now=NOW)
    acting_as(session, wang)
    [statement], _ = close_month(session, provider, "2026-05", today=TODAY, now=NOW)
    with pytest.raises(Forbidden, match="closed a statement") as same:
        approve_statement(session, statement, now=NOW)
    assert same.value.code == "same_person"
    acting_as(session, li)
    approve_statement(session, statement, now=NOW)
    with pytest.raises(Forbidden, match="approved a statement"):
        pay_statement(session, statement, reference="T-1", now=NOW)
    acting_as(session, wang)
    paid = pay_statement(session, statement, reference="T-1", now=NOW)
    assert (paid.closed_by_id, paid.approved_by_id, paid.paid_by_id) == (wang.id, li.id, wang.id)


def test_the_database_refuses_the_same_person_in_both_places(session: Session) -> None:
    provider = make_provider(session, offerings=())
    acting_as(session, make_person(session, Duty.FINANCE))
    li = make_person(session, Duty.FINANCE)
    [statement], _ = close_month(session, provider, "2026-05", today=TODAY, now=NOW)
    for sql in (
        "UPDATE statement SET approved_by_id = closed_by_id WHERE id = :id",
        "UPDATE statement SET approved_by_id = :li, paid_by_id = :li WHERE id = :id",
    ):
        with pytest.raises(IntegrityError), session.begin_nested():
            session.execute(text(sql), {"id": statement.id, "li": li.id})
