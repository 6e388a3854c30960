"""The bureau's aggregates: every pool's totals, and one pool's figures in full."""

from __future__ import annotations

from fastapi import APIRouter

from voucher_service.aggregates import queries, service
from voucher_service.aggregates.schemas import PoolAggregatesOut, PoolSummaryOut
from voucher_service.auth.access import BUREAU_READ, rule
from voucher_service.deps import NowDep, SessionDep, SettingsDep
from voucher_service.fields import ProgramCode, Year
from voucher_service.pagination import Page
from voucher_service.programs.queries import PoolQuery
from voucher_service.routing import DatabaseRoute

admin_router = APIRouter(route_class=DatabaseRoute, tags=["aggregates (bureau)"])


@admin_router.get("/aggregates", dependencies=rule(BUREAU_READ))
def pool_summaries(session: SessionDep) -> Page[PoolSummaryOut]:
    """Every program and year: total, available, outstanding and consumed (exact), by program
    code then year. Always one page."""
    return Page(items=[PoolSummaryOut.of(s) for s in service.summaries(session)])


@admin_router.get("/programs/{code}/pools/{year}/aggregates", dependencies=rule(BUREAU_READ))
def pool_aggregates(
    code: ProgramCode, year: Year, session: SessionDep, settings: SettingsDep, now: NowDep
) -> PoolAggregatesOut:
    """One program's year: the four totals; subsidies and the burn-down month by month;
    subsidies by district (named), provider and size class; the enterprises near their cap.
    Read from maintained figures (no scan of the usage records): the month and provider
    figures are at most 15 s old (``usage_age_seconds``), the rest exact."""
    query = PoolQuery(program=code, year=year)
    figures = queries.pool_figures(session, query, now=now, tz=settings.tz)
    return PoolAggregatesOut.of_aggregates(figures)
