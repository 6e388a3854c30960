"""Who is told what, and when: the services' notifications in their transactions, the
scheduled ones once per day however often they run, and the mail preferences' refusals."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.factories import (
    NOW,
    Month,
    People,
    Scene,
    make_account,
    make_application,
    make_enterprise,
    make_mail_reader,
    make_month,
    make_pool,
    make_program,
    make_voucher,
    second_admin,
)
from voucher_service.config import get_settings
from voucher_service.db.tables.auth import Role
from voucher_service.db.tables.notifications import OutboxMessage
from voucher_service.errors import ErrorCode, InvalidInput
from voucher_service.notifications import scheduled
from voucher_service.notifications.events import Audience, Event
from voucher_service.notifications.service import choose_mail, inbox, mail_choice


def told(session: Session, account_id: int | None, language: str = "zh-CN") -> list[Any]:
    assert account_id is not None
    return list(reversed(inbox(session, account_id, language=language, limit=100)))


def mails(session: Session) -> list[tuple[str, str]]:
    return [
        (event, address)
        for event, address in session.execute(
            select(OutboxMessage.event, OutboxMessage.address).order_by(OutboxMessage.id)
        )
    ]


def application_body(program: str) -> dict[str, Any]:
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
    }


def test_an_application_tells_its_enterprise_each_step(
    client: TestClient, session: Session
) -> None:
    program = make_program(session)
    make_pool(session, program)
    enterprise = make_enterprise(session)
    person = make_mail_reader(
        session, "finance.chen", enterprise=enterprise, events=("application.approved",)
    )
    session.commit()
    base = f"/v1/enterprise/{enterprise.uscc}/applications"
    body = application_body(program.code)
    submitted = client.post(base, json=body).json()
    admin = f"/v1/admin/applications/{submitted['id']}"
    client.post(f"{admin}/return", json={"reason": "说明所用模型"})
    client.post(f"{base}/{submitted['id']}/resubmit", json=body)
    approved = client.post(f"{admin}/approve", json={"amount_yuan": "80.00"}).json()
    messages = told(session, person.account.id)
    assert [m.event for m in messages] == [
        Event.APPLICATION_RECEIVED,
        Event.APPLICATION_RETURNED,
        Event.APPLICATION_RECEIVED,
        Event.VOUCHER_ISSUED,
        Event.APPLICATION_APPROVED,
    ]
    assert messages[1].body == (
        f"申请编号 {submitted['id']} 被退回修改，原因：说明所用模型。请修改后重新提交。"
    )
    assert messages[3].subject == f"算力服务券已发放：{approved['voucher_code']}"
    assert messages[4].body == f"申请编号 {submitted['id']} 已批准，批准金额 80.00 元。"
    english = told(session, person.account.id, "en")[4]
    assert english.subject == f"Application approved ({program.name})"
    # Mail only for what the person chose.
    assert mails(session) == [("application.approved", "finance.chen@example.com")]


def test_a_refused_change_tells_nobody(client: TestClient, session: Session) -> None:
    program = make_program(session)
    make_pool(session, program)
    enterprise = make_enterprise(session)
    person = make_mail_reader(session, "finance.chen", enterprise=enterprise)
    session.commit()
    base = f"/v1/enterprise/{enterprise.uscc}/applications"
    submitted = client.post(base, json=application_body(program.code)).json()
    client.post("/v1/admin/blacklist", json={"uscc": enterprise.uscc, "reason": "found later"})
    refused = client.post(f"/v1/admin/applications/{submitted['id']}/approve", json={})
    assert refused.status_code == 409
    assert [m.event for m in told(session, person.account.id)] == [Event.APPLICATION_RECEIVED]
    assert [event for event, _ in mails(session)] == ["application.received"]


def test_a_statement_tells_its_provider_each_step(scene: Scene, session: Session) -> None:
    person = make_account(session, "ops.sun", Role.PROVIDER, uscc=scene.provider)
    session.commit()
    c = scene.client
    scene.post("j-1")
    c.app.state.clock = lambda: NOW + timedelta(days=20)  # type: ignore[attr-defined]
    [statement] = c.post(
        "/v1/admin/statements", json={"provider_uscc": scene.provider, "period": "2026-06"}
    ).json()["statements"]
    sid = statement["id"]
    c.post(f"/v1/admin/statements/{sid}/approve", headers=second_admin(c))
    c.post(f"/v1/admin/statements/{sid}/pay", json={"payment_reference": "WH-TREAS-1"})
    messages = told(session, person.account.id)
    assert [m.event for m in messages] == [
        Event.STATEMENT_CLOSED,
        Event.STATEMENT_APPROVED,
        Event.STATEMENT_PAID,
    ]
    assert messages[0].body == (
        f"2026-06 结算单（编号 {sid}，1 条记录，补贴金额 50.00 元）已生成，等待财务审核。"
    )
    assert (
        messages[2].body == f"2026-06 结算单（编号 {sid}）已付款 50.00 元，付款凭证号 WH-TREAS-1。"
    )


def run_jobs(session: Session, today: date) -> int:
    return sum(job(session, today, NOW, get_settings()) for _, job in scheduled.JOBS)


def test_scheduled_notifications_are_sent_once_however_often_they_run(session: Session) -> None:
    program = make_program(session)
    make_pool(session, program)
    enterprise = make_enterprise(session)
    voucher = make_voucher(
        session, program=program, enterprise=enterprise, valid_to=date(2026, 7, 10)
    )
    person = make_mail_reader(session, "finance.chen", enterprise=enterprise)
    reviewer = make_account(session, "reviewer.li", Role.BUREAU_REVIEWER)
    make_application(session, program=program)
    today = date(2026, 6, 15)
    assert run_jobs(session, today) == 2  # the voucher's holder and the reviewer
    assert run_jobs(session, today) == 0
    [expiring] = told(session, person.account.id)[-1:]
    assert (expiring.event, expiring.subject) == (
        Event.VOUCHER_EXPIRING,
        f"算力服务券即将到期：{voucher.code}",
    )
    [waiting] = told(session, reviewer.account.id)
    assert waiting.subject == "有 1 份申请待审核"
    # The next day: the reviewer again (still waiting), the voucher's holder not.
    assert run_jobs(session, today + timedelta(days=1)) == 1
    assert [e for e, _ in mails(session)].count("voucher.expiring") == 1


def test_a_providers_refused_records_come_as_a_daily_digest(
    client: Any, session: Session, people: People
) -> None:
    month: Month = make_month(client, session, people)
    assert month.provider
    day = get_settings().today(NOW)
    assert run_jobs(session, day + timedelta(days=1)) >= 1
    assert run_jobs(session, day + timedelta(days=1)) == 0
    [digest] = [
        m for m in told(session, people.provider.account.id) if m.event == Event.RECORDS_REFUSED
    ]
    assert digest.subject == f"{day} 有 1 条用量记录被拒绝"


@pytest.mark.parametrize(
    ("address", "events", "code"),
    [
        ("not an address", ["voucher.issued"], ErrorCode.INVALID_ADDRESS),
        ("", ["voucher.issued"], ErrorCode.INVALID_ADDRESS),
        ("a@example.com", ["statement.paid"], ErrorCode.INVALID_EVENT),  # a provider's event
        ("a@example.com", ["no.such.event"], ErrorCode.INVALID_EVENT),
        ("x" * 250 + "@example.com", [], ErrorCode.INVALID_ADDRESS),
    ],
)
def test_bad_mail_preferences_are_refused_and_change_nothing(
    session: Session, address: str, events: list[str], code: ErrorCode
) -> None:
    person = make_mail_reader(session, "finance.chen", events=("voucher.issued",))
    assert person.account.id is not None
    before = mail_choice(session, person.account.id, Audience.ENTERPRISE)
    with pytest.raises(InvalidInput) as refused:
        choose_mail(
            session,
            person.account.id,
            Audience.ENTERPRISE,
            address=address,
            events=events,
            now=NOW,
        )
    assert refused.value.code == code
    assert mail_choice(session, person.account.id, Audience.ENTERPRISE) == before
