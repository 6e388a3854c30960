"""Programs (项目) and their top-up layers (区级叠加): the list of programs as ``GET
/v1/admin/programs`` gives it, and one program's page — its rule versions, its annual pools
with where their money is, and its layers: the district top-ups stacked on it (district,
rate, cap, order, combined ceiling, pools), or the base it tops up. A program administrator
proposes declaring or withdrawing a top-up there, through the same confirmation flow as
``PUT /v1/admin/programs/{code}/top-up`` (``programs.proposals``): a second program
administrator confirms it on the page of proposals awaiting a second person. Reading:
BUREAU_READ; proposing: PROGRAM_ADMIN, as in the API."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from sqlalchemy.orm import Session

from voucher_service.auth.access import BUREAU_READ, PROGRAM_ADMIN
from voucher_service.console.auth import guard
from voucher_service.console.bureau.common import allows, notice
from voucher_service.console.bureau.menu import BUREAU
from voucher_service.console.formatting import yuan
from voucher_service.console.history import section as history_section
from voucher_service.console.pages import act_then, describe, translator
from voucher_service.console.tables import Column, Table, row_of
from voucher_service.console.templating import render
from voucher_service.deps import NowDep, SessionDep, TodayDep
from voucher_service.domain.divisions import division_name
from voucher_service.errors import InvalidInput, ServiceError
from voucher_service.pagination import PageParams
from voucher_service.programs import proposals, stacking
from voucher_service.programs.service import (
    PoolTotals,
    ProgramView,
    describe_programs,
    get_program,
    list_pools,
    list_programs,
    pool_totals_of,
)
from voucher_service.routing import DatabaseRoute

router = APIRouter(route_class=DatabaseRoute)

PROGRAM_COLUMNS = (
    Column("code", "programs.code", "code", link="url"),
    Column("name", "programs.name"),
    Column("phase", "programs.phase", "label", prefix="program.phase."),
    Column("valid_from", "vouchers.valid_from", "date"),
    Column("valid_to", "vouchers.valid_to", "date"),
    Column("region", "programs.region"),
    Column("rate_bp", "programs.rate", "percent_bp"),
    Column("cap_fen", "programs.cap", "money"),
    Column("layer", "programs.layer"),
)
VERSION_COLUMNS = (
    Column("version", "programs.version"),
    Column("effective_from", "programs.effective_from", "date"),
    Column("effective_to", "programs.effective_to", "date"),
    Column("rate_bp", "programs.rate", "percent_bp"),
    Column("cap_fen", "programs.cap", "money"),
    Column("year_cap_fen", "programs.year_cap", "money"),
    Column("window_months", "programs.window_months", "number"),
    Column("in_force", "programs.in_force"),
)
# The columns of a rule version shown as its row holds them.
VERSION_TERMS = ("version", "effective_from", "rate_bp", "cap_fen", "year_cap_fen", "window_months")
POOL_TOTALS = (  # a pool's totals (programs.service.PoolTotals), after its year
    Column("total_fen", "programs.pool_total", "money"),
    Column("available_fen", "programs.pool_available", "money"),
    Column("outstanding_fen", "programs.pool_outstanding", "money"),
    Column("consumed_fen", "programs.pool_consumed", "money"),
)
POOL_COLUMNS = (Column("year", "overview.year"), *POOL_TOTALS)
LAYER_COLUMNS = (
    Column("stack_order", "programs.stack_order", "number"),
    Column("code", "programs.code", "code", link="url"),
    Column("name", "programs.name"),
    Column("district", "programs.district", link="district_url"),
    Column("rate_bp", "programs.rate", "percent_bp"),
    Column("cap_fen", "programs.cap", "money"),
    Column("ceiling_bp", "programs.ceiling", "percent_bp"),
    Column("pools", "programs.pools"),
)


def _region(t: Any, prefix: str) -> str:
    return division_name(prefix) if len(prefix) == 6 else t("programs.region_prefix", prefix=prefix)


def _current(view: ProgramView) -> Any:
    """The rule version in force (or the last one, for a program not running)."""
    running = [v.row for v in view.versions if v.in_force]
    return running[0] if running else (view.versions[-1].row if view.versions else None)


def _row(t: Any, view: ProgramView) -> dict[str, Any]:
    p, rules = view.program, _current(view)
    if view.tops_up:
        layer = t("programs.tops_up", base=view.tops_up.program_code)
    elif view.topped_up_by:
        layer = t("programs.base_of", count=len(view.topped_up_by))
    else:
        layer = ""
    return {
        "code": p.code,
        "url": f"{BUREAU}/programs/{p.code}",
        "name": p.name,
        "phase": view.phase.value,
        "valid_from": p.valid_from,
        "valid_to": p.valid_to,
        "region": _region(t, p.region_prefix),
        "rate_bp": rules.rate_bp if rules else None,
        "cap_fen": rules.cap_fen if rules else None,
        "layer": layer,
    }


@router.get("/bureau/programs", dependencies=[guard(BUREAU_READ)])
def programs(request: Request, session: SessionDep, today: TodayDep) -> Any:
    """Every program (``GET /v1/admin/programs``), with its current rate and cap and its
    place in a stack."""
    found, _ = list_programs(session, PageParams(limit=200))
    t = translator(request)
    rows = [_row(t, v) for v in describe_programs(session, found, today=today)]
    table = Table.whole("programs", "programs.caption", PROGRAM_COLUMNS, rows, row_key="code")
    return render(request, "bureau/programs.html", table=table)


def _district_url(prefix: str) -> str:
    """The page of the district a region is, when it is one (a six-digit prefix)."""
    return f"{BUREAU}/districts/{prefix}" if len(prefix) == 6 else ""


def _pools(session: Session, program: Any) -> list[tuple[Any, PoolTotals]]:
    """The program's annual pools, each with its totals."""
    pools, _ = list_pools(session, PageParams(limit=50), program=program)
    totals = pool_totals_of(session, pools)
    return [(p, totals[p.id or 0]) for p in pools]


def _pools_text(session: Session, program: Any) -> str:
    return "；".join(
        f"{p.year}: {yuan(totals.available_fen)} / {yuan(p.total_fen)}"
        for p, totals in _pools(session, program)
    )


def _version_row(t: Any, version: Any) -> dict[str, Any]:
    """A rule version: its own terms, the day it ends and whether it is in force."""
    terms = row_of(version.row, (), *VERSION_TERMS)
    in_force = t("filter.yes") if version.in_force else ""
    return terms | {"effective_to": version.effective_to, "in_force": in_force}


def _layer_rows(t: Any, session: Session, program: Any, today: Any) -> list[dict[str, Any]]:
    """The top-ups stacked on ``program``, in their order, each with its rules and pools."""
    layers = []
    for top, place in stacking.stack_on(session, program):
        [top_view] = describe_programs(session, [top], today=today)
        rules = _current(top_view)
        layers.append(
            {
                "stack_order": place.stack_order,
                "code": top.code,
                "url": f"{BUREAU}/programs/{top.code}",
                "name": top.name,
                "district": _region(t, top.region_prefix),
                "district_url": _district_url(top.region_prefix),
                "rate_bp": rules.rate_bp if rules else None,
                "cap_fen": rules.cap_fen if rules else None,
                "ceiling_bp": place.ceiling_bp,
                "pools": _pools_text(session, top),
            }
        )
    return layers


def _detail(
    request: Request,
    session: Session,
    code: str,
    today: Any,
    *,
    error: ServiceError | None = None,
) -> Any:
    t = translator(request)
    program = get_program(session, code)
    [view] = describe_programs(session, [program], today=today)
    versions = [_version_row(t, v) for v in view.versions]
    pools = [
        {"year": p.year} | row_of(totals, POOL_TOTALS) for p, totals in _pools(session, program)
    ]
    layers = _layer_rows(t, session, program, today)
    return render(
        request,
        "bureau/program.html",
        status_code=error.status if error else 200,
        view=view,
        p=program,
        region=_region(t, program.region_prefix),
        district_url=_district_url(program.region_prefix),
        versions=Table.whole("versions", "programs.versions", VERSION_COLUMNS, versions),
        pools=Table.whole("pools", "programs.pools_caption", POOL_COLUMNS, pools, "year"),
        layers=Table.whole("layers", "programs.layers", LAYER_COLUMNS, layers, "code"),
        may_propose=allows(request, PROGRAM_ADMIN) and not view.topped_up_by,
        error=describe(error, t) if error else None,
        notice=notice(request),
        object_history=history_section(session, t, "program", program.code),
    )


@router.get("/bureau/programs/{code}", dependencies=[guard(BUREAU_READ)])
def program_page(code: str, request: Request, session: SessionDep, today: TodayDep) -> Any:
    """``GET /v1/admin/programs/{code}`` with its pools and its layers."""
    return _detail(request, session, code, today)


def ceiling_bp(text: str) -> int:
    """A combined ceiling typed as a percentage (``70``, ``72.5``) in basis points."""
    try:
        bp = Decimal(text.strip().removesuffix("%")) * 100
    except InvalidOperation as exc:
        raise InvalidInput("not a percentage: {text!r}", text=text) from exc
    if bp != bp.to_integral_value() or not 1 <= bp <= 10000:
        raise InvalidInput("the ceiling is a percentage from 0.01 to 100: {text!r}", text=text)
    return int(bp)


@router.post("/bureau/programs/{code}/top-up", dependencies=[guard(PROGRAM_ADMIN)])
def propose_top_up(
    code: str,
    request: Request,
    session: SessionDep,
    today: TodayDep,
    now: NowDep,
    base: Annotated[str, Form(max_length=40)] = "",
    stack_order: Annotated[int, Form(ge=1, le=99)] = 1,
    ceiling: Annotated[str, Form(max_length=10)] = "",
) -> Any:
    """Propose declaring this program a top-up of ``base`` (as ``PUT
    /v1/admin/programs/{code}/top-up``): a second program administrator confirms it."""

    def act() -> None:
        program = get_program(session, code)
        declaration = stacking.Declaration(
            get_program(session, base), stack_order, ceiling_bp(ceiling)
        )
        proposals.propose_top_up(session, program, declaration, today=today, now=now)

    return _proposed(request, session, code, today, act)


@router.post("/bureau/programs/{code}/top-up/withdraw", dependencies=[guard(PROGRAM_ADMIN)])
def propose_withdrawal(
    code: str, request: Request, session: SessionDep, today: TodayDep, now: NowDep
) -> Any:
    """Propose withdrawing this program's top-up declaration (``DELETE .../top-up``)."""

    def act() -> None:
        program = get_program(session, code)
        proposals.propose_top_up_withdrawal(session, program, today=today, now=now)

    return _proposed(request, session, code, today, act)


def _proposed(request: Request, session: Session, code: str, today: Any, act: Any) -> Any:
    return act_then(
        session,
        act,
        f"{BUREAU}/programs/{code}?done=proposed",
        lambda refused: _detail(request, session, code, today, error=refused),
    )
