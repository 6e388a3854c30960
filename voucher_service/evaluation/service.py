"""The yearly evaluation of a program (动态评估: 每年对政策措施执行情况进行动态评估) and next
year's pool (根据算力使用情况每年设立总额不低于1000万元).

The year of a report is a pool's year: its vouchers, and the priced usage records drawn on
them (corrections included, so every amount is net of refunds; a voucher of a year's pool is
valid only within that year, so its records fall in that year's months). The figures are
read as of a day, in the program's timezone:

- applications of the year by status, and the approval rate: approved / (approved +
  rejected); for a program that selects models (measure 3), the selections too;
- vouchers issued, redeemed (bound to at least one provider), expired and revoked, and what
  the closed ones returned; the pool's totals, its utilisation (subsidies / total) and
  commitment (face values issued, less what was returned, / total);
- net subsidies by district (named: domain/divisions.py), provider, size class (as declared
  on the enterprise's latest application to the program; "undeclared" when it was issued a
  voucher without one) and month;
- the enterprises that have reached the program's cap (cumulative, so over all its years);
- the average days from an enterprise's first application of the year (voucher or model
  selection) to its first subsidised service day on the year's vouchers;
- next year's recommended pool, by the method of ``domain/forecast.py``.

The usage records are read once, grouped in the database by enterprise, provider and month
(one row per group, not per record), and rolled up here; every other figure is one grouped
query. Nothing is written.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from fractions import Fraction
from zoneinfo import ZoneInfo

from sqlalchemy import BigInteger, case, distinct, extract, func, literal, select, union_all
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import col

from voucher_service.applications.service import latest_size_classes
from voucher_service.db.tables.applications import UNDECLARED, Application, ModelSelection
from voucher_service.db.tables.enterprises import Enrolment, Enterprise
from voucher_service.db.tables.ledger import CapUsage
from voucher_service.db.tables.programs import Pool, Program
from voucher_service.db.tables.providers import Provider
from voucher_service.db.tables.redemptions import Redemption
from voucher_service.db.tables.usage import RecordKind, UsageRecord
from voucher_service.db.tables.vouchers import Voucher, VoucherStatus
from voucher_service.domain.divisions import division_name
from voucher_service.domain.forecast import PoolRecommendation, UsageTrend, recommend_pool
from voucher_service.domain.rules import rules_on
from voucher_service.errors import ErrorCode, InvalidInput
from voucher_service.programs.service import PoolTotals, pool_totals, rule_versions, to_rules


@dataclass(frozen=True)
class StatusCounts:
    """Applications (or selections) of the year by status, and the share decided favourably."""

    by_status: dict[str, int]
    favourable: str  # the status that counts as approved (selected)
    unfavourable: str

    @property
    def total(self) -> int:
        return sum(self.by_status.values())

    @property
    def rate_bp(self) -> int | None:
        """approved / (approved + rejected), in basis points; None before any decision."""
        yes, no = self.by_status.get(self.favourable, 0), self.by_status.get(self.unfavourable, 0)
        return yes * 10_000 // (yes + no) if yes + no else None


@dataclass(frozen=True)
class VoucherCounts:
    issued: int
    issued_fen: int
    redeemed: int
    active: int
    expired: int
    expired_released_fen: int
    revoked: int
    revoked_released_fen: int


@dataclass(frozen=True)
class SubsidyLine:
    """Net subsidies of one district, provider, size class or month."""

    key: str
    label: str
    enterprises: int
    records: int
    fee_fen: int
    subsidy_fen: int


@dataclass(frozen=True)
class CappedEnterprise:
    uscc: str
    name: str
    district: str
    used_fen: int
    cap_fen: int


@dataclass(frozen=True)
class Evaluation:
    program_code: str
    program_name: str
    year: int
    as_of: date
    first_day: date  # of the year, within the program's validity
    last_day: date
    applications: StatusCounts
    selections: StatusCounts | None
    vouchers: VoucherCounts
    pool: PoolTotals | None
    total: SubsidyLine
    by_district: list[SubsidyLine]
    by_provider: list[SubsidyLine]
    by_size_class: list[SubsidyLine]
    by_month: list[SubsidyLine]
    capped: list[CappedEnterprise]
    days_to_first_usage: Fraction | None
    first_usage_measured: int
    next_year: int
    recommendation: PoolRecommendation | None

    @property
    def utilisation_bp(self) -> int | None:
        if self.pool is None:
            return None
        return self.pool.consumed_fen * 10_000 // self.pool.total_fen

    @property
    def commitment_bp(self) -> int | None:
        if self.pool is None:
            return None
        promised = self.pool.issued_fen - self.pool.released_fen
        return promised * 10_000 // self.pool.total_fen


def evaluate(
    session: Session, program: Program, year: int, *, today: date, tz: ZoneInfo
) -> Evaluation:
    """The program's evaluation for ``year``, as of ``today``."""
    first_day, last_day = _days_in_force(program, year)
    pool = session.scalar(select(Pool).where(Pool.program_id == program.id, Pool.year == year))
    groups = _usage_groups(session, pool, first_day, last_day)
    by_district, by_provider, by_size_class = _breakdowns(session, program, year, groups)
    by_month = _roll_up(groups, lambda g: (f"{year}-{g.month:02d}", f"{year}年{g.month}月"))
    measured, average = _days_to_first_usage(session, program, year, groups, tz)
    return Evaluation(
        program_code=program.code,
        program_name=program.name,
        year=year,
        as_of=today,
        first_day=first_day,
        last_day=last_day,
        applications=_status_counts(
            session, Application, program, year, favourable="approved", unfavourable="rejected"
        ),
        selections=_status_counts(
            session, ModelSelection, program, year, favourable="selected", unfavourable="declined"
        )
        if program.requires_selection
        else None,
        vouchers=_voucher_counts(session, pool),
        pool=pool_totals(session, pool) if pool is not None else None,
        total=_roll_up(groups, lambda g: ("total", "合计"))[0]
        if groups
        else SubsidyLine("total", "合计", 0, 0, 0, 0),
        by_district=by_district,
        by_provider=by_provider,
        by_size_class=by_size_class,
        by_month=by_month,
        capped=_capped(session, program, min(today, last_day)),
        days_to_first_usage=average,
        first_usage_measured=measured,
        next_year=year + 1,
        recommendation=_recommendation(
            session, program, year, first_day, last_day, today, by_month
        ),
    )


def _days_in_force(program: Program, year: int) -> tuple[date, date]:
    """The first and last days of ``year`` within the program's validity."""
    first_day = max(date(year, 1, 1), program.valid_from)
    last_day = min(date(year, 12, 31), program.valid_to)
    if first_day > last_day:
        raise InvalidInput(
            "program {program_code} runs from {valid_from} to {valid_to}: it has no {year}",
            program_code=program.code,
            valid_from=program.valid_from,
            valid_to=program.valid_to,
            year=year,
            code=ErrorCode.INVALID_YEAR,
        )
    return first_day, last_day


def _breakdowns(
    session: Session, program: Program, year: int, groups: list[_Group]
) -> tuple[list[SubsidyLine], list[SubsidyLine], list[SubsidyLine]]:
    """The year's subsidies by district, by provider and by size class."""
    enterprises = _enterprises(session, {g.enterprise_id for g in groups})
    providers = _providers(session, {g.provider_id for g in groups})
    sizes = _size_classes(session, program, year)
    by_district = _roll_up(
        groups,
        lambda g: (
            enterprises[g.enterprise_id].district_code,
            division_name(enterprises[g.enterprise_id].district_code),
        ),
    )
    by_provider = _roll_up(
        groups, lambda g: (providers[g.provider_id].uscc, providers[g.provider_id].name)
    )
    by_size_class = _roll_up(
        groups,
        lambda g: (sizes.get(g.enterprise_id, UNDECLARED), sizes.get(g.enterprise_id, UNDECLARED)),
    )
    return by_district, by_provider, by_size_class


@dataclass(frozen=True)
class _Group:
    """The priced records of one enterprise with one provider in one month."""

    enterprise_id: int
    provider_id: int
    month: int
    records: int
    fee_fen: int
    subsidy_fen: int
    first_subsidised: date | None  # the earliest service day that earned a subsidy


def _usage_groups(
    session: Session, pool: Pool | None, first_day: date, last_day: date
) -> list[_Group]:
    """The pool's priced records serviced in the year (corrections included), grouped in the
    database: one scan of the usage records."""
    if pool is None:
        return []
    month = extract("month", UsageRecord.service_date)
    usage = UsageRecord.kind == RecordKind.USAGE
    rows = session.execute(
        select(
            UsageRecord.enterprise_id,
            UsageRecord.provider_id,
            month,
            func.count().filter(usage),
            func.sum(UsageRecord.fee_fen),
            func.sum(UsageRecord.subsidy_fen),
            func.min(UsageRecord.service_date).filter(usage, UsageRecord.subsidy_fen > 0),
        )
        .join(Voucher, Voucher.id == UsageRecord.voucher_id)
        .where(
            Voucher.pool_id == pool.id,
            col(UsageRecord.rule_version).is_not(None),
            col(UsageRecord.service_date).between(first_day, last_day),
        )
        .group_by(UsageRecord.enterprise_id, UsageRecord.provider_id, month)
    )
    return [
        _Group(int(e), int(p), int(m), int(n), int(fee), int(subsidy), first)
        for e, p, m, n, fee, subsidy, first in rows
    ]


def _roll_up(
    groups: Iterable[_Group], key_of: Callable[[_Group], tuple[str, str]]
) -> list[SubsidyLine]:
    """Sum the groups by a key (a district, a provider, ...), ordered by key."""
    labels: dict[str, str] = {}
    sums: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])
    members: dict[str, set[int]] = defaultdict(set)
    for group in groups:
        key, label = key_of(group)
        labels[key] = label
        line = sums[key]
        line[0] += group.records
        line[1] += group.fee_fen
        line[2] += group.subsidy_fen
        members[key].add(group.enterprise_id)
    return [SubsidyLine(key, labels[key], len(members[key]), *sums[key]) for key in sorted(labels)]


def _enterprises(session: Session, ids: set[int]) -> dict[int | None, Enterprise]:
    if not ids:
        return {}
    return {e.id: e for e in session.scalars(select(Enterprise).where(col(Enterprise.id).in_(ids)))}


def _providers(session: Session, ids: set[int]) -> dict[int | None, Provider]:
    if not ids:
        return {}
    return {p.id: p for p in session.scalars(select(Provider).where(col(Provider.id).in_(ids)))}


def _size_classes(session: Session, program: Program, year: int) -> dict[int, str]:
    """Each enterprise's size class as declared on its latest application to the program
    (for this year or an earlier one)."""
    assert program.id is not None
    rows = session.execute(latest_size_classes(program.id, year))
    return {enterprise_id: size for enterprise_id, size in rows}


def _status_counts(
    session: Session,
    table: type[Application] | type[ModelSelection],
    program: Program,
    year: int,
    *,
    favourable: str,
    unfavourable: str,
) -> StatusCounts:
    """Applications (or model selections) of the program's year, by status."""
    rows = session.execute(
        select(table.status, func.count())
        .where(table.program_id == program.id, table.year == year)
        .group_by(table.status)
    )
    counts = {str(status): int(count) for status, count in rows}
    return StatusCounts(counts, favourable=favourable, unfavourable=unfavourable)


def _voucher_counts(session: Session, pool: Pool | None) -> VoucherCounts:
    if pool is None:
        return VoucherCounts(0, 0, 0, 0, 0, 0, 0, 0)
    by_status = {
        status: (int(count), int(face), int(released))
        for status, count, face, released in session.execute(
            select(
                Voucher.status,
                func.count(),
                func.sum(Voucher.face_value_fen),
                func.sum(Voucher.released_fen),
            )
            .where(Voucher.pool_id == pool.id)
            .group_by(Voucher.status)
        )
    }
    redeemed = session.scalar(
        select(func.count(distinct(Redemption.voucher_id)))
        .join(Voucher, Voucher.id == Redemption.voucher_id)
        .where(Voucher.pool_id == pool.id)
    )
    none = (0, 0, 0)
    active, expired, revoked = (
        by_status.get(s, none)
        for s in (VoucherStatus.ACTIVE, VoucherStatus.EXPIRED, VoucherStatus.REVOKED)
    )
    return VoucherCounts(
        issued=sum(c for c, _, _ in by_status.values()),
        issued_fen=sum(f for _, f, _ in by_status.values()),
        redeemed=int(redeemed or 0),
        active=active[0],
        expired=expired[0],
        expired_released_fen=expired[2],
        revoked=revoked[0],
        revoked_released_fen=revoked[2],
    )


def _capped(session: Session, program: Program, day: date) -> list[CappedEnterprise]:
    """Enterprises whose net subsidies in the program have reached its cap (any period of a
    per-year cap; beside a cap per year, the lifetime cap or any year's), by the rules in
    force on ``day``: each named once, with its counter that reached a cap (the most counted)."""
    versions = [to_rules(r) for r in rule_versions(session, program.id)]
    rules = rules_on(versions, day) or versions[0]
    limit: ColumnElement[int] = literal(rules.cap_fen, BigInteger)
    if rules.year_cap_fen is not None:
        limit = case(
            (CapUsage.period == 0, literal(rules.cap_fen, BigInteger)),
            else_=literal(rules.year_cap_fen, BigInteger),
        )
    rows = session.execute(
        select(
            Enterprise.uscc,
            Enterprise.name,
            Enterprise.district_code,
            CapUsage.used_fen,
            limit.label("cap_fen"),
        )
        .join(Enrolment, Enrolment.id == CapUsage.enrolment_id)
        .join(Enterprise, Enterprise.id == Enrolment.enterprise_id)
        .where(Enrolment.program_id == program.id, CapUsage.used_fen >= limit)
        .order_by(Enterprise.uscc, CapUsage.used_fen.desc())  # type: ignore[attr-defined]
    )
    capped: dict[str, CappedEnterprise] = {}
    for uscc, name, district, used, cap in rows:
        if uscc not in capped:  # its fullest counter first
            capped[uscc] = CappedEnterprise(
                uscc, name, division_name(district), int(used), int(cap)
            )
    return list(capped.values())


def _days_to_first_usage(
    session: Session, program: Program, year: int, groups: list[_Group], tz: ZoneInfo
) -> tuple[int, Fraction | None]:
    """How many enterprises are measured, and their average days from their first
    application of the year (voucher or model selection) to their first subsidised day."""
    first_used: dict[int, date] = {}
    for group in groups:
        if group.first_subsidised is not None:
            known = first_used.get(group.enterprise_id, group.first_subsidised)
            first_used[group.enterprise_id] = min(known, group.first_subsidised)
    if not first_used:
        return 0, None
    applied = union_all(
        select(Application.enterprise_id, Application.created_at).where(
            Application.program_id == program.id, Application.year == year
        ),
        select(ModelSelection.enterprise_id, ModelSelection.created_at).where(
            ModelSelection.program_id == program.id, ModelSelection.year == year
        ),
    ).subquery()
    first_applied = session.execute(
        select(applied.c.enterprise_id, func.min(applied.c.created_at)).group_by(
            applied.c.enterprise_id
        )
    )
    days = [
        (first_used[enterprise_id] - _local_day(moment, tz)).days
        for enterprise_id, moment in first_applied
        if enterprise_id in first_used
    ]
    return len(days), Fraction(sum(days), len(days)) if days else None


def _local_day(moment: datetime, tz: ZoneInfo) -> date:
    aware = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    return aware.astimezone(tz).date()


def _recommendation(
    session: Session,
    program: Program,
    year: int,
    first_day: date,
    last_day: date,
    today: date,
    by_month: list[SubsidyLine],
) -> PoolRecommendation | None:
    """Next year's pool from this year's usage; None before the year has begun or when the
    program does not run next year."""
    observed_to = min(last_day, today)
    next_first = max(date(year + 1, 1, 1), program.valid_from)
    next_last = min(date(year + 1, 12, 31), program.valid_to)
    if observed_to < first_day or next_first > next_last:
        return None
    # The complete months: within the program's year and over before today.
    last_complete = min(last_day, today - timedelta(days=1))
    monthly = {int(line.key[5:]): line.subsidy_fen for line in by_month}
    months = [
        (m, monthly.get(m, 0))
        for m in range(1, 13)
        if date(year, m, 1) >= first_day and _month_end(year, m) <= last_complete
    ]
    versions = [to_rules(r) for r in rule_versions(session, program.id)]
    rules = rules_on(versions, next_first) or versions[-1]
    days_next = (date(year + 2, 1, 1) - date(year + 1, 1, 1)).days
    trend = UsageTrend(
        subsidy_fen=sum(line.subsidy_fen for line in by_month),
        days_run=(observed_to - first_day).days + 1,
        days_in_year=(date(year + 1, 1, 1) - date(year, 1, 1)).days,
        monthly_fen=months,
    )
    return recommend_pool(
        trend,
        pool_minimum_fen=rules.pool_minimum_fen,
        next_year_share=Fraction((next_last - next_first).days + 1, days_next),
    )


def _month_end(year: int, month: int) -> date:
    return date(year + month // 12, month % 12 + 1, 1) - timedelta(days=1)
