"""Approvals racing for the last of a year's grant budget, each in its own transaction on
its own connection: the database holds the year's ceiling (one conditional UPDATE of the
pool), so exactly one of two approvals that together exceed it succeeds. Both databases."""

from __future__ import annotations

import threading
from datetime import date

from sqlalchemy.orm import Session

from tests.factories import acting_as, make_enterprise, make_person, make_pool, make_program
from voucher_service import audit_log
from voucher_service.books import verify_ledger
from voucher_service.db.session import create_db_engine
from voucher_service.db.tables.auth import Duty
from voucher_service.db.tables.grants import Funding, ProjectGrant
from voucher_service.db.tables.programs import Program
from voucher_service.db.types import utcnow
from voucher_service.errors import ServiceError
from voucher_service.grants import service
from voucher_service.programs.service import get_pool

TODAY = date(2026, 6, 15)
CEILING = 3_000_000_00
RACERS = 4  # each asks 2,000,000: only one fits under 3,000,000


def test_racing_approvals_never_exceed_the_year_s_ceiling(scratch_database: str) -> None:
    engine = create_db_engine(scratch_database)
    with Session(engine) as session:
        program = make_program(
            session,
            code="RACE-GRANTS",
            rate_bp=10_000,
            cap_fen=CEILING,
            window_months=12,
            pool_maximum_fen=CEILING,
            funding=Funding.GRANTS,
        )
        make_pool(session, program, year=2026, total_fen=CEILING, today=TODAY)
        reviewer = acting_as(session, make_person(session, Duty.REVIEW, name="race reviewer"))
        actor = audit_log.Actor(reviewer.id, None, f"bureau:{reviewer.name}")
        ids = [
            service.apply(
                session,
                program_code="RACE-GRANTS",
                year=2026,
                uscc=make_enterprise(session).uscc,
                title=f"project {n}",
                asked_fen=2_000_000_00,
                today=TODAY,
            ).grant.id
            for n in range(RACERS)
        ]
        program_id = program.id
        session.commit()

    barrier = threading.Barrier(RACERS)
    outcomes: list[str] = []

    def approve(grant_id: int) -> None:
        with Session(engine) as own:
            audit_log.set_actor(own, actor)  # no statement before the start: SQLite's writer
            barrier.wait()
            try:
                service.approve(own, grant_id, amount_fen=2_000_000_00, reason="", now=utcnow())
                own.commit()
                outcomes.append("approved")
            except ServiceError as exc:
                own.rollback()
                outcomes.append(str(exc.code))

    threads = [threading.Thread(target=approve, args=(i,)) for i in ids]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(outcomes) == ["approved", *["pool_insufficient"] * (RACERS - 1)]
    with Session(engine) as session:
        pool = get_pool(session, session.get_one(Program, program_id), 2026)
        assert (pool.total_fen, pool.available_fen) == (CEILING, 1_000_000_00)
        approved = [g.approved_fen for g in session.query(ProjectGrant) if g.approved_fen]
        assert approved == [2_000_000_00]
        assert verify_ledger(session) == []
    engine.dispose()
