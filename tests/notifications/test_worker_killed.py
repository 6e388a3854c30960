"""The worker as deployed (`voucher-service worker`, a real process) killed with SIGKILL in
the middle of a conversation with the mail server: a second worker sends everything the
first had not, and nothing twice; SIGTERM stops a worker cleanly."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path

import pytest
from sqlalchemy import select

from tests.factories import NOW, make_account, make_enterprise
from tests.mailbox import Mailbox, smtp_server
from tests.served import command
from voucher_service.db.session import create_db_engine, transaction
from voucher_service.db.tables.auth import Role
from voucher_service.db.tables.notifications import OutboxMessage
from voucher_service.notifications import Event, notify, of_enterprise
from voucher_service.notifications.events import Audience
from voucher_service.notifications.service import choose_mail

pytestmark = pytest.mark.slow
PEOPLE = 6


def start_worker(database_url: str, port: int, log: Path) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "VOUCHER_DATABASE_URL": database_url,
        "VOUCHER_SMTP_HOST": "127.0.0.1",
        "VOUCHER_SMTP_PORT": str(port),
        "VOUCHER_SMTP_TLS": "none",
        "VOUCHER_WORKER_POLL_SECONDS": "0.2",
        "VOUCHER_WORKER_LEASE_SECONDS": "2",
        "VOUCHER_WORKER_BATCH": "2",
    }
    with open(log, "ab") as out:
        return subprocess.Popen(
            [command(), "worker"], env=env, stdout=out, stderr=subprocess.STDOUT
        )


def wait_for(condition: object, seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():  # type: ignore[operator]
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


def test_a_worker_killed_mid_send_loses_nothing_and_sends_nothing_twice(
    scratch_database: str, tmp_path: Path
) -> None:
    engine = create_db_engine(scratch_database)
    with transaction(engine) as session:
        enterprise = make_enterprise(session)
        for n in range(PEOPLE):
            person = make_account(session, f"person{n}", Role.ENTERPRISE, uscc=enterprise.uscc)
            assert person.account.id is not None
            choose_mail(
                session,
                person.account.id,
                Audience.ENTERPRISE,
                address=f"p{n}@example.com",
                events=[Event.VOUCHER_EXPIRED.value],
                now=NOW,
            )
        notify(
            session, Event.VOUCHER_EXPIRED, of_enterprise(enterprise.id), voucher="V", released="9"
        )
    log = tmp_path / "worker.log"
    # The third person's mail is held at RCPT: the first worker dies there, mid-conversation.
    with smtp_server(Mailbox(hold=frozenset({"p2@example.com"}))) as (port, mailbox):
        first = start_worker(scratch_database, port, log)
        try:
            assert mailbox.holding.wait(60), log.read_text()
        finally:
            first.send_signal(signal.SIGKILL)
            first.wait(10)
        sent_before = len(mailbox.mails)
        mailbox.release.set()
        second = start_worker(scratch_database, port, log)
        try:
            wait_for(lambda: len(mailbox.mails) >= PEOPLE, 60, "every mail")
            time.sleep(0.5)  # anything sent twice would arrive now
        finally:
            second.send_signal(signal.SIGTERM)
            assert second.wait(20) == 0, log.read_text()
    assert sent_before == 2
    assert sorted(str(m["To"]) for m in mailbox.mails) == [
        f"p{n}@example.com" for n in range(PEOPLE)
    ]
    assert len(set(mailbox.ids())) == PEOPLE
    with transaction(engine) as session:
        rows = session.execute(
            select(OutboxMessage.status, OutboxMessage.attempts).order_by(OutboxMessage.id)
        ).all()
    # The first worker's second batch (the held mail and the one after it) was claimed twice.
    assert [tuple(row) for row in rows] == [
        ("sent", 1),
        ("sent", 1),
        ("sent", 2),
        ("sent", 2),
        ("sent", 1),
        ("sent", 1),
    ]
    assert "stopped" in log.read_text()
    engine.dispose()
