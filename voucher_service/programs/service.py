"""Programs, their versioned rules, and annual pools."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from voucher_service import audit_log as audit
from voucher_service.db.tables.programs import Pool, Program, RuleVersion
from voucher_service.db.tables.vouchers import Voucher, VoucherStatus
from voucher_service.domain.rules import CapScope, Rules, RulesError, rules_on
from voucher_service.errors import (
    AlreadyExists,
    ErrorCode,
    InvalidInput,
    NotFound,
    PoolBelowMinimum,
    ProgramNotValid,
)
from voucher_service.ledger import service as ledger
from voucher_service.money import fen_to_yuan
from voucher_service.pagination import PageParams, paginate


@dataclass(frozen=True)
class RuleNumbers:
    """The numbers of a rule version, as a caller gives them."""

    effective_from: date
    rate_bp: int
    cap_fen: int
    cap_scope: CapScope
    window_months: int
    pool_minimum_fen: int


def to_rules(row: RuleVersion) -> Rules:
    return Rules(
        version=row.version,
        effective_from=row.effective_from,
        rate_bp=row.rate_bp,
        cap_fen=row.cap_fen,
        cap_scope=CapScope(row.cap_scope),
        window_months=row.window_months,
        pool_minimum_fen=row.pool_minimum_fen,
    )


def get_program(session: Session, code: str) -> Program:
    program: Program | None = session.scalar(select(Program).where(Program.code == code))
    if program is None:
        raise NotFound(f"no program with code {code!r}", code=ErrorCode.PROGRAM_NOT_FOUND)
    return program


def rule_versions(session: Session, program_id: int) -> list[RuleVersion]:
    return list(
        session.scalars(
            select(RuleVersion)
            .where(RuleVersion.program_id == program_id)
            .order_by(RuleVersion.version)
        )
    )


def rules_in_force(session: Session, program: Program, day: date) -> Rules:
    """The rule version that applies on ``day``; refused outside the program's validity."""
    if not program.valid_from <= day <= program.valid_to:
        raise ProgramNotValid(
            f"program {program.code} is valid from {program.valid_from} to {program.valid_to}; "
            f"{day} is outside it"
        )
    rules = rules_on((to_rules(r) for r in rule_versions(session, program.id)), day)
    if rules is None:
        raise ProgramNotValid(f"program {program.code} has no rules in force on {day}")
    return rules


def _checked_rules(version: int, numbers: RuleNumbers) -> Rules:
    try:
        return Rules(version=version, **numbers.__dict__)
    except RulesError as exc:
        raise InvalidInput(str(exc), code=ErrorCode.INVALID_RULES) from exc


def create_program(
    session: Session,
    *,
    code: str,
    name: str,
    description: str,
    valid_from: date,
    valid_to: date,
    rules: RuleNumbers,
) -> Program:
    """Define a program with its first rule version (in force from ``rules.effective_from``)."""
    if valid_to < valid_from:
        raise InvalidInput("valid_to must not be before valid_from", code=ErrorCode.INVALID_PERIOD)
    if not valid_from <= rules.effective_from <= valid_to:
        raise InvalidInput(
            "the first rule version must take effect within the program's validity",
            code=ErrorCode.INVALID_RULES,
        )
    _checked_rules(1, rules)
    if session.scalar(select(Program.id).where(Program.code == code)) is not None:
        raise AlreadyExists(f"a program with code {code!r} already exists")
    program = Program(
        code=code, name=name, description=description, valid_from=valid_from, valid_to=valid_to
    )
    session.add(program)
    session.flush()
    session.add(RuleVersion(program_id=program.id, version=1, **_row_numbers(rules)))
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
            "rules": _row_numbers(rules),
        },
    )
    return program


def _row_numbers(rules: RuleNumbers) -> dict[str, object]:
    return {**rules.__dict__, "cap_scope": rules.cap_scope.value}


def add_rule_version(
    session: Session, program: Program, rules: RuleNumbers, *, today: date
) -> RuleVersion:
    """Add a rule version (the yearly review). It applies from its date onward only: it must
    start after the latest version and not in the past, so nothing already priced changes."""
    versions = rule_versions(session, program.id)
    latest = versions[-1]
    if rules.effective_from <= latest.effective_from:
        raise InvalidInput(
            f"a new version must take effect after version {latest.version} "
            f"({latest.effective_from})",
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
    row = RuleVersion(program_id=program.id, version=latest.version + 1, **_row_numbers(rules))
    session.add(row)
    session.flush()
    audit.record(
        session,
        "rules.add",
        "program",
        program.code,
        before={"version": latest.version},
        after={"version": row.version, **_row_numbers(rules)},
    )
    return row


def list_programs(session: Session, params: PageParams) -> tuple[list[Program], str | None]:
    return paginate(session, select(Program), Program.id, params)


def get_pool(session: Session, program: Program, year: int) -> Pool:
    pool: Pool | None = session.scalar(
        select(Pool).where(Pool.program_id == program.id, Pool.year == year)
    )
    if pool is None:
        raise NotFound(
            f"program {program.code} has no pool for {year}", code=ErrorCode.POOL_NOT_FOUND
        )
    return pool


def create_pool(session: Session, program: Program, *, year: int, total_fen: int) -> Pool:
    """Open a program's annual pool (年度券池), funded from the budget in one posting.

    Measure 2: 每年设立总额不低于1000万元的算力服务券 — a pool below the minimum of the rules
    in force at the start of the year (or of the program) is refused."""
    first_day = max(date(year, 1, 1), program.valid_from)
    if first_day > min(date(year, 12, 31), program.valid_to):
        raise ProgramNotValid(
            f"program {program.code} is not valid in {year} "
            f"({program.valid_from} to {program.valid_to})"
        )
    rules = rules_in_force(session, program, first_day)
    if total_fen < rules.pool_minimum_fen:
        raise PoolBelowMinimum(
            f"a {year} pool of {fen_to_yuan(total_fen)} yuan is below the program minimum of "
            f"{fen_to_yuan(rules.pool_minimum_fen)} yuan"
        )
    existing = session.scalar(
        select(Pool.id).where(Pool.program_id == program.id, Pool.year == year)
    )
    if existing is not None:
        raise AlreadyExists(f"program {program.code} already has a pool for {year}")
    pool = ledger.open_pool(
        session,
        Pool(program_id=program.id, year=year, total_fen=total_fen, available_fen=total_fen),
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
    row = session.execute(
        select(
            func.coalesce(func.sum(Voucher.balance_fen), 0),
            func.coalesce(func.sum(Voucher.subsidised_fen), 0),
            func.coalesce(func.sum(Voucher.face_value_fen), 0),
            func.coalesce(func.sum(Voucher.released_fen), 0),
            func.count().filter(Voucher.status == VoucherStatus.ACTIVE),
            func.count().filter(Voucher.status != VoucherStatus.ACTIVE),
        ).where(Voucher.pool_id == pool.id)
    ).one()
    outstanding, consumed, issued, released, active, closed = (int(x) for x in row)
    return PoolTotals(
        total_fen=pool.total_fen,
        available_fen=pool.available_fen,
        outstanding_fen=outstanding,
        consumed_fen=consumed,
        issued_fen=issued,
        released_fen=released,
        vouchers_active=active,
        vouchers_closed=closed,
    )


def list_pools(
    session: Session, params: PageParams, *, program: Program | None = None, year: int | None = None
) -> tuple[list[Pool], str | None]:
    query = select(Pool)
    if program is not None:
        query = query.where(Pool.program_id == program.id)
    if year is not None:
        query = query.where(Pool.year == year)
    return paginate(session, query, Pool.id, params)
