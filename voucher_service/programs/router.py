"""Bureau endpoints for programs, rule versions, top-ups and annual pools. A pool, a rule
version, a top-up layer and a second-review amount are proposals (202, with the
confirmation) that take effect when a second program administrator confirms them
(``POST /v1/admin/confirmations/{id}/confirm``)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from fastapi import APIRouter, status
from sqlalchemy.orm import Session

from voucher_service.auth.access import BUREAU_READ, PROGRAM_ADMIN, rule
from voucher_service.auth.proposals import view
from voucher_service.auth.schemas import ConfirmationOut
from voucher_service.db.tables.confirmations import Confirmation
from voucher_service.db.tables.programs import Program
from voucher_service.deps import NowDep, PageDep, SessionDep, TodayDep
from voucher_service.errors import ErrorCode, InvalidInput
from voucher_service.fields import ProgramCode, Year
from voucher_service.pagination import Page
from voucher_service.programs import proposals, service, stacking
from voucher_service.programs.schemas import (
    PoolCreate,
    PoolOut,
    ProgramCreate,
    ProgramOut,
    ProgramUpdate,
    RuleVersionIn,
    RuleVersionOut,
    TopUpIn,
)
from voucher_service.routing import DatabaseRoute

admin_router = APIRouter(route_class=DatabaseRoute, tags=["programs and pools (bureau)"])
Handler = TypeVar("Handler", bound=Callable[..., Any])


def _proposal(method: str, path: str) -> Callable[[Handler], Handler]:
    """A route that proposes (202, with the confirmation) rather than does."""
    return admin_router.api_route(
        path,
        methods=[method],
        status_code=status.HTTP_202_ACCEPTED,
        dependencies=rule(PROGRAM_ADMIN),
        responses={
            202: {
                "description": "Proposed: it takes effect when a second program administrator "
                "confirms it (POST /v1/admin/confirmations/{id}/confirm); the proposer may "
                "withdraw it."
            }
        },
    )


def _proposed(session: Session, row: Confirmation) -> ConfirmationOut:
    return ConfirmationOut.of(view(session, row.id or 0))


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
        settings=body.settings(),
        funding=body.funding,
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


@_proposal("PATCH", "/programs/{code}")
def update_program(
    code: ProgramCode, body: ProgramUpdate, session: SessionDep, now: NowDep
) -> ConfirmationOut:
    """Propose a new second-review amount (null: none), or new settings (voucher validity,
    selection fields). A second program administrator confirms it; until then the program
    keeps what it has."""
    program = service.get_program(session, code)
    given = body.model_fields_set
    if len(given & {"second_review_above_yuan", "settings"}) != 1 or (
        "settings" in given and body.settings is None
    ):
        raise InvalidInput(
            "give either second_review_above_yuan or settings (one change per proposal)",
            code=ErrorCode.INVALID_INPUT,
        )
    if body.settings is not None:
        row = proposals.propose_settings(session, program, body.settings.settings(), now=now)
        return _proposed(session, row)
    amount = body.second_review_above_yuan
    return _proposed(session, proposals.propose_second_review(session, program, amount, now=now))


@_proposal("POST", "/programs/{code}/rules")
def add_rule_version(
    code: ProgramCode, body: RuleVersionIn, session: SessionDep, today: TodayDep, now: NowDep
) -> ConfirmationOut:
    """Propose a rule version (the yearly review). Once confirmed it applies from its date on
    and never re-prices anything already priced; refused at once (nothing proposed) if it
    would not be added."""
    program = service.get_program(session, code)
    row = proposals.propose_rule_version(session, program, body.numbers(), today=today, now=now)
    return _proposed(session, row)


@admin_router.get("/programs/{code}/rules", dependencies=rule(BUREAU_READ))
def list_rule_versions(
    code: ProgramCode, session: SessionDep, today: TodayDep
) -> Page[RuleVersionOut]:
    program = service.get_program(session, code)
    return Page(items=_program_out(session, program, today).rules)


@_proposal("PUT", "/programs/{code}/top-up")
def declare_top_up(
    code: ProgramCode, body: TopUpIn, session: SessionDep, today: TodayDep, now: NowDep
) -> ConfirmationOut:
    """Propose declaring the program a top-up of another (or changing its order or ceiling),
    before its first voucher. Refused at once with ``top_up_refused`` when it breaks a
    stacking rule."""
    program = service.get_program(session, code)
    declaration = stacking.Declaration(
        base=service.get_program(session, body.base_program_code),
        stack_order=body.stack_order,
        ceiling_bp=body.ceiling_bp,
    )
    row = proposals.propose_top_up(session, program, declaration, today=today, now=now)
    return _proposed(session, row)


@_proposal("DELETE", "/programs/{code}/top-up")
def withdraw_top_up(
    code: ProgramCode, session: SessionDep, today: TodayDep, now: NowDep
) -> ConfirmationOut:
    """Propose withdrawing the declaration (before the program's first voucher)."""
    program = service.get_program(session, code)
    row = proposals.propose_top_up_withdrawal(session, program, today=today, now=now)
    return _proposed(session, row)


@_proposal("POST", "/programs/{code}/pools")
def create_pool(
    code: ProgramCode, body: PoolCreate, session: SessionDep, today: TodayDep, now: NowDep
) -> ConfirmationOut:
    """Propose the program's pool for a year; refused at once below the program minimum, once
    the program has ended, or when the year has its pool."""
    program = service.get_program(session, code)
    row = proposals.propose_pool(
        session, program, year=body.year, total_fen=body.total_yuan, today=today, now=now
    )
    return _proposed(session, row)


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
