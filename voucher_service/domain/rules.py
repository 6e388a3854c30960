"""Program rules as data, and the calendar arithmetic of the subsidy window.

A program (measure 2, measure 3, ...) is a row of numbers, not code. Its rules are
versioned: the yearly review (每年对政策措施执行情况进行动态评估) adds a version that applies
from a date; a usage record is always priced by the version in force on its service date
and keeps that version, so a rule change never re-prices anything already priced.
"""

from __future__ import annotations

import calendar
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from enum import StrEnum

from voucher_service.domain.messages import RefusedValue

BASIS_POINTS = 10_000


class CapScope(StrEnum):
    """How the per-enterprise cap is counted.

    LIFETIME: cumulative over the whole subsidy window (measure 2: 最高20万元补助).
    PER_YEAR: per subsidy year, i.e. each 12 months from the window start.

    A lifetime cap may have a per-year cap beside it (``Rules.year_cap_fen``: 1M a subsidy
    year and 2M over the window); a subsidy then counts against both.
    """

    LIFETIME = "lifetime"
    PER_YEAR = "per_year"


class ProgramMode(StrEnum):
    """How a program pays its subsidy (a program setting).

    POINT_OF_SALE: vouchers drawn by providers as they meter usage (Wuhan's 即领即用).
    REIMBURSEMENT: claims after payment: the enterprise claims with its contract, invoices
    and proof of payment, and is paid what a reviewer approves (voucher_service/claims/).
    """

    POINT_OF_SALE = "point_of_sale"
    REIMBURSEMENT = "reimbursement"


class RulesError(RefusedValue):
    """Rule numbers that make no sense (rate above 100%, negative cap, ...)."""


@dataclass(frozen=True)
class Rules:
    """One version of a program's rules.

    Measure 2 (对企业使用算力服务费用给予50%，最高20万元补助，补助期限不超过三年；每年设立总额
    不低于1000万元的算力服务券): rate_bp=5000, cap_fen=20_000_000, cap_scope=LIFETIME,
    window_months=36, pool_minimum_fen=1_000_000_000.

    ``year_cap_fen`` (lifetime scope only): a cap per subsidy year beside the lifetime
    ``cap_fen`` (Henan's 每年最高100万元 under a cap over the window); None for none.
    """

    version: int
    effective_from: date
    rate_bp: int
    cap_fen: int
    cap_scope: CapScope
    window_months: int
    pool_minimum_fen: int
    # The largest annual pool the program allows (measure 2's monitoring: 每年安排不超过300万元);
    # None: no maximum.
    pool_maximum_fen: int | None = field(default=None, kw_only=True)
    year_cap_fen: int | None = field(default=None, kw_only=True)

    def __post_init__(self) -> None:
        if not 0 < self.rate_bp <= BASIS_POINTS:
            raise RulesError(
                "rate must be between 0.01% and 100% (1..10000 bp), got {rate_bp}",
                rate_bp=self.rate_bp,
            )
        if self.cap_fen <= 0:
            raise RulesError("the per-enterprise cap must be greater than zero")
        if self.year_cap_fen is not None:
            if self.cap_scope is not CapScope.LIFETIME:
                raise RulesError(
                    "a cap per year beside the cap needs a lifetime cap (cap_scope lifetime)"
                )
            if not 0 < self.year_cap_fen <= self.cap_fen:
                raise RulesError(
                    "the cap per year must be greater than zero and at most the lifetime cap"
                )
        if not 1 <= self.window_months <= 120:
            raise RulesError("the subsidy window must be between 1 and 120 months")
        if self.pool_minimum_fen < 0:
            raise RulesError("the pool minimum must not be negative")
        if self.pool_maximum_fen is not None and self.pool_maximum_fen < max(
            self.pool_minimum_fen, 1
        ):
            raise RulesError("the pool maximum must be positive and not below the pool minimum")
        if self.version < 1:
            raise RulesError("rule versions start at 1")

    @property
    def own_cap_fen(self) -> int:
        """The limit of the counter a record counts against first: the year's cap when there
        is one beside the lifetime cap, else the cap."""
        return self.cap_fen if self.year_cap_fen is None else self.year_cap_fen


def rules_on(versions: Iterable[Rules], day: date) -> Rules | None:
    """The version in force on ``day``: the latest whose effective_from is not after it."""
    in_force = [r for r in versions if r.effective_from <= day]
    return max(in_force, key=lambda r: r.effective_from) if in_force else None


def last_days(effective_froms: Sequence[date], program_last_day: date) -> list[date]:
    """Each rule version's last day in force (inclusive), the versions in order: the day
    before the next one takes effect; the last one lasts as long as the program."""
    nexts = [*effective_froms[1:], program_last_day + timedelta(days=1)]
    return [following - timedelta(days=1) for following in nexts]


class ProgramPhase(StrEnum):
    """Where a program is in its life (its validity, 武政规〔2025〕3号: 2025-03-19 to
    2027-03-18 for the compute measures).

    UPCOMING and IN_FORCE: pools may be opened, applications filed, vouchers issued.
    ENDED: none of these any more; vouchers already issued are grandfathered (their usage is
    priced as usual until their own last day, reported within the grace period).
    """

    UPCOMING = "upcoming"
    IN_FORCE = "in_force"
    ENDED = "ended"


def program_phase(valid_from: date, valid_to: date, day: date) -> ProgramPhase:
    """The phase of a program valid from ``valid_from`` to ``valid_to`` (inclusive) on ``day``."""
    if day < valid_from:
        return ProgramPhase.UPCOMING
    return ProgramPhase.IN_FORCE if day <= valid_to else ProgramPhase.ENDED


def add_months(day: date, months: int) -> date:
    """``day`` plus whole months, clamped to the month's end (Jan 31 + 1 month = Feb 28/29)."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


@dataclass(frozen=True)
class Window:
    """The subsidy window 补助期限: [start, end), end exclusive.

    It starts on the valid-from date of the enterprise's first voucher in the program and
    lasts ``window_months`` (36 for measure 2: 补助期限不超过三年).
    """

    start: date
    end: date

    @classmethod
    def starting(cls, start: date, months: int) -> Window:
        return cls(start=start, end=add_months(start, months))

    def contains(self, day: date) -> bool:
        return self.start <= day < self.end

    @property
    def last_day(self) -> date:
        return date.fromordinal(self.end.toordinal() - 1)


def cap_period(window: Window, day: date, scope: CapScope) -> int:
    """Which cap counter a service date draws on: 0 for a lifetime cap, else the subsidy
    year (1, 2, 3, ...) counted in 12-month steps from the window start."""
    if scope is CapScope.LIFETIME:
        return 0
    year = 1
    while add_months(window.start, 12 * year) <= day:
        year += 1
    return year


@dataclass(frozen=True)
class CapLimit:
    """One cap a subsidy counts against: its counter's period (0 lifetime, else the subsidy
    year) and the most that counter may hold."""

    period: int
    cap_fen: int


def cap_limits(rules: Rules, window: Window, day: date) -> tuple[CapLimit, ...]:
    """The caps a subsidy on ``day`` counts against, the record's own counter first: the
    rules' cap (lifetime or this subsidy year's), then, with a cap per year beside a
    lifetime cap, the lifetime counter (period 0) after this year's."""
    if rules.year_cap_fen is None:
        return (CapLimit(cap_period(window, day, rules.cap_scope), rules.cap_fen),)
    year = cap_period(window, day, CapScope.PER_YEAR)
    return (CapLimit(year, rules.own_cap_fen), CapLimit(0, rules.cap_fen))


def full_subsidy_fen(fee_fen: int, rate_bp: int) -> int:
    """The subsidy the rate alone allows: floor(fee x rate), rounded down to the fen so the
    city never pays a fraction of a fen too much."""
    if fee_fen < 0:
        raise ValueError("fee must not be negative")
    return fee_fen * rate_bp // BASIS_POINTS


def issuable_fen(cap_fen: int, cap_used_fen: int, outstanding_fen: int) -> int:
    """The largest face value a new voucher may have: what the enterprise may still receive
    under its cap, less what its unspent vouchers in the program already promise."""
    return max(0, cap_fen - cap_used_fen - outstanding_fen)


class VoucherValidity(StrEnum):
    """How long a voucher lives, a program rule (never past the program's end, the
    enterprise's subsidy window, nor the date a reviewer asks for).

    POOL_YEAR: to the end of its pool's year (Wuhan's 每年设立…算力服务券: the default).
    MONTHS: a number of months from its first day (a voucher issued in December still has
    its months).
    WINDOW: to the end of the enterprise's subsidy window.
    """

    POOL_YEAR = "pool_year"
    MONTHS = "months"
    WINDOW = "window"


MAX_VALIDITY_MONTHS = 36


def voucher_last_day(
    validity: VoucherValidity,
    months: int | None,
    *,
    year: int,
    start: date,
    program_end: date,
    window: Window,
) -> date:
    """The last day (inclusive) a voucher of ``year``'s pool starting on ``start`` may be
    valid under ``validity``: the rule's own end, cut at the program's end and the window's."""
    if validity is VoucherValidity.POOL_YEAR:
        own_end = date(year, 12, 31)
    elif validity is VoucherValidity.MONTHS:
        if months is None or not 1 <= months <= MAX_VALIDITY_MONTHS:
            raise RulesError("a validity in months is 1 to {most} months", most=MAX_VALIDITY_MONTHS)
        own_end = add_months(start, months) - timedelta(days=1)
    else:
        own_end = window.last_day
    return min(own_end, program_end, window.last_day)


@dataclass(frozen=True)
class SelectionField:
    """A field (领域) measure 3 selects models in: a stable code and its Chinese name."""

    code: str
    name: str


# Measure 3: 围绕电子信息制造、工业质检、教育、医疗、遥感、文创、金融等领域每年遴选一批… The seven
# named fields are a program's default list; the policy's 等领域 leaves it open, so a program
# may list others (programs/service.py keeps the list on the program).
POLICY_SELECTION_FIELDS = (
    SelectionField("manufacturing", "电子信息制造"),
    SelectionField("industrial_inspection", "工业质检"),
    SelectionField("education", "教育"),
    SelectionField("healthcare", "医疗"),
    SelectionField("remote_sensing", "遥感"),
    SelectionField("culture", "文创"),
    SelectionField("finance", "金融"),
)
SELECTION_FIELD_CODE = r"^[a-z][a-z0-9_]{1,39}$"
