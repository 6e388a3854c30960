"""The inbox page of every person: their own messages in their language, the unread count in
the menu, marking read (another's message is 404), and the mail preferences form."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.factories import Browser, People, csrf_of, post_form
from voucher_service.db.tables.auth import Duty
from voucher_service.db.tables.notifications import InboxMessage
from voucher_service.notifications import Event, notify, of_bureau, of_enterprise
from voucher_service.notifications.events import Audience
from voucher_service.notifications.service import mail_choice, unread_count


def tell_the_enterprise(session: Session, people: People) -> None:
    enterprise = people.enterprise.principal.enterprise_id
    for code in ("V-1", "V-2"):
        notify(
            session,
            Event.VOUCHER_EXPIRED,
            of_enterprise(enterprise),
            voucher=code,
            released="12.50",
        )
    session.commit()


def test_a_person_reads_their_messages_and_marks_them_read(
    session: Session, people: People, browser: Browser
) -> None:
    tell_the_enterprise(session, people)
    me = browser("finance.chen")
    page = me.get("/console/inbox")
    assert page.status_code == 200
    assert 'class="nav-count"' in page.text and ">2</span>" in page.text  # the menu's count
    assert "算力服务券已过期：V-2" in page.text and "未使用的余额 12.50 元已退回券池" in page.text
    english = me.get("/console/inbox?lang=en").text
    assert "Voucher expired: V-1" in english
    account = people.enterprise.account.id
    assert account is not None
    first = session.scalars(
        select(InboxMessage.id).where(InboxMessage.account_id == account)
    ).first()
    # Another person cannot mark it: 404, nothing changed.
    other = browser("finance.zhou")
    refused = other.post(
        f"/console/inbox/{first}/read",
        data={"csrf_token": csrf_of(other.get("/console/inbox").text)},
    )
    assert refused.status_code == 404
    assert unread_count(session, account) == 2
    done = me.post(
        f"/console/inbox/{first}/read",
        data={"csrf_token": csrf_of(page.text)},
        follow_redirects=False,
    )
    assert done.status_code == 303
    session.expire_all()
    assert unread_count(session, account) == 1
    post_form(me, "/console/inbox", "/console/inbox/read")
    session.expire_all()
    assert unread_count(session, account) == 0
    assert 'class="nav-count"' not in me.get("/console/inbox").text


def test_the_bureau_and_providers_have_an_inbox_too(
    session: Session, people: People, browser: Browser
) -> None:
    notify(
        session,
        Event.APPLICATIONS_WAITING,
        of_bureau(Duty.REVIEW),
        day="2026-06-15",
        count=3,
        oldest="2026-06-01",
    )
    session.commit()
    assert "有 3 份申请待审核" in browser("reviewer.li").get("/console/inbox").text
    assert "有 3 份申请待审核" not in browser("caiwu.liu").get("/console/inbox").text
    assert "暂无消息" in browser("ops.sun").get("/console/inbox").text


def test_a_person_chooses_which_events_come_by_mail(
    session: Session, people: People, browser: Browser
) -> None:
    me = browser("ops.sun")
    form = me.get("/console/inbox/mail").text
    assert 'value="statement.paid"' in form and 'value="voucher.issued"' not in form
    refused = post_form(
        me,
        "/console/inbox/mail",
        "/console/inbox/mail",
        address="not-an-address",
        events=["statement.paid"],
    )
    assert refused.status_code == 422 and "邮箱地址无效" in refused.text
    account = people.provider.account.id
    assert account is not None
    assert mail_choice(session, account, Audience.PROVIDER).address == ""
    saved = post_form(
        me,
        "/console/inbox/mail",
        "/console/inbox/mail",
        address="ops@example.com",
        events=["statement.paid", "statement.approved"],
    )
    assert saved.status_code == 303
    session.expire_all()
    choice = mail_choice(session, account, Audience.PROVIDER)
    assert (choice.address, choice.events) == (
        "ops@example.com",
        frozenset({Event.STATEMENT_PAID, Event.STATEMENT_APPROVED}),
    )
    assert "邮件通知设置已保存" in me.get("/console/inbox?done=mail").text
