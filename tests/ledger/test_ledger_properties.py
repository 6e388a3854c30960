"""Property: whatever sequence of issuances, revocations and expiries happens, the books hold
(verify finds nothing), refused operations change nothing, and no one exceeds the cap."""

from __future__ import annotations

from datetime import date, timedelta

from hypothesis import HealthCheck, event, example, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tests.factories import make_enterprise, make_pool, make_program
from voucher_service.books import verify_ledger
from voucher_service.db.tables.ledger import LedgerPosting
from voucher_service.db.tables.programs import Pool
from voucher_service.db.tables.vouchers import Voucher
from voucher_service.errors import Conflict
from voucher_service.programs.service import pool_totals
from voucher_service.vouchers.service import expire_vouchers, issue_voucher, revoke_voucher

CAP_FEN, POOL_FEN = 600_00, 900_00

operations = st.lists(
    st.one_of(
        st.tuples(st.just("issue"), st.integers(0, 3), st.integers(1, 500_00)),
        st.tuples(st.just("issue"), st.integers(0, 1), st.integers(1, 500_00)),
        st.tuples(st.just("revoke"), st.integers(0, 20), st.just(0)),
        st.tuples(st.just("expire"), st.integers(0, 400), st.just(0)),
    ),
    max_size=30,
)


def state(session: Session) -> tuple[int, int, int]:
    return (
        session.scalar(select(func.count()).select_from(LedgerPosting)) or 0,
        session.scalar(select(func.count()).select_from(Voucher)) or 0,
        session.scalar(select(func.sum(Pool.available_fen))) or 0,
    )


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(operations)
@example([("issue", 0, 500_00), ("issue", 1, 500_00), ("revoke", 0, 0), ("issue", 1, 500_00)])
@example([("issue", 0, 400_00), ("issue", 0, 300_00), ("expire", 400, 0), ("issue", 0, 1)])
def test_the_books_hold_under_any_sequence(
    session: Session, ops: list[tuple[str, int, int]]
) -> None:
    savepoint = session.begin_nested()
    try:
        program = make_program(session, cap_fen=CAP_FEN)
        pool = make_pool(session, program, year=2026, total_fen=POOL_FEN)
        enterprises = [make_enterprise(session) for _ in range(4)]
        issued: list[Voucher] = []
        today = date(2026, 1, 2)
        for op, a, b in ops:
            before = state(session)
            try:
                with session.begin_nested():
                    if op == "issue":
                        issued.append(
                            issue_voucher(
                                session,
                                program=program,
                                year=2026,
                                enterprise=enterprises[a],
                                face_value_fen=b,
                                today=today,
                            )
                        )
                    elif op == "revoke" and issued:
                        revoke_voucher(session, issued[a % len(issued)], reason="property test")
                    elif op == "expire":
                        expire_vouchers(session, today=today + timedelta(days=a), grace_days=30)
                event(f"{op}: done")
            except Conflict as refusal:
                event(f"{op}: {refusal.code}")
                assert state(session) == before  # a refusal writes nothing
            assert verify_ledger(session) == []
            totals = pool_totals(session, pool)
            assert (
                totals.total_fen
                == totals.available_fen + totals.outstanding_fen + totals.consumed_fen
            )
            for enterprise in enterprises:
                promised = session.scalar(
                    select(func.coalesce(func.sum(Voucher.balance_fen), 0)).where(
                        Voucher.enterprise_id == enterprise.id, Voucher.status == "active"
                    )
                )
                assert promised <= CAP_FEN
    finally:
        savepoint.rollback()
