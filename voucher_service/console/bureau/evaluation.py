"""The yearly evaluation (动态评估, issue 14) of a program and year, as ``GET
/v1/admin/programs/{code}/evaluation?year=`` gives it — the page shows the API's own model
(``EvaluationOut``) — with its workbook (``.../evaluation.xlsx``). Guarded by BUREAU_READ,
the rule of both endpoints.

The evaluation reads the year's usage records once, grouped in the database (it is a yearly
report, not the overview): at a million records it takes seconds, not milliseconds."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from sqlalchemy.orm import Session
from starlette.responses import Response

from voucher_service.auth.access import BUREAU_READ
from voucher_service.console.auth import guard
from voucher_service.console.i18n import language_of
from voucher_service.console.templating import render
from voucher_service.deps import SessionDep, SettingsDep, TodayDep
from voucher_service.domain.forecast import METHOD_EN, METHOD_ZH
from voucher_service.evaluation.export import workbook_response
from voucher_service.evaluation.queries import evaluate_year
from voucher_service.evaluation.schemas import EvaluationOut
from voucher_service.pagination import PageParams
from voucher_service.programs.queries import PoolQuery
from voucher_service.programs.service import list_programs
from voucher_service.routing import DatabaseRoute

router = APIRouter(route_class=DatabaseRoute)

Year = Annotated[int | None, Query(ge=2000, le=2100)]
Code = Annotated[str | None, Query(max_length=40)]


def _chosen(
    session: Session, program: str | None, year: int | None, today: date
) -> PoolQuery | None:
    """The program and year asked for; by default the first program and this year (None:
    there is no program yet)."""
    code = program or next((p.code for p in list_programs(session, PageParams(limit=1))[0]), None)
    return PoolQuery(program=code, year=year or today.year) if code else None


@router.get("/bureau/evaluation", dependencies=[guard(BUREAU_READ)])
def evaluation(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    today: TodayDep,
    program: Code = None,
    year: Year = None,
) -> Any:
    query = _chosen(session, program, year, today)
    report = None
    if query is not None:
        report = EvaluationOut.of(evaluate_year(session, query, today=today, tz=settings.tz))
    programs, _ = list_programs(session, PageParams(limit=100))
    return render(
        request,
        "bureau/evaluation.html",
        report=report,
        programs=programs,
        chosen=(query.program if query else "", query.year if query else year or today.year),
        method=METHOD_ZH if language_of(request) == "zh-CN" else METHOD_EN,
    )


@router.get("/bureau/evaluation.xlsx", dependencies=[guard(BUREAU_READ)])
def evaluation_workbook(
    session: SessionDep,
    settings: SettingsDep,
    today: TodayDep,
    program: Annotated[str, Query(max_length=40)],
    year: Annotated[int, Query(ge=2000, le=2100)],
) -> Response:
    """The same workbook as the API's, Chinese headers."""
    query = PoolQuery(program=program, year=year)
    report = evaluate_year(session, query, today=today, tz=settings.tz)
    return workbook_response(report)
