"""The bureau's figures per program and year (issue 12: 总额、可用、已发放未使用、已使用; by
month, district, provider and enterprise size; enterprises near their cap), read from
maintained figures, never by scanning usage records, so a page of them costs the same with a
million records as with ten.

Where each figure comes from, and how fresh it is:

- total, available, outstanding, consumed: the pool row and its vouchers' counters
  (``programs.service.pool_totals_of``); exact.
- available at each month's end (the burn-down): the pool account's postings, a few per
  voucher (``ledger.history.balances_at``); exact.
- subsidies, fees and records by month and by provider: the usage rollup by pool and
  service month (``monitoring/rollup.py``); at most ``ROLLUP_SECONDS`` (15 s) old.
- subsidies by district and by size class: the pool's vouchers' ``subsidised_fen``
  counters, by the holder's district and declared size class; exact.
- enterprises near their cap: the cap counters; exact.

So the totals and the district and size-class lines add up to ``consumed`` at once, and the
month and provider lines do within 15 s of the last usage record (the age is reported).

Why these sources reconcile: the ledger's conservation invariant (DESIGN.md 1) makes a pool's
consumed amount the sum of its vouchers' net subsidies, each voucher's counter equals the net
of its subsidy and reversal postings (``verify``), and the rollup sums the same records'
subsidies. ``tests/aggregates`` checks each figure against the postings and ``/metrics``.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from sqlalchemy import distinct, func, select
from sqlalchemy.orm import Session
from sqlmodel import col

from voucher_service.applications.service import latest_size_classes
from voucher_service.db.tables.applications import UNDECLARED, SizeClass
from voucher_service.db.tables.enterprises import Enrolment, Enterprise
from voucher_service.db.tables.ledger import CapUsage
from voucher_service.db.tables.programs import Pool, Program
from voucher_service.db.tables.providers import Provider
from voucher_service.db.tables.vouchers import Voucher
from voucher_service.domain.divisions import division_name
from voucher_service.domain.rules import (
    BASIS_POINTS,
    Window,
    add_months,
    cap_limits,
    rules_on,
)
from voucher_service.domain.usage import Outcome
from voucher_service.labels_zh import SIZE_CLASS
from voucher_service.ledger import accounts
from voucher_service.ledger.history import balances_at
from voucher_service.monitoring import rollup
from voucher_service.programs.service import PoolTotals, pool_totals_of, rule_versions, to_rules

NEAR_CAP_SHARE_BP = 8000  # "near its cap": 80% of the cap used (the /metrics gauge's 0.8 share)
NEAR_CAP_LISTED = 50  # the fullest ones listed; all of them counted
SIZE_ORDER = [*(s.value for s in SizeClass), UNDECLARED]
_EARNED = (Outcome.SUBSIDISED, Outcome.PARTIAL)


@dataclass(frozen=True)
class PoolSummary:
    """One program's pool for one year, with where its money is."""

    program_code: str
    program_name: str
    year: int
    totals: PoolTotals


@dataclass(frozen=True)
class MonthFigures:
    """One month of a pool's year. The month-end figures are None for a month to come; for
    the current month they are as of now."""

    month: date  # its first day
    records: int  # usage records that earned a subsidy, serviced in the month
    fee_fen: int  # fees of the records priced on the pool's vouchers, net of refunds
    subsidy_fen: int  # net of reversals
    # The pool's amount not reserved by any voucher at the month's end, by its postings' dates
    # (None before the pool was opened, or for a month to come; now, for the current month).
    available_fen: int | None
    unspent_fen: int | None  # total less the subsidies of the months up to this one


@dataclass(frozen=True)
class Line:
    """Net subsidies of one district, provider or size class."""

    key: str  # a district code, a provider's credit code, a size class
    label: str  # its name (Chinese: districts and providers are called so)
    enterprises: int | None  # holders of the pool's vouchers in it (None: not counted)
    records: int | None
    subsidy_fen: int


@dataclass(frozen=True)
class NearCap:
    uscc: str
    name: str
    district_code: str
    district_name: str
    used_fen: int
    cap_fen: int

    @property
    def used_bp(self) -> int:
        return self.used_fen * BASIS_POINTS // self.cap_fen


@dataclass(frozen=True)
class PoolAggregates:
    summary: PoolSummary
    months: list[MonthFigures]
    by_district: list[Line]
    by_provider: list[Line]
    by_size_class: list[Line]
    near_cap: list[NearCap]  # the fullest NEAR_CAP_LISTED
    near_cap_count: int
    usage_age_seconds: float


def summaries(session: Session) -> list[PoolSummary]:
    """Every program's pools, by program code then year: two queries."""
    rows = session.execute(
        select(Pool, Program.code, Program.name)
        .join(Program, Program.id == Pool.program_id)
        .order_by(Program.code, Pool.year)
    ).all()
    totals = pool_totals_of(session, [pool for pool, _, _ in rows])
    return [PoolSummary(code, name, pool.year, totals[pool.id or 0]) for pool, code, name in rows]


def aggregates(
    session: Session, program: Program, pool: Pool, *, now: datetime, tz: ZoneInfo
) -> PoolAggregates:
    """The figures of ``program``'s ``pool`` as of ``now``; see the module docstring for
    where each comes from."""
    assert pool.id is not None and program.id is not None
    summary = PoolSummary(
        program.code, program.name, pool.year, pool_totals_of(session, [pool])[pool.id]
    )
    usage = rollup.pool_usage(session, now, [pool.id])
    today = now.astimezone(tz).date()
    near, count = near_cap(session, program, today=today)
    return PoolAggregates(
        summary=summary,
        months=_months(session, program, pool, usage, now=now, tz=tz),
        by_district=_by_district(session, pool),
        by_provider=_by_provider(session, usage),
        by_size_class=_by_size_class(session, program, pool),
        near_cap=near[:NEAR_CAP_LISTED],
        near_cap_count=count,
        usage_age_seconds=rollup.age_seconds(session, now) or 0.0,
    )


def _month_starts(first: date, last: date) -> list[date]:
    months, month = [], first.replace(day=1)
    while month <= last:
        months.append(month)
        month = add_months(month, 1)
    return months


def _months(
    session: Session,
    program: Program,
    pool: Pool,
    usage: list[rollup.PoolUsage],
    *,
    now: datetime,
    tz: ZoneInfo,
) -> list[MonthFigures]:
    """The pool's year month by month (within the program's validity): what was used, and
    what was left at each month's end."""
    first = max(date(pool.year, 1, 1), program.valid_from)
    last = min(date(pool.year, 12, 31), program.valid_to)
    sums: dict[date, list[int]] = defaultdict(lambda: [0, 0, 0])
    for row in usage:
        line = sums[row.service_month]
        line[0] += row.records if row.outcome in _EARNED else 0
        line[1] += row.fee_fen if row.outcome != Outcome.REFUSED else 0
        line[2] += row.subsidy_fen
    months = sorted(set(_month_starts(first, last)) | set(sums))
    current = now.astimezone(tz).date().replace(day=1)
    past = [m for m in months if m < current]
    ends = [datetime.combine(add_months(m, 1), time(), tz) for m in past]
    available: dict[date, int | None] = dict(
        zip(past, balances_at(session, accounts.pool(pool.id or 0), ends), strict=True)
    )
    if current in months:
        available[current] = pool.available_fen  # as of now: the counter (= its postings)
    figures, consumed = [], 0
    for month in months:
        records, fee, subsidy = sums.get(month, (0, 0, 0))
        consumed += subsidy
        figures.append(
            MonthFigures(
                month=month,
                records=records,
                fee_fen=fee,
                subsidy_fen=subsidy,
                available_fen=available.get(month),
                unspent_fen=pool.total_fen - consumed if month <= current else None,
            )
        )
    return figures


def _by_district(session: Session, pool: Pool) -> list[Line]:
    rows = session.execute(
        select(
            Enterprise.district_code,
            func.count(distinct(Voucher.enterprise_id)),
            func.sum(Voucher.subsidised_fen),
        )
        .join(Enterprise, Enterprise.id == Voucher.enterprise_id)
        .where(Voucher.pool_id == pool.id)
        .group_by(Enterprise.district_code)
    )
    lines = [Line(code, division_name(code), int(n), None, int(fen)) for code, n, fen in rows]
    return sorted(lines, key=lambda line: (-line.subsidy_fen, line.key))


def _by_provider(session: Session, usage: list[rollup.PoolUsage]) -> list[Line]:
    sums: dict[int, list[int]] = defaultdict(lambda: [0, 0])
    for row in usage:
        sums[row.provider_id][0] += row.records if row.outcome in _EARNED else 0
        sums[row.provider_id][1] += row.subsidy_fen
    if not sums:
        return []
    names = {
        provider_id: (uscc, name)
        for provider_id, uscc, name in session.execute(
            select(Provider.id, Provider.uscc, Provider.name).where(
                col(Provider.id).in_(list(sums))
            )
        )
    }
    lines = [
        Line(names[p][0], names[p][1], None, records, subsidy)
        for p, (records, subsidy) in sums.items()
    ]
    return sorted(lines, key=lambda line: (-line.subsidy_fen, line.key))


def _by_size_class(session: Session, program: Program, pool: Pool) -> list[Line]:
    """By the size class each holder declared on its latest application to the program (an
    enterprise issued a voucher without one is ``undeclared``)."""
    assert program.id is not None
    sizes = latest_size_classes(program.id, pool.year).subquery()
    size = func.coalesce(sizes.c.size_class, UNDECLARED)
    rows = session.execute(
        select(size, func.count(distinct(Voucher.enterprise_id)), func.sum(Voucher.subsidised_fen))
        .select_from(Voucher)
        .outerjoin(sizes, sizes.c.enterprise_id == Voucher.enterprise_id)
        .where(Voucher.pool_id == pool.id)
        .group_by(size)
    )
    lines = [Line(key, SIZE_CLASS.get(key, key), int(n), None, int(fen)) for key, n, fen in rows]
    return sorted(lines, key=lambda line: SIZE_ORDER.index(line.key))


def near_cap(
    session: Session, program: Program, *, today: date, share_bp: int = NEAR_CAP_SHARE_BP
) -> tuple[list[NearCap], int]:
    """The enterprises that have used at least ``share_bp`` of a cap of the program (by the
    rules in force today; a per-year cap in their current subsidy year; with a cap per year
    beside the lifetime cap, either: the fuller one named), fullest first, and how many."""
    versions = [to_rules(r) for r in rule_versions(session, program.id or 0)]
    day = min(max(today, program.valid_from), program.valid_to)
    rules = rules_on(versions, day) or versions[0]
    lowest = min(rules.cap_fen, rules.own_cap_fen)
    rows = session.execute(
        select(
            Enterprise.uscc,
            Enterprise.name,
            Enterprise.district_code,
            Enrolment.window_start,
            Enrolment.window_end,
            CapUsage.period,
            CapUsage.used_fen,
        )
        .join(Enrolment, Enrolment.id == CapUsage.enrolment_id)
        .join(Enterprise, Enterprise.id == Enrolment.enterprise_id)
        .where(
            Enrolment.program_id == program.id,
            CapUsage.used_fen * BASIS_POINTS >= lowest * share_bp,
        )
        .order_by(Enterprise.uscc)
    )
    fullest: dict[str, NearCap] = {}
    for uscc, name, district, start, end, period, used in rows:
        limits = cap_limits(rules, Window(start, end), max(today, start))
        for limit in limits:
            if limit.period != period or used * BASIS_POINTS < limit.cap_fen * share_bp:
                continue
            near = NearCap(uscc, name, district, division_name(district), int(used), limit.cap_fen)
            if uscc not in fullest or near.used_bp > fullest[uscc].used_bp:
                fullest[uscc] = near
    found = sorted(fullest.values(), key=lambda n: (-n.used_fen, n.uscc))
    return found, len(found)
