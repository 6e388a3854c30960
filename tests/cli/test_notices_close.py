"""``voucher-service notices close``: issues what stood its notice, once, however often and
however many processes run it."""

from __future__ import annotations

import threading
from datetime import date

import pytest
from sqlalchemy import func, select

from tests.factories import make_application, make_enterprise, make_pool, make_program
from voucher_service.applications.service import approve
from voucher_service.audit_log import CLI, set_actor
from voucher_service.books import verify_ledger
from voucher_service.cli import main
from voucher_service.db.session import transaction
from voucher_service.db.tables.vouchers import Voucher
from voucher_service.db.types import utcnow
from voucher_service.notices.service import close_due

Capture = pytest.CaptureFixture[str]
TODAY = date(2026, 6, 15)


def in_notice(count: int = 1) -> list[int]:
    ids = []
    with transaction() as session:
        set_actor(session, CLI)
        program = make_program(session)
        program.notice_enabled = True
        make_pool(session, program)
        for _ in range(count):
            row = make_application(session, program=program, enterprise=make_enterprise(session))
            approve(session, row, amount_fen=None, reason="", today=TODAY, now=utcnow())
            assert row.id is not None and row.status == "in_notice"
            ids.append(row.id)
    return ids


def vouchers() -> int:
    with transaction() as session:
        return session.scalar(select(func.count()).select_from(Voucher)) or 0


def test_close_issues_once_after_the_period(cli_database: str, capsys: Capture) -> None:
    in_notice()
    assert main(["notices", "close"]) == 0  # today: the notice runs until 2026-06-22
    assert "issued 0 voucher(s)" in capsys.readouterr().out
    assert main(["notices", "close", "--today", "2026-06-23"]) == 2  # the future needs --force
    assert "would issue 1 voucher(s)" in capsys.readouterr().err
    assert vouchers() == 0
    assert main(["notices", "close", "--today", "2026-06-23", "--force"]) == 0
    assert "issued 1 voucher(s)" in capsys.readouterr().out
    assert main(["notices", "close", "--today", "2026-06-23", "--force"]) == 0
    assert "issued 0 voucher(s)" in capsys.readouterr().out
    assert vouchers() == 1
    assert main(["verify"]) == 0


def test_closing_at_once_in_two_transactions_issues_each_once(cli_database: str) -> None:
    ids = in_notice(3)
    start = threading.Barrier(2)
    issued: list[list[int]] = []
    errors: list[BaseException] = []

    def close() -> None:
        try:
            start.wait()
            with transaction() as session:
                set_actor(session, CLI)
                issued.append(close_due(session, today=date(2026, 6, 23), now=utcnow()).issued)
        except BaseException as error:  # reported below, in the test's thread
            errors.append(error)

    threads = [threading.Thread(target=close) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert errors == []
    assert sorted(i for run in issued for i in run) == ids
    assert vouchers() == 3
    with transaction() as session:
        assert verify_ledger(session) == []
