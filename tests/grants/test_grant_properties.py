"""Any sequence of grant approvals, milestones, acceptances and payments keeps the year's
approved total within its ceiling and each grant's instalments within its approved amount;
a refusal writes nothing, and ``verify`` stays clean (property-tested, both databases)."""

from __future__ import annotations

from datetime import date

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tests.factories import acting_as, make_enterprise, make_person, make_pool, make_program
from voucher_service.books import verify_ledger
from voucher_service.db.tables.auth import Duty
from voucher_service.db.tables.grants import Funding, GrantMilestone, ProjectGrant
from voucher_service.db.tables.ledger import LedgerPosting
from voucher_service.db.types import utcnow
from voucher_service.errors import ServiceError
from voucher_service.grants import service

TODAY = date(2026, 6, 15)
CEILING = 1_000_00
operations = st.lists(
    st.tuples(
        st.sampled_from(["approve", "milestone", "accept", "pay"]),
        st.integers(0, 3),
        st.integers(1, 600_00),
    ),
    max_size=25,
)


def state(session: Session) -> tuple[int, int, int]:
    return (
        session.scalar(select(func.count()).select_from(LedgerPosting)) or 0,
        session.scalar(select(func.count()).select_from(GrantMilestone)) or 0,
        session.scalar(select(func.coalesce(func.sum(ProjectGrant.paid_fen), 0))) or 0,
    )


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(operations)
def test_the_ceiling_and_the_approved_amounts_hold_under_any_sequence(
    session: Session, ops: list[tuple[str, int, int]]
) -> None:
    savepoint = session.begin_nested()
    try:
        program = make_program(
            session,
            code="PROP-GRANTS",
            rate_bp=10_000,
            cap_fen=CEILING,
            window_months=12,
            pool_maximum_fen=CEILING,
            funding=Funding.GRANTS,
        )
        pool = make_pool(session, program, year=2026, total_fen=CEILING, today=TODAY)
        # One person reviews and another pays: each action is done by who may do it.
        reviewer = make_person(session, Duty.REVIEW)
        payer = make_person(session, Duty.FINANCE)
        acting_as(session, reviewer)
        grants = [
            service.apply(
                session,
                program_code="PROP-GRANTS",
                year=2026,
                uscc=make_enterprise(session).uscc,
                title=f"project {n}",
                asked_fen=600_00,
                today=TODAY,
            ).grant.id
            for n in range(4)
        ]
        for op, which, amount in ops:
            grant_id = grants[which] or 0
            before = state(session)
            try:
                with session.begin_nested():
                    acting_as(session, payer if op == "pay" else reviewer)
                    milestones = service.get_grant(session, grant_id).milestones
                    if op == "approve":
                        service.approve(
                            session, grant_id, amount_fen=amount, reason="", now=utcnow()
                        )
                    elif op == "milestone":
                        service.add_milestone(session, grant_id, description="m", amount_fen=amount)
                    elif milestones:
                        target = milestones[amount % len(milestones)].id or 0
                        act = service.accept_milestone if op == "accept" else service.pay_milestone
                        act(session, grant_id, target, now=utcnow())
            except ServiceError:
                assert state(session) == before
            session.refresh(pool)
            rows = session.scalars(
                select(ProjectGrant).execution_options(populate_existing=True)
            ).all()
            approved = sum(g.approved_fen or 0 for g in rows)
            assert approved + pool.available_fen == CEILING
            assert all(g.paid_fen <= (g.approved_fen or 0) for g in rows)
        assert verify_ledger(session) == []
    finally:
        savepoint.rollback()
