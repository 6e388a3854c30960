"""The yearly evaluation for the bureau: JSON, or the workbook."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response

from voucher_service.auth.access import BUREAU_READ, rule
from voucher_service.deps import SessionDep, SettingsDep, TodayDep
from voucher_service.evaluation.export import workbook_response
from voucher_service.evaluation.queries import evaluate_year
from voucher_service.evaluation.schemas import EvaluationOut
from voucher_service.exports import XLSX
from voucher_service.fields import ProgramCode
from voucher_service.programs.queries import PoolQuery
from voucher_service.routing import DatabaseRoute, downloads

admin_router = APIRouter(route_class=DatabaseRoute, tags=["evaluation (bureau)"])

YearQuery = Annotated[int, Query(ge=2000, le=2100, description="The pool's year.")]


@admin_router.get("/programs/{code}/evaluation", dependencies=rule(BUREAU_READ))
def evaluation(
    code: ProgramCode, year: YearQuery, session: SessionDep, settings: SettingsDep, today: TodayDep
) -> EvaluationOut:
    """The program's yearly evaluation (动态评估) as of today, with next year's recommended
    pool and the method that sized it."""
    query = PoolQuery(program=code, year=year)
    return EvaluationOut.of(evaluate_year(session, query, today=today, tz=settings.tz))


@admin_router.get(
    "/programs/{code}/evaluation.xlsx", dependencies=rule(BUREAU_READ), responses=downloads(XLSX)
)
def evaluation_workbook(
    code: ProgramCode, year: YearQuery, session: SessionDep, settings: SettingsDep, today: TodayDep
) -> Response:
    """The same evaluation as a workbook with Chinese headers."""
    report = evaluate_year(session, PoolQuery(program=code, year=year), today=today, tz=settings.tz)
    return workbook_response(report)
