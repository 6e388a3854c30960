"""Bureau endpoints for programs, rule versions and annual pools."""

from __future__ import annotations

from fastapi import APIRouter, status
from sqlalchemy.orm import Session

from voucher_service.auth.access import ADMIN_ONLY, BUREAU_READ, rule
from voucher_service.db.tables.programs import Program
from voucher_service.deps import PageDep, SessionDep, TodayDep
from voucher_service.pagination import Page
from voucher_service.programs import service
from voucher_service.programs.schemas import (
    PoolCreate,
    PoolOut,
    ProgramCreate,
    ProgramOut,
    RuleVersionIn,
    RuleVersionOut,
)
from voucher_service.routing import DatabaseRoute

admin_router = APIRouter(route_class=DatabaseRoute, tags=["programs and pools (bureau)"])


def _program_out(session: Session, program: Program) -> ProgramOut:
    return ProgramOut(
        code=program.code,
        name=program.name,
        description=program.description,
        valid_from=program.valid_from,
        valid_to=program.valid_to,
        created_at=program.created_at,
        rules=[RuleVersionOut.of(r) for r in service.rule_versions(session, program.id)],
    )


@admin_router.post("/programs", status_code=status.HTTP_201_CREATED, dependencies=rule(ADMIN_ONLY))
def create_program(body: ProgramCreate, session: SessionDep) -> ProgramOut:
    """Define a subsidy program with its first rule version."""
    program = service.create_program(
        session,
        code=body.code,
        name=body.name,
        description=body.description,
        valid_from=body.valid_from,
        valid_to=body.valid_to,
        rules=body.rules.numbers(),
    )
    return _program_out(session, program)


@admin_router.get("/programs", dependencies=rule(BUREAU_READ))
def list_programs(session: SessionDep, page: PageDep) -> Page[ProgramOut]:
    programs, cursor = service.list_programs(session, page)
    return Page(items=[_program_out(session, p) for p in programs], next_cursor=cursor)


@admin_router.get("/programs/{code}", dependencies=rule(BUREAU_READ))
def get_program(code: str, session: SessionDep) -> ProgramOut:
    return _program_out(session, service.get_program(session, code))


@admin_router.post(
    "/programs/{code}/rules", status_code=status.HTTP_201_CREATED, dependencies=rule(ADMIN_ONLY)
)
def add_rule_version(
    code: str, body: RuleVersionIn, session: SessionDep, today: TodayDep
) -> RuleVersionOut:
    """Add a rule version (the yearly review). It applies from its date on and never
    re-prices anything already priced."""
    program = service.get_program(session, code)
    return RuleVersionOut.of(
        service.add_rule_version(session, program, body.numbers(), today=today)
    )


@admin_router.get("/programs/{code}/rules", dependencies=rule(BUREAU_READ))
def list_rule_versions(code: str, session: SessionDep) -> Page[RuleVersionOut]:
    program = service.get_program(session, code)
    rows = service.rule_versions(session, program.id)
    return Page(items=[RuleVersionOut.of(r) for r in rows])


@admin_router.post(
    "/programs/{code}/pools", status_code=status.HTTP_201_CREATED, dependencies=rule(ADMIN_ONLY)
)
def create_pool(code: str, body: PoolCreate, session: SessionDep) -> PoolOut:
    """Open the program's pool for a year; refused below the program minimum."""
    program = service.get_program(session, code)
    pool = service.create_pool(session, program, year=body.year, total_fen=body.total_yuan)
    return PoolOut.of(program.code, pool.year, service.pool_totals(session, pool))


@admin_router.get("/programs/{code}/pools", dependencies=rule(BUREAU_READ))
def list_pools(code: str, session: SessionDep, page: PageDep) -> Page[PoolOut]:
    program = service.get_program(session, code)
    pools, cursor = service.list_pools(session, page, program=program)
    return Page(
        items=[PoolOut.of(program.code, p.year, service.pool_totals(session, p)) for p in pools],
        next_cursor=cursor,
    )


@admin_router.get("/programs/{code}/pools/{year}", dependencies=rule(BUREAU_READ))
def get_pool(code: str, year: int, session: SessionDep) -> PoolOut:
    """A pool's totals: available, outstanding on vouchers, consumed by subsidies."""
    program = service.get_program(session, code)
    pool = service.get_pool(session, program, year)
    return PoolOut.of(program.code, year, service.pool_totals(session, pool))
