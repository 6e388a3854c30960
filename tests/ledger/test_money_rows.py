"""The ledger builds the rows that hold money: a caller says what it wants (a pool's program,
year and total; a voucher's pool, holder, face value and validity) and the ledger writes the
row with its balances and posts the money in the same step."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tests.factories import make_program, make_voucher
from voucher_service.books import verify_ledger
from voucher_service.db.tables.ledger import LedgerPosting, PostingKind
from voucher_service.db.tables.vouchers import Voucher
from voucher_service.domain.codes import new_voucher_code
from voucher_service.ledger import service as ledger


def postings(session: Session, kind: PostingKind) -> list[tuple[str, str, int]]:
    return [
        (p.from_account, p.to_account, p.amount_fen)
        for p in session.scalars(select(LedgerPosting).where(LedgerPosting.kind == kind))
    ]


def test_a_pool_opens_with_its_whole_total_available_funded_from_the_budget(
    session: Session,
) -> None:
    program = make_program(session)
    pool = ledger.open_pool(
        session, program_id=program.id, year=2027, total_fen=3_000_00, memo="a pool"
    )
    assert (pool.program_id, pool.year, pool.total_fen, pool.available_fen) == (
        program.id,
        2027,
        3_000_00,
        3_000_00,
    )
    assert postings(session, PostingKind.FUND) == [
        (f"budget:{pool.id}", f"pool:{pool.id}", 3_000_00)
    ]
    with pytest.raises(ValueError, match="positive total"):
        ledger.open_pool(session, program_id=program.id, year=2028, total_fen=0, memo="none")
    assert verify_ledger(session) == []


def test_a_voucher_holds_its_face_value_whole_or_is_not_written_at_all(session: Session) -> None:
    program = make_program(session)
    pool = ledger.open_pool(
        session, program_id=program.id, year=2026, total_fen=1_000_00, memo="a pool"
    )
    first = make_voucher(session, program=program, face_value_fen=400_00)

    def issue(face_value_fen: int) -> Voucher | None:
        code = new_voucher_code()
        return ledger.issue_voucher(
            session,
            pool,
            code=code,
            enterprise_id=first.enterprise_id,
            enrolment_id=first.enrolment_id,
            face_value_fen=face_value_fen,
            valid_from=date(2026, 7, 1),
            valid_to=date(2026, 12, 31),
            memo=f"issue {code}",
        )

    second = issue(600_00)
    assert second is not None
    assert (second.program_id, second.pool_id) == (program.id, pool.id)
    assert (
        second.face_value_fen,
        second.balance_fen,
        second.subsidised_fen,
        second.released_fen,
    ) == (600_00, 600_00, 0, 0)
    assert (f"pool:{pool.id}", f"voucher:{second.id}", 600_00) in postings(
        session, PostingKind.ISSUE
    )
    # The pool is empty now: nothing more is issued, and nothing is written.
    count = select(func.count()).select_from(Voucher)
    before = session.scalar(count)
    assert issue(1) is None
    assert session.scalar(count) == before
    with pytest.raises(ValueError, match="positive face value"):
        issue(0)
    session.refresh(pool)
    assert pool.available_fen == 0
    assert verify_ledger(session) == []
