"""The ledger: every change of money is an append-only posting between two accounts.

Accounts (all amounts integer fen)::

    budget:<pool>     the city's appropriation for a pool (source of its total)
    pool:<pool>       a program's annual pool; its balance is Pool.available_fen
    voucher:<v>       a voucher; its balance is Voucher.balance_fen
    payable:<p>       subsidies owed to provider p        (metering, settlement)
    paid:<p>          subsidies paid to provider p        (settlement)

Postings (DESIGN.md): fund budget->pool; issue pool->voucher; subsidy voucher->payable;
reversal payable->voucher; release voucher->pool (revoke, expire); settle payable->paid.

Invariants this module keeps and ``verify`` checks on a live database:

1. Conservation. Per pool: total = available + Σ voucher balances + Σ net subsidies.
   Per voucher: face value = balance + net subsidies + released (also a CHECK constraint).
   No balance is ever negative (CHECK constraints, not only code).
2. Counters equal the postings: each pool's available and each voucher's balance equal the
   net of the postings on their accounts.
3. Cap: each enterprise's net subsidy in a program is within the cap of its rules.
5. Immutability: postings are never updated or deleted (a database trigger refuses it).

Counters move by single conditional UPDATEs (``... WHERE available_fen >= :x``), never by
reading a value in Python and writing it back, so concurrent transactions cannot overdraw.
"""

from __future__ import annotations

from sqlalchemy import update
from sqlalchemy.orm import Session

from voucher_service.db.tables.ledger import LedgerPosting, PostingKind
from voucher_service.db.tables.programs import Pool


def budget_account(pool_id: int) -> str:
    return f"budget:{pool_id}"


def pool_account(pool_id: int) -> str:
    return f"pool:{pool_id}"


def voucher_account(voucher_id: int) -> str:
    return f"voucher:{voucher_id}"


def post(
    session: Session,
    *,
    kind: PostingKind,
    from_account: str,
    to_account: str,
    amount_fen: int,
    pool_id: int | None = None,
    voucher_id: int | None = None,
    memo: str = "",
) -> LedgerPosting:
    """Append one posting. Amounts are positive: the direction says which way money moves."""
    if amount_fen <= 0:
        raise ValueError("a posting moves a positive amount")
    posting = LedgerPosting(
        kind=kind.value,
        from_account=from_account,
        to_account=to_account,
        amount_fen=amount_fen,
        pool_id=pool_id,
        voucher_id=voucher_id,
        memo=memo,
    )
    session.add(posting)
    return posting


def draw_from_pool(session: Session, pool_id: int, amount_fen: int) -> bool:
    """Take ``amount_fen`` from a pool's available balance if, and only if, it is there.
    One conditional UPDATE: concurrent issuers can never overdraw the pool."""
    result = session.execute(
        update(Pool)
        .where(Pool.id == pool_id, Pool.available_fen >= amount_fen)
        .values(available_fen=Pool.available_fen - amount_fen)
    )
    matched: int = result.rowcount  # type: ignore[attr-defined]
    return matched == 1


def return_to_pool(session: Session, pool_id: int, amount_fen: int) -> None:
    session.execute(
        update(Pool).where(Pool.id == pool_id).values(available_fen=Pool.available_fen + amount_fen)
    )
