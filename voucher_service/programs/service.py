"""Programs, their versioned rules, and annual pools; a program's life cycle.

Life cycle (武政规〔2025〕3号 is in force from 2025-03-19 for two years): while a program is
upcoming or in force, pools may be opened, applications filed and vouchers issued; once it has
ended (after ``valid_to``), none of these. Vouchers already issued are grandfathered: they
never outlast the program's validity (issuance clips them to it), and their usage is priced
as usual until their own last day, reported within the grace period; expiry then returns
what is unspent to the pool.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session, aliased
from sqlmodel import col

from voucher_service import audit_log as audit
from voucher_service.db.tables.grants import Funding
from voucher_service.db.tables.programs import Pool, Program, RuleVersion, TopUp
from voucher_service.db.tables.vouchers import Voucher, VoucherStatus
from voucher_service.domain.rules import (
    CapScope,
    ProgramPhase,
    Rules,
    RulesError,
    last_days,
    program_phase,
    rules_on,
)
from voucher_service.errors import (
    AlreadyExists,
    ErrorCode,
    InvalidInput,
    InvalidState,
    NotFound,
    PoolAboveMaximum,
    PoolBelowMinimum,
    ProgramNotValid,
)
from voucher_service.ledger import service as ledger
from voucher_service.money import fen_to_yuan
from voucher_service.pagination import PageParams, paginate, where_given
from voucher_service.programs.settings import ProgramSettings
from voucher_service.programs.settings import store as store_settings


@dataclass(frozen=True)
class RuleNumbers:
    """The numbers of a rule version, as a caller gives them."""

    effective_from: date
    rate_bp: int
    cap_fen: int
    cap_scope: CapScope
    window_months: int
    pool_minimum_fen: int
    pool_maximum_fen: int | None = None
    year_cap_fen: int | None = None  # a cap per subsidy year beside a lifetime cap


@dataclass(frozen=True)
class Eligibility:
    """Who a program is for: registered in ``region_prefix`` (a prefix of the division code,
    "4201" for Wuhan, empty for anywhere), an SME by these declared thresholds, and, for a
    program like measure 3, selected for the year's batch (遴选)."""

    region_prefix: str = "4201"
    sme_max_headcount: int = 1000
    sme_max_revenue_fen: int = 400_000_000_00
    requires_selection: bool = False


def to_rules(row: RuleVersion) -> Rules:
    return Rules(
        version=row.version,
        effective_from=row.effective_from,
        rate_bp=row.rate_bp,
        cap_fen=row.cap_fen,
        cap_scope=CapScope(row.cap_scope),
        window_months=row.window_months,
        pool_minimum_fen=row.pool_minimum_fen,
        pool_maximum_fen=row.pool_maximum_fen,
        year_cap_fen=row.year_cap_fen,
    )


def get_program(session: Session, code: str) -> Program:
    program: Program | None = session.scalar(select(Program).where(Program.code == code))
    if program is None:
        raise NotFound(
            "no program with code {program_code!r}",
            program_code=code,
            code=ErrorCode.PROGRAM_NOT_FOUND,
        )
    return program


def rule_versions(session: Session, program_id: int) -> list[RuleVersion]:
    return list(
        session.scalars(
            select(RuleVersion)
            .where(RuleVersion.program_id == program_id)
            .order_by(RuleVersion.version)
        )
    )


def require_open(program: Program, today: date, what: str) -> None:
    """Refuse ``what`` (new vouchers, pools, applications) once the program has ended."""
    if program_phase(program.valid_from, program.valid_to, today) is ProgramPhase.ENDED:
        raise ProgramNotValid(
            (
                "program {program_code} ended on {valid_to}: no new {what}; "
                "vouchers already issued are priced as usual until their own "
                "last day"
            ),
            program_code=program.code,
            valid_to=program.valid_to,
            what=what,
        )


def require_funding(program: Program, funding: Funding) -> None:
    """Refuse (409) what a program's pools are not spent on: vouchers from a grants
    program's pool, grants from a vouchers program's."""
    if program.funding != funding:
        raise InvalidState(
            "program {program_code} is funded as {funding}, not as {wanted}",
            program_code=program.code,
            funding=program.funding,
            wanted=funding.value,
        )


def rules_in_force(session: Session, program: Program, day: date) -> Rules:
    """The rule version that applies on ``day``; refused outside the program's validity."""
    if not program.valid_from <= day <= program.valid_to:
        raise ProgramNotValid(
            (
                "program {program_code} is valid from {valid_from} to "
                "{valid_to}; {day} is outside it"
            ),
            program_code=program.code,
            valid_from=program.valid_from,
            valid_to=program.valid_to,
            day=day,
        )
    rules = rules_on((to_rules(r) for r in rule_versions(session, program.id)), day)
    if rules is None:
        raise ProgramNotValid(
            "program {program_code} has no rules in force on {day}",
            program_code=program.code,
            day=day,
        )
    return rules


def _checked_rules(version: int, numbers: RuleNumbers) -> Rules:
    try:
        return Rules(version=version, **numbers.__dict__)
    except RulesError as exc:
        raise InvalidInput(exc.template, code=ErrorCode.INVALID_RULES, **exc.params) from exc


def create_program(
    session: Session,
    *,
    code: str,
    name: str,
    description: str,
    valid_from: date,
    valid_to: date,
    rules: RuleNumbers,
    eligibility: Eligibility = Eligibility(),  # noqa: B008  (frozen: never changed)
    second_review_above_fen: int | None = None,
    settings: ProgramSettings = ProgramSettings(),  # noqa: B008  (frozen: never changed)
    funding: Funding = Funding.VOUCHERS,
) -> Program:
    """Define a program with its first rule version (in force from ``rules.effective_from``),
    who it is for, and the amount above which an approval or a revocation waits for a
    second reviewer (docs/access.md), with its ``settings`` (voucher validity, selection
    fields) and how its pools are spent (``funding``: vouchers, or grants to projects)."""
    if valid_to < valid_from:
        raise InvalidInput("valid_to must not be before valid_from", code=ErrorCode.INVALID_PERIOD)
    if not valid_from <= rules.effective_from <= valid_to:
        raise InvalidInput(
            "the first rule version must take effect within the program's validity",
            code=ErrorCode.INVALID_RULES,
        )
    _checked_rules(1, rules)
    if session.scalar(select(Program.id).where(Program.code == code)) is not None:
        raise AlreadyExists(
            "a program with code {program_code!r} already exists", program_code=code
        )
    if not eligibility.region_prefix.isdigit() and eligibility.region_prefix:
        raise InvalidInput(
            "the region prefix is digits of a division code, such as 4201",
            code=ErrorCode.INVALID_INPUT,
        )
    program = Program(
        code=code,
        name=name,
        description=description,
        valid_from=valid_from,
        valid_to=valid_to,
        second_review_above_fen=second_review_above_fen,
        funding=funding.value,
        **eligibility.__dict__,
    )
    store_settings(program, settings)
    session.add(program)
    session.flush()
    session.add(RuleVersion(program_id=program.id, version=1, **row_numbers(rules)))
    session.flush()
    audit.record(
        session,
        "program.create",
        "program",
        code,
        after={
            "name": name,
            "valid_from": valid_from,
            "valid_to": valid_to,
            "rules": row_numbers(rules),
            "second_review_above_fen": second_review_above_fen,
            "funding": funding.value,
            **eligibility.__dict__,
            **settings.as_payload(),
        },
    )
    return program


def row_numbers(rules: RuleNumbers) -> dict[str, object]:
    return {**rules.__dict__, "cap_scope": rules.cap_scope.value}


def check_rule_version(
    session: Session, program: Program, rules: RuleNumbers, *, today: date
) -> int:
    """The number a new rule version would take, or refused as ``add_rule_version`` says:
    checked when it is proposed and again when a second program administrator confirms."""
    latest = rule_versions(session, program.id)[-1]
    if rules.effective_from <= latest.effective_from:
        raise InvalidInput(
            "a new version must take effect after version {version} ({effective_from})",
            version=latest.version,
            effective_from=latest.effective_from,
            code=ErrorCode.INVALID_RULES,
        )
    if rules.effective_from < today:
        raise InvalidInput(
            "a new rule version cannot take effect in the past: it would re-price usage",
            code=ErrorCode.INVALID_RULES,
        )
    if rules.effective_from > program.valid_to:
        raise InvalidInput(
            "the rule version takes effect after the program ends", code=ErrorCode.INVALID_RULES
        )
    _checked_rules(latest.version + 1, rules)
    _check_top_up_ceilings(session, program, rules.rate_bp)
    return latest.version + 1


def add_rule_version(
    session: Session, program: Program, rules: RuleNumbers, *, today: date
) -> RuleVersion:
    """Add a rule version (the yearly review), once a second program administrator confirmed
    the proposal (``programs.proposals``). It applies from its date onward only: it must
    start after the latest version and not in the past, so nothing already priced changes."""
    version = check_rule_version(session, program, rules, today=today)
    row = RuleVersion(program_id=program.id, version=version, **row_numbers(rules))
    session.add(row)
    session.flush()
    audit.record(
        session,
        "rules.add",
        "program",
        program.code,
        before={"version": version - 1},
        after={"version": row.version, **row_numbers(rules)},
    )
    return row


def set_second_review(session: Session, program: Program, amount_fen: int | None) -> Program:
    """Change the amount above which an approval or a revocation waits for a second reviewer
    (None: never), once a second program administrator confirmed the proposal."""
    before = program.second_review_above_fen
    program.second_review_above_fen = amount_fen
    session.flush()
    audit.record(
        session,
        "program.second_review",
        "program",
        program.code,
        before={"second_review_above_fen": before},
        after={"second_review_above_fen": amount_fen},
    )
    return program


def _check_top_up_ceilings(session: Session, program: Program, rate_bp: int) -> None:
    """A base program's rate may not rise above a ceiling its top-ups declared: the ceiling
    would then cut the city's own subsidy."""
    lowest = session.scalar(
        select(func.min(TopUp.ceiling_bp)).where(TopUp.base_program_id == program.id)
    )
    if lowest is not None and rate_bp > lowest:
        raise InvalidInput(
            (
                "program {program_code} is topped up with a combined ceiling "
                "of {lowest} bp; its rate may not exceed it (asked {rate_bp} "
                "bp)"
            ),
            program_code=program.code,
            lowest=lowest,
            rate_bp=rate_bp,
            code=ErrorCode.INVALID_RULES,
        )


def list_programs(session: Session, params: PageParams) -> tuple[list[Program], str | None]:
    return paginate(session, select(Program), Program.id, params)


@dataclass(frozen=True)
class VersionView:
    """A rule version with the days it is in force (its last day inclusive)."""

    row: RuleVersion
    effective_to: date
    in_force: bool


@dataclass(frozen=True)
class StackPlace:
    """A top-up's place in a stack: the other program, the order, the combined ceiling."""

    program_code: str
    stack_order: int
    ceiling_bp: int


@dataclass(frozen=True)
class ProgramView:
    """A program with its phase today, its rule versions and its place in a stack."""

    program: Program
    phase: ProgramPhase
    versions: list[VersionView]
    tops_up: StackPlace | None
    topped_up_by: list[StackPlace]


def describe_programs(
    session: Session, programs: list[Program], *, today: date
) -> list[ProgramView]:
    """The views of ``programs``, in their order: two queries for any number of them."""
    if not programs:
        return []
    ids = {p.id for p in programs}
    versions: dict[int | None, list[RuleVersion]] = {i: [] for i in ids}
    for row in session.scalars(
        select(RuleVersion)
        .where(col(RuleVersion.program_id).in_(ids))
        .order_by(RuleVersion.program_id, RuleVersion.version)
    ):
        versions[row.program_id].append(row)
    base, top = aliased(Program), aliased(Program)
    tops_up: dict[int | None, StackPlace] = {}
    topped_up_by: dict[int | None, list[StackPlace]] = {i: [] for i in ids}
    for stacking, top_code, base_code in session.execute(
        select(TopUp, top.code, base.code)
        .join(top, top.id == TopUp.program_id)
        .join(base, base.id == TopUp.base_program_id)
        .where(or_(col(TopUp.program_id).in_(ids), col(TopUp.base_program_id).in_(ids)))
        .order_by(TopUp.stack_order)
    ):
        order, ceiling = stacking.stack_order, stacking.ceiling_bp
        tops_up[stacking.program_id] = StackPlace(base_code, order, ceiling)
        if stacking.base_program_id in topped_up_by:
            topped_up_by[stacking.base_program_id].append(StackPlace(top_code, order, ceiling))
    return [
        ProgramView(
            program=program,
            phase=program_phase(program.valid_from, program.valid_to, today),
            versions=_version_views(program, versions[program.id], today),
            tops_up=tops_up.get(program.id),
            topped_up_by=topped_up_by[program.id],
        )
        for program in programs
    ]


def _version_views(program: Program, rows: list[RuleVersion], today: date) -> list[VersionView]:
    ends = last_days([r.effective_from for r in rows], program.valid_to)
    running = program_phase(program.valid_from, program.valid_to, today) is ProgramPhase.IN_FORCE
    return [
        VersionView(row, end, running and row.effective_from <= today <= end)
        for row, end in zip(rows, ends, strict=True)
    ]


def get_pool(session: Session, program: Program, year: int) -> Pool:
    pool: Pool | None = session.scalar(
        select(Pool).where(Pool.program_id == program.id, Pool.year == year)
    )
    if pool is None:
        raise NotFound(
            "program {program_code} has no pool for {year}",
            program_code=program.code,
            year=year,
            code=ErrorCode.POOL_NOT_FOUND,
        )
    return pool


def check_pool(
    session: Session, program: Program, *, year: int, total_fen: int, today: date
) -> None:
    """Refuse a pool that ``create_pool`` would refuse: checked when it is proposed and again
    when a second program administrator confirms it.

    Measure 2: 每年设立总额不低于1000万元的算力服务券 — a pool below the minimum of the rules
    in force at the start of the year (or of the program) is refused, as is one above its
    maximum (the monitoring grants: 每年安排不超过300万元), and a pool once the program has
    ended."""
    require_open(program, today, "pools")
    first_day = max(date(year, 1, 1), program.valid_from)
    if first_day > min(date(year, 12, 31), program.valid_to):
        raise ProgramNotValid(
            "program {program_code} is not valid in {year} ({valid_from} to {valid_to})",
            program_code=program.code,
            year=year,
            valid_from=program.valid_from,
            valid_to=program.valid_to,
        )
    rules = rules_in_force(session, program, first_day)
    if total_fen < rules.pool_minimum_fen:
        raise PoolBelowMinimum(
            (
                "a {year} pool of {total_yuan} yuan is below the program "
                "minimum of {pool_minimum_yuan} yuan"
            ),
            year=year,
            total_yuan=fen_to_yuan(total_fen),
            pool_minimum_yuan=fen_to_yuan(rules.pool_minimum_fen),
        )
    if rules.pool_maximum_fen is not None and total_fen > rules.pool_maximum_fen:
        raise PoolAboveMaximum(
            (
                "a {year} pool of {total_yuan} yuan is above the program "
                "maximum of {pool_maximum_yuan} yuan"
            ),
            year=year,
            total_yuan=fen_to_yuan(total_fen),
            pool_maximum_yuan=fen_to_yuan(rules.pool_maximum_fen),
        )
    existing = session.scalar(
        select(Pool.id).where(Pool.program_id == program.id, Pool.year == year)
    )
    if existing is not None:
        raise AlreadyExists(
            "program {program_code} already has a pool for {year}",
            program_code=program.code,
            year=year,
        )


def create_pool(
    session: Session, program: Program, *, year: int, total_fen: int, today: date
) -> Pool:
    """Open a program's annual pool (年度券池), funded from the budget in one posting, once a
    second program administrator confirmed the proposal (``programs.proposals``); refused as
    ``check_pool`` says."""
    check_pool(session, program, year=year, total_fen=total_fen, today=today)
    pool = ledger.open_pool(
        session,
        program_id=program.id,
        year=year,
        total_fen=total_fen,
        memo=f"{program.code} {year} pool",
    )
    audit.record(
        session, "pool.create", "pool", f"{program.code}/{year}", after={"total_fen": total_fen}
    )
    return pool


@dataclass(frozen=True)
class PoolTotals:
    """A pool's money by where it is: total = available + outstanding + consumed."""

    total_fen: int
    available_fen: int
    outstanding_fen: int
    consumed_fen: int
    issued_fen: int
    released_fen: int
    vouchers_active: int
    vouchers_closed: int


def pool_totals(session: Session, pool: Pool) -> PoolTotals:
    return pool_totals_of(session, [pool])[pool.id]  # type: ignore[index]


def pool_totals_of(session: Session, pools: list[Pool]) -> dict[int, PoolTotals]:
    """Each pool's totals by its id: one grouped query over their vouchers, however many."""
    if not pools:
        return {}
    rows = session.execute(
        select(
            Voucher.pool_id,
            func.coalesce(func.sum(Voucher.balance_fen), 0),
            func.coalesce(func.sum(Voucher.subsidised_fen), 0),
            func.coalesce(func.sum(Voucher.face_value_fen), 0),
            func.coalesce(func.sum(Voucher.released_fen), 0),
            func.count().filter(Voucher.status == VoucherStatus.ACTIVE),
            func.count().filter(Voucher.status != VoucherStatus.ACTIVE),
        )
        .where(col(Voucher.pool_id).in_([pool.id for pool in pools]))
        .group_by(Voucher.pool_id)
    )
    sums = {int(pool_id): [int(x) for x in rest] for pool_id, *rest in rows}
    totals = {}
    for pool in pools:
        outstanding, consumed, issued, released, active, closed = sums.get(
            pool.id or 0, [0, 0, 0, 0, 0, 0]
        )
        totals[pool.id or 0] = PoolTotals(
            total_fen=pool.total_fen,
            available_fen=pool.available_fen,
            outstanding_fen=outstanding,
            consumed_fen=consumed,
            issued_fen=issued,
            released_fen=released,
            vouchers_active=active,
            vouchers_closed=closed,
        )
    return totals


def list_pools(
    session: Session, params: PageParams, *, program: Program | None = None, year: int | None = None
) -> tuple[list[Pool], str | None]:
    query = where_given(
        select(Pool), (Pool.program_id, program.id if program else None), (Pool.year, year)
    )
    return paginate(session, query, Pool.id, params)
