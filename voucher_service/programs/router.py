"""Bureau endpoints for programs, rule versions, top-ups and annual pools."""

from __future__ import annotations

from fastapi import APIRouter, status
from sqlalchemy.orm import Session

from voucher_service.auth.access import BUREAU_READ, PROGRAM_ADMIN, rule
from voucher_service.db.tables.programs import Program
from voucher_service.deps import PageDep, SessionDep, TodayDep
from voucher_service.fields import ProgramCode, Year
from voucher_service.pagination import Page
from voucher_service.programs import service, stacking
from voucher_service.programs.schemas import (
    PoolCreate,
    PoolOut,
    ProgramCreate,
    ProgramOut,
    RuleVersionIn,
    RuleVersionOut,
    TopUpIn,
)
from voucher_service.routing import DatabaseRoute

admin_router = APIRouter(route_class=DatabaseRoute, tags=["programs and pools (bureau)"])


def _program_out(session: Session, program: Program, today: TodayDep) -> ProgramOut:
    return ProgramOut.of(service.describe_programs(session, [program], today=today)[0])


@admin_router.post(
    "/programs", status_code=status.HTTP_201_CREATED, dependencies=rule(PROGRAM_ADMIN)
)
def create_program(body: ProgramCreate, session: SessionDep, today: TodayDep) -> ProgramOut:
    """Define a subsidy program with its first rule version and who it is for."""
    program = service.create_program(
        session,
        code=body.code,
        name=body.name,
        description=body.description,
        valid_from=body.valid_from,
        valid_to=body.valid_to,
        rules=body.rules.numbers(),
        eligibility=body.eligibility(),
        second_review_above_fen=body.second_review_above_yuan,
    )
    return _program_out(session, program, today)


@admin_router.get("/programs", dependencies=rule(BUREAU_READ))
def list_programs(session: SessionDep, page: PageDep, today: TodayDep) -> Page[ProgramOut]:
    programs, cursor = service.list_programs(session, page)
    views = service.describe_programs(session, programs, today=today)
    return Page(items=[ProgramOut.of(v) for v in views], next_cursor=cursor)


@admin_router.get("/programs/{code}", dependencies=rule(BUREAU_READ))
def get_program(code: ProgramCode, session: SessionDep, today: TodayDep) -> ProgramOut:
    """A program: its phase, eligibility, place in a stack, and rule versions with the
    dates each is in force."""
    return _program_out(session, service.get_program(session, code), today)


@admin_router.post(
    "/programs/{code}/rules", status_code=status.HTTP_201_CREATED, dependencies=rule(PROGRAM_ADMIN)
)
def add_rule_version(
    code: ProgramCode, body: RuleVersionIn, session: SessionDep, today: TodayDep
) -> RuleVersionOut:
    """Add a rule version (the yearly review). It applies from its date on and never
    re-prices anything already priced."""
    program = service.get_program(session, code)
    service.add_rule_version(session, program, body.numbers(), today=today)
    return _program_out(session, program, today).rules[-1]


@admin_router.get("/programs/{code}/rules", dependencies=rule(BUREAU_READ))
def list_rule_versions(
    code: ProgramCode, session: SessionDep, today: TodayDep
) -> Page[RuleVersionOut]:
    program = service.get_program(session, code)
    return Page(items=_program_out(session, program, today).rules)


@admin_router.put("/programs/{code}/top-up", dependencies=rule(PROGRAM_ADMIN))
def declare_top_up(
    code: ProgramCode, body: TopUpIn, session: SessionDep, today: TodayDep
) -> ProgramOut:
    """Declare the program a top-up of another (or change its order or ceiling), before its
    first voucher. Refused with ``top_up_refused`` when it breaks a stacking rule."""
    program = service.get_program(session, code)
    declaration = stacking.Declaration(
        base=service.get_program(session, body.base_program_code),
        stack_order=body.stack_order,
        ceiling_bp=body.ceiling_bp,
    )
    stacking.declare_top_up(session, program, declaration, today=today)
    return _program_out(session, program, today)


@admin_router.delete("/programs/{code}/top-up", dependencies=rule(PROGRAM_ADMIN))
def withdraw_top_up(code: ProgramCode, session: SessionDep, today: TodayDep) -> ProgramOut:
    """Withdraw the declaration (before the program's first voucher)."""
    program = service.get_program(session, code)
    stacking.withdraw_top_up(session, program, today=today)
    return _program_out(session, program, today)


@admin_router.post(
    "/programs/{code}/pools", status_code=status.HTTP_201_CREATED, dependencies=rule(PROGRAM_ADMIN)
)
def create_pool(
    code: ProgramCode, body: PoolCreate, session: SessionDep, today: TodayDep
) -> PoolOut:
    """Open the program's pool for a year; refused below the program minimum, and once the
    program has ended."""
    program = service.get_program(session, code)
    pool = service.create_pool(
        session, program, year=body.year, total_fen=body.total_yuan, today=today
    )
    return PoolOut.of(program.code, pool.year, service.pool_totals(session, pool))


@admin_router.get("/programs/{code}/pools", dependencies=rule(BUREAU_READ))
def list_pools(code: ProgramCode, session: SessionDep, page: PageDep) -> Page[PoolOut]:
    program = service.get_program(session, code)
    pools, cursor = service.list_pools(session, page, program=program)
    return Page(
        items=[PoolOut.of(program.code, p.year, service.pool_totals(session, p)) for p in pools],
        next_cursor=cursor,
    )


@admin_router.get("/programs/{code}/pools/{year}", dependencies=rule(BUREAU_READ))
def get_pool(code: ProgramCode, year: Year, session: SessionDep) -> PoolOut:
    """A pool's totals: available, outstanding on vouchers, consumed by subsidies."""
    program = service.get_program(session, code)
    pool = service.get_pool(session, program, year)
    return PoolOut.of(program.code, year, service.pool_totals(session, pool))
