"""Reading and locking the counters the ledger keeps: cap used per enterprise, program and
cap period, and voucher balances.

Lock order (DESIGN.md): an enterprise's cap counters first, then its vouchers, each in id
order, so concurrent transactions never overdraw and never deadlock. The counters read
under a lock are the ones pricing uses; ``ledger.service`` then moves them.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from voucher_service.db.base import table
from voucher_service.db.statements import chunks, dialect_insert
from voucher_service.db.tables.ledger import CapUsage
from voucher_service.db.tables.vouchers import Voucher, VoucherStatus

CAPS = table(CapUsage)
VOUCHERS = table(Voucher)


@dataclass(frozen=True, order=True)
class CapKey:
    """Which cap counter a subsidy counts against: period 0 for a lifetime cap, else the
    subsidy year (1, 2, 3) of the enterprise's enrolment in the program."""

    enrolment_id: int
    period: int


@dataclass
class CapCounter:
    """A cap counter read under its row lock; ``used_fen`` follows pricing in memory."""

    id: int
    used_fen: int

    def count(self, subsidy_fen: int) -> None:
        """Follow a subsidy priced under the lock (``ledger.subsidise`` writes it)."""
        self.used_fen += subsidy_fen


@dataclass
class VoucherCounter:
    """A voucher's balance read under its row lock; ``balance_fen`` follows pricing."""

    id: int
    balance_fen: int
    active: bool

    def draw(self, subsidy_fen: int) -> None:
        """Follow a subsidy priced under the lock (``ledger.subsidise`` writes it)."""
        self.balance_fen -= subsidy_fen


def lock_caps(session: Session, keys: Iterable[CapKey]) -> dict[CapKey, CapCounter]:
    """Lock the cap counters of ``keys`` in id order, creating the missing ones (concurrent
    creators never fail: ON CONFLICT DO NOTHING, then read again under the lock)."""
    wanted = set(keys)
    if not wanted:
        return {}
    counters = _select_caps(session, wanted)
    missing = wanted - counters.keys()
    if missing:
        session.execute(
            dialect_insert(session, CAPS).on_conflict_do_nothing(),
            [
                {"enrolment_id": k.enrolment_id, "period": k.period, "used_fen": 0}
                for k in sorted(missing)
            ],
        )
        counters = _select_caps(session, wanted)
    return counters


def _select_caps(session: Session, keys: set[CapKey]) -> dict[CapKey, CapCounter]:
    counters: dict[CapKey, CapCounter] = {}
    enrolments = sorted({k.enrolment_id for k in keys})
    for chunk in chunks(enrolments):
        for row in session.execute(
            select(CAPS.c.id, CAPS.c.enrolment_id, CAPS.c.period, CAPS.c.used_fen)
            .where(CAPS.c.enrolment_id.in_(chunk))
            .order_by(CAPS.c.id)
            .with_for_update()
        ):
            key = CapKey(row.enrolment_id, row.period)
            if key in keys:
                counters[key] = CapCounter(row.id, row.used_fen)
    return counters


def lock_vouchers(session: Session, ids: Iterable[int]) -> dict[int, VoucherCounter]:
    """Lock vouchers in id order; their balances and whether they are still active."""
    counters: dict[int, VoucherCounter] = {}
    for chunk in chunks(sorted(set(ids))):
        for row in session.execute(
            select(VOUCHERS.c.id, VOUCHERS.c.balance_fen, VOUCHERS.c.status)
            .where(VOUCHERS.c.id.in_(chunk))
            .order_by(VOUCHERS.c.id)
            .with_for_update()
        ):
            counters[row.id] = VoucherCounter(
                row.id, row.balance_fen, row.status == VoucherStatus.ACTIVE
            )
    return counters


def cap_used_fen(session: Session, key: CapKey) -> int:
    """Net subsidy counted against a cap counter so far (0 if it has none yet)."""
    used = session.scalar(
        select(CAPS.c.used_fen).where(
            CAPS.c.enrolment_id == key.enrolment_id, CAPS.c.period == key.period
        )
    )
    return int(used or 0)


def outstanding_fen(session: Session, enrolment_id: int) -> int:
    """What an enterprise's active vouchers in a program still promise (their balances)."""
    total = session.scalar(
        select(func.coalesce(func.sum(VOUCHERS.c.balance_fen), 0)).where(
            VOUCHERS.c.enrolment_id == enrolment_id,
            VOUCHERS.c.status == VoucherStatus.ACTIVE,
        )
    )
    return int(total or 0)
