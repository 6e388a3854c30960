"""Reading and locking the counters the ledger keeps: cap used per enterprise, program and
cap period, and voucher balances.

Lock order: the vouchers first, then the enterprises' cap counters, each in id order, so
concurrent transactions never overdraw and never deadlock. (Vouchers first, because a cap
counter is made on an enterprise's first subsidy in a cap period: made and locked after the
vouchers, it keeps the order; made before, the vouchers' locks would come after a cap's.)
The counters read under a lock are the ones pricing uses; ``ledger.service`` moves them.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from voucher_service.db.base import table
from voucher_service.db.statements import chunks, dialect_insert, postgres_connection
from voucher_service.db.tables.ledger import CapUsage
from voucher_service.db.tables.vouchers import Voucher, VoucherStatus
from voucher_service.domain.rules import Rules, Window, cap_limits

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


_PG_LOCK = """
WITH vouchers AS MATERIALIZED (
    SELECT id, balance_fen, status FROM voucher
     WHERE id = ANY(%(vouchers)s) ORDER BY id FOR UPDATE
), caps AS MATERIALIZED (
    SELECT id, enrolment_id, period, used_fen FROM cap_usage
     WHERE enrolment_id = ANY(%(enrolments)s) ORDER BY id FOR UPDATE
)
SELECT 'voucher' AS counter, id, NULL AS enrolment_id, NULL AS period, balance_fen AS fen,
       status
  FROM vouchers
UNION ALL
SELECT 'cap', id, enrolment_id, period, used_fen, NULL FROM caps
"""


def lock(
    session: Session, keys: Iterable[CapKey], voucher_ids: Iterable[int]
) -> tuple[dict[CapKey, CapCounter], dict[int, VoucherCounter]]:
    """Lock the vouchers, then the cap counters of ``keys`` (creating missing ones), each in
    id order; on PostgreSQL in one statement (the UNION reads its first branch to the end
    before the second, so the vouchers' rows are locked before the caps')."""
    wanted = set(keys)
    vouchers: dict[int, VoucherCounter] = {}
    pg = postgres_connection(session)
    if pg is None:
        vouchers = lock_vouchers(session, voucher_ids)
        return lock_caps(session, wanted), vouchers
    caps: dict[CapKey, CapCounter] = {}
    params = {
        "vouchers": sorted(set(voucher_ids)),
        "enrolments": sorted({k.enrolment_id for k in wanted}),
    }
    with pg.cursor() as cursor:
        cursor.execute(_PG_LOCK, params)
        for counter, id_, enrolment_id, period, fen, status in cursor:
            if counter == "voucher":
                vouchers[id_] = VoucherCounter(id_, fen, status == VoucherStatus.ACTIVE)
            elif (key := CapKey(enrolment_id, period)) in wanted:
                caps[key] = CapCounter(id_, fen)
    if wanted - caps.keys():
        # A first subsidy in a cap period: its counter is made now. Caps come after vouchers
        # in the lock order, so making and locking it while holding the vouchers is safe.
        caps = lock_caps(session, wanted)
    return caps, vouchers


def lock_caps(session: Session, keys: Iterable[CapKey]) -> dict[CapKey, CapCounter]:
    """Lock the cap counters of ``keys`` in id order, creating the missing ones (concurrent
    creators never fail: ON CONFLICT DO NOTHING, then read again under the lock)."""
    wanted = set(keys)
    if not wanted:
        return {}
    counters = _select_caps(session, wanted)
    missing = wanted - counters.keys()
    if missing:
        _create_caps(session, missing)
        counters = _select_caps(session, wanted)
    return counters


def _create_caps(session: Session, keys: set[CapKey]) -> None:
    """Create cap counters at zero; concurrent creators never fail (ON CONFLICT DO NOTHING)."""
    session.execute(
        dialect_insert(session, CAPS).on_conflict_do_nothing(),
        [{"enrolment_id": k.enrolment_id, "period": k.period, "used_fen": 0} for k in sorted(keys)],
    )


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


@dataclass(frozen=True)
class CapStanding:
    """The cap that binds an enterprise on a day: of the caps its rules apply (a lifetime or
    a per-year cap, or a cap per year beside a lifetime cap), the one with the least room
    left: its counter's period, its limit, and what is counted against it."""

    period: int
    cap_fen: int
    used_fen: int

    @property
    def left_fen(self) -> int:
        return max(0, self.cap_fen - self.used_fen)


def binding_cap(
    session: Session, enrolment_id: int | None, rules: Rules, window: Window, day: date
) -> CapStanding:
    """The cap that binds on ``day`` (an enrolment not made yet has used nothing); of two
    with as much room left, the record's own (the year's)."""
    standings = [
        CapStanding(
            limit.period,
            limit.cap_fen,
            cap_used_fen(session, CapKey(enrolment_id, limit.period)) if enrolment_id else 0,
        )
        for limit in cap_limits(rules, window, day)
    ]
    return min(standings, key=lambda standing: standing.left_fen)


def outstanding_fen(session: Session, enrolment_id: int) -> int:
    """What an enterprise's active vouchers in a program still promise (their balances)."""
    total = session.scalar(
        select(func.coalesce(func.sum(VOUCHERS.c.balance_fen), 0)).where(
            VOUCHERS.c.enrolment_id == enrolment_id,
            VOUCHERS.c.status == VoucherStatus.ACTIVE,
        )
    )
    return int(total or 0)
