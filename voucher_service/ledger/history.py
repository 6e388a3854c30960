"""Reading an account's history back from its postings: what the bureau's pages show of a
voucher (every posting on it) and of a pool (its balance at each month's end). Only reads:
money moves in ``ledger.service`` alone."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import case, func, or_, select
from sqlalchemy.orm import Session

from voucher_service.db.base import table
from voucher_service.db.tables.ledger import LedgerPosting
from voucher_service.ledger.accounts import Account

POSTINGS = table(LedgerPosting)


def postings_of(session: Session, account: Account, *, limit: int = 1000) -> list[LedgerPosting]:
    """The postings into or out of ``account``, oldest first (at most ``limit``: a voucher
    has one per usage record, so a busy one's page shows its first thousand)."""
    name = str(account)
    query = (
        select(LedgerPosting)
        .where(or_(LedgerPosting.from_account == name, LedgerPosting.to_account == name))
        .order_by(POSTINGS.c.id)
        .limit(limit)
    )
    return list(session.scalars(query))


def balances_at(
    session: Session, account: Account, moments: Sequence[datetime]
) -> list[int | None]:
    """The account's balance (what came in less what went out) just before each of
    ``moments``, or None where no posting had touched it yet (a pool not yet opened): one
    query, two sums per moment. For a pool account, whose postings are its funding, its
    issuances and its releases (a few per voucher), it is the pool's available amount then;
    after the last posting it equals ``pool.available_fen``."""
    if not moments:
        return []
    name = str(account)
    signed = case(
        (POSTINGS.c.to_account == name, POSTINGS.c.amount_fen), else_=-POSTINGS.c.amount_fen
    )
    columns = []
    for moment in moments:
        before = POSTINGS.c.created_at < moment
        columns.append(func.coalesce(func.sum(case((before, signed), else_=0)), 0))
        columns.append(func.coalesce(func.sum(case((before, 1), else_=0)), 0))
    row = session.execute(
        select(*columns).where(or_(POSTINGS.c.from_account == name, POSTINGS.c.to_account == name))
    ).one()
    return [int(row[2 * i]) if int(row[2 * i + 1]) else None for i in range(len(moments))]
