"""A cap per subsidy year beside the lifetime cap under load from several API processes on one
database (CI runs it on SQLite and PostgreSQL): each subsidy moves its year's counter and the
lifetime counter under the same locks, so neither cap is ever exceeded, whichever binds."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.factories import (
    make_enterprise,
    make_pool,
    make_program,
    make_rule_version,
    usage_body,
    uscc,
)
from tests.usage.test_concurrent_metering import KEYS, PROCESSES, storm
from voucher_service.auth.service import create_key, principal_for
from voucher_service.books import verify_ledger
from voucher_service.config import get_settings
from voucher_service.db.session import create_db_engine
from voucher_service.db.tables.auth import Role
from voucher_service.db.tables.enterprises import Enrolment, Enterprise
from voucher_service.db.tables.ledger import CapUsage
from voucher_service.db.types import utcnow
from voucher_service.domain.rules import CapScope
from voucher_service.programs.service import RuleNumbers
from voucher_service.providers.service import register_provider
from voucher_service.redemptions.service import redeem
from voucher_service.vouchers.service import issue_voucher
from voucher_tools.localcluster import api_processes

pytestmark = pytest.mark.slow

YEAR_CAP, LIFETIME_CAP = 500_00, 800_00


def posted(urls: list[str], provider: str, bodies: list[dict[str, Any]]) -> list[Any]:
    """``storm``, posting again what the service was too busy to take (503 overloaded: a
    client retries; a record is exactly-once, so a retry is safe)."""
    done: list[Any] = []
    while bodies:
        replies = storm(urls, provider, bodies)
        done += [reply for reply in replies if reply[1] != 503]
        bodies = [sent for sent, status, _ in replies if status == 503]
    return done


def body(record_id: str, voucher: str, holder: str, end: datetime, fee: str) -> dict[str, Any]:
    return usage_body(record_id, voucher, holder, fee, start=end - timedelta(minutes=50), end=end)


@pytest.fixture
def year_caps_world(scratch_database: str) -> dict[str, Any]:
    """A program with a lifetime cap of 1,000.00 until yesterday, then 800.00 over the window
    and 500.00 a subsidy year; two enterprises holding 1,000.00 of vouchers each; one of them
    subsidised 400.00 (on the lifetime counter alone) five days ago."""
    engine = create_db_engine(scratch_database)
    settings = get_settings()
    today = settings.today()
    start = today - timedelta(days=10)
    with Session(engine) as session:
        program = make_program(
            session,
            code="BOTH-CAPS",
            cap_fen=1_000_00,
            valid_from=start.replace(month=1, day=1),
            valid_to=today.replace(year=today.year + 1),
        )
        make_pool(session, program, year=start.year, total_fen=100_000_00)
        provider = register_provider(
            session, uscc=uscc(division="420100"), name="load provider", offerings=[]
        )
        world: dict[str, Any] = {"provider": provider.uscc}
        for name in ("lifetime_binds", "year_binds"):
            enterprise = make_enterprise(session)
            codes = []
            for face in (600_00, 400_00):
                voucher = issue_voucher(
                    session,
                    program=program,
                    year=start.year,
                    enterprise=enterprise,
                    face_value_fen=face,
                    today=start,
                    valid_from=start,
                )
                redeem(session, enterprise=enterprise, voucher_code=voucher.code, provider=provider)
                codes.append(voucher.code)
            world[name] = (codes, enterprise.uscc)
        principal = principal_for(session, Role.PROVIDER, provider=provider)
        KEYS[provider.uscc] = create_key(session, principal, name="load", now=utcnow()).key
        make_rule_version(
            session,
            program,
            RuleNumbers(
                effective_from=today - timedelta(days=1),
                rate_bp=5000,
                cap_fen=LIFETIME_CAP,
                cap_scope=CapScope.LIFETIME,
                window_months=36,
                pool_minimum_fen=0,
                year_cap_fen=YEAR_CAP,
            ),
            today=today - timedelta(days=1),
        )
        session.commit()
    engine.dispose()
    return world


def test_both_caps_hold_under_concurrency(
    year_caps_world: dict[str, Any], scratch_database: str, tmp_path: Path
) -> None:
    provider = year_caps_world["provider"]
    tz = get_settings().tz
    now = datetime.now(tz) - timedelta(minutes=5)
    (a1, a2), lifetime_holder = year_caps_world["lifetime_binds"]
    (b1, b2), year_holder = year_caps_world["year_binds"]
    with api_processes(scratch_database, PROCESSES, tmp_path) as urls:
        # Five days ago, under the lifetime cap alone: 400.00 on the lifetime counter.
        [(_, status, early)] = posted(
            urls, provider, [body("early", a1, lifetime_holder, now - timedelta(days=5), "800.00")]
        )
        assert (status, early["subsidy_yuan"]) == (201, "400.00"), early
        # Today: 40 posts of 20.00 each for both enterprises, on both their vouchers at once.
        bodies = [
            body(f"{who}-{i}", (v1, v2)[i % 2], holder, now, "40.00")
            for i in range(40)
            for who, (v1, v2), holder in (
                ("a", (a1, a2), lifetime_holder),
                ("b", (b1, b2), year_holder),
            )
        ]
        replies = posted(urls, provider, bodies)

    def paid(prefix: str) -> int:
        return sum(
            int(reply["subsidy_yuan"].replace(".", ""))
            for sent, status, reply in replies
            if status == 201 and sent["record_id"].startswith(prefix)
        )

    # The first enterprise: 800.00 - 400.00 left over the window binds before the year's
    # 500.00; the second: the year's 500.00 binds before the window's 800.00.
    assert [(s, r) for _, s, r in replies if s != 201] == []
    assert (paid("a-"), paid("b-")) == (LIFETIME_CAP - 400_00, YEAR_CAP)
    # (the first voucher of the first enterprise, 200.00 left after the early record, may
    # run out before the cap does)
    refused = {r["reason"] for _, _, r in replies if r["outcome"] == "refused"}
    assert "cap_reached" in refused and refused <= {"cap_reached", "voucher_exhausted"}
    engine = create_db_engine(scratch_database)
    with Session(engine) as session:
        held = {
            (uscc_, period): used
            for uscc_, period, used in session.execute(
                select(Enterprise.uscc, CapUsage.period, CapUsage.used_fen)
                .join(Enrolment, Enrolment.id == CapUsage.enrolment_id)
                .join(Enterprise, Enterprise.id == Enrolment.enterprise_id)
            )
        }
        assert held == {
            (lifetime_holder, 0): LIFETIME_CAP,  # 400.00 before, 400.00 today
            (lifetime_holder, 1): LIFETIME_CAP - 400_00,  # today's only
            (year_holder, 0): YEAR_CAP,
            (year_holder, 1): YEAR_CAP,
        }
        assert verify_ledger(session) == []
    engine.dispose()
