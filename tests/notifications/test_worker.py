"""The outbox and its worker, on committed data and a real SMTP server: mail arrives in
Chinese, once; nothing is sent for a change that rolled back; nothing is lost while the mail
server is down; two workers never send one message twice; delivered rows are pruned."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import timedelta

import pytest
from sqlalchemy import Engine, func, select

from tests.factories import NOW, make_enterprise, make_mail_reader
from tests.mailbox import smtp_server
from tests.served import free_port
from voucher_service.audit_log import CLI, set_actor
from voucher_service.config import Settings
from voucher_service.db.session import create_db_engine, transaction
from voucher_service.db.tables.notifications import InboxMessage, OutboxMessage, OutboxStatus
from voucher_service.notifications import Event, notify, of_enterprise
from voucher_service.notifications.service import mark_all_read
from voucher_service.notifications.worker import Worker


@pytest.fixture
def engine(scratch_database: str) -> Iterator[Engine]:
    made = create_db_engine(scratch_database)
    yield made
    made.dispose()


def settings(port: int, **changes: object) -> Settings:
    return Settings(
        smtp_host="127.0.0.1",
        smtp_port=port,
        smtp_tls="none",
        worker_backoff_seconds=60,
        **changes,  # type: ignore[arg-type]
    )


def reader(engine: Engine, login: str = "finance.chen") -> int:
    """An enterprise with one person who wants every event by mail; the enterprise's id."""
    with transaction(engine) as session:
        enterprise = make_enterprise(session)
        make_mail_reader(session, login, enterprise=enterprise)
        assert enterprise.id is not None
        return enterprise.id


def issued(engine: Engine, enterprise_id: int, code: str = "V-2026-0001") -> None:
    with transaction(engine) as session:
        notify(
            session,
            Event.VOUCHER_ISSUED,
            of_enterprise(enterprise_id),
            now=NOW,
            voucher=code,
            program="算力券测试",
            amount="5000.00",
            valid_from="2026-06-15",
            valid_to="2026-12-31",
        )


def statuses(engine: Engine) -> list[tuple[str, int]]:
    with transaction(engine) as session:
        return [
            (status, attempts)
            for status, attempts in session.execute(
                select(OutboxMessage.status, OutboxMessage.attempts).order_by(OutboxMessage.id)
            )
        ]


def test_a_mail_arrives_in_chinese_once(engine: Engine) -> None:
    enterprise = reader(engine)
    issued(engine, enterprise)
    with smtp_server() as (port, mailbox):
        worker = Worker(engine, settings(port), clock=lambda: NOW)
        assert worker.run_once() == 1
        assert worker.run_once() == 0
    [mail] = mailbox.mails
    assert mail["Subject"] == "【算力服务券】算力服务券已发放：V-2026-0001"
    assert mail["To"] == "finance.chen@example.com"
    body = mail.get_body(("plain",))
    assert body is not None
    text = body.get_content()
    assert "finance.chen 测试，您好" in text
    assert "面额 5000.00 元，有效期 2026-06-15 至 2026-12-31" in text
    assert statuses(engine) == [(OutboxStatus.SENT, 1)]


def test_nothing_is_sent_for_a_change_that_rolled_back(engine: Engine) -> None:
    enterprise = reader(engine)
    with pytest.raises(RuntimeError), transaction(engine) as session:
        set_actor(session, CLI)
        notify(session, Event.VOUCHER_EXPIRED, of_enterprise(enterprise), voucher="V", released="1")
        raise RuntimeError("the change failed after the notification was written")
    with smtp_server() as (port, mailbox):
        assert Worker(engine, settings(port), clock=lambda: NOW).run_once() == 0
    assert mailbox.mails == []
    with transaction(engine) as session:
        assert session.scalar(select(func.count()).select_from(InboxMessage)) == 0
        assert session.scalar(select(func.count()).select_from(OutboxMessage)) == 0


def test_nothing_is_lost_while_the_mail_server_is_down(engine: Engine) -> None:
    enterprise = reader(engine)
    issued(engine, enterprise)
    port = free_port()  # nothing listens there yet
    clock = [NOW]
    worker = Worker(engine, settings(port), clock=lambda: clock[0])
    assert worker.run_once() == 1  # refused: queued again, after the backoff
    assert statuses(engine) == [(OutboxStatus.QUEUED, 1)]
    with transaction(engine) as session:
        row = session.scalars(select(OutboxMessage)).one()
        assert row.next_attempt_at == NOW + timedelta(seconds=60)
        assert row.last_error and "Connection" in row.last_error
    with smtp_server(port=port) as (_, mailbox):
        assert worker.run_once() == 0  # not due yet
        clock[0] = NOW + timedelta(seconds=61)
        assert worker.run_once() == 1
        assert worker.run_once() == 0
    assert len(mailbox.mails) == 1
    assert statuses(engine) == [(OutboxStatus.SENT, 2)]


def test_a_message_is_dead_after_its_attempts(engine: Engine) -> None:
    enterprise = reader(engine)
    issued(engine, enterprise)
    clock = [NOW]
    worker = Worker(engine, settings(free_port(), worker_max_attempts=3), clock=lambda: clock[0])
    for _ in range(5):
        worker.run_once()
        clock[0] += timedelta(hours=2)
    assert statuses(engine) == [(OutboxStatus.DEAD, 3)]


def test_two_workers_never_send_one_message_twice(engine: Engine) -> None:
    enterprise = reader(engine)
    for n in range(40):
        issued(engine, enterprise, code=f"V-2026-{n:04d}")
    with smtp_server() as (port, mailbox):
        workers = [Worker(engine, settings(port, worker_batch=3)) for _ in range(2)]

        def run(worker: Worker) -> None:
            while worker.run_once():
                pass

        threads = [threading.Thread(target=run, args=(w,)) for w in workers]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=120)
    assert len(mailbox.mails) == 40
    assert len(set(mailbox.ids())) == 40
    assert statuses(engine) == [(OutboxStatus.SENT, 1)] * 40


def test_the_outbox_does_not_grow_without_bound(engine: Engine) -> None:
    """Two weeks of daily mail with 5 days' retention: the tables hold about 5 days' rows."""
    enterprise = reader(engine)
    clock = [NOW]
    with smtp_server() as (port, mailbox):
        worker = Worker(
            engine, settings(port, notification_retention_days=5), clock=lambda: clock[0]
        )
        sizes = []
        for day in range(15):
            issued(engine, enterprise, code=f"V-{day}")
            worker.run_once()
            with transaction(engine) as session:
                (person,) = session.scalars(select(InboxMessage.account_id).distinct())
                mark_all_read(session, person, now=clock[0])
            worker.run_jobs()
            with transaction(engine) as session:
                sizes.append(
                    (
                        session.scalar(select(func.count()).select_from(OutboxMessage)),
                        session.scalar(select(func.count()).select_from(InboxMessage)),
                    )
                )
            clock[0] += timedelta(days=1)
    assert len(mailbox.mails) == 15
    assert max(outbox for outbox, _ in sizes) <= 6
    assert max(inbox for _, inbox in sizes) <= 6
    assert sizes[-1] == (6, 6)


def test_without_an_smtp_server_mail_is_written_to_the_log(
    engine: Engine, caplog: pytest.LogCaptureFixture
) -> None:
    enterprise = reader(engine)
    issued(engine, enterprise)
    caplog.set_level("INFO", logger="voucher_service.notifications.mail")
    worker = Worker(engine, Settings(smtp_host=""), clock=lambda: NOW)
    assert worker.run_once() == 1
    assert "算力服务券已发放：V-2026-0001" in caplog.text
    assert "finance.chen@example.com" in caplog.text
    assert statuses(engine) == [(OutboxStatus.SENT, 1)]
