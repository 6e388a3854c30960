"""The bureau's overview: every program and year with its four totals, and one of them in
full (the burn-down and subsidies by month, by district, provider and size class, the
enterprises near their cap) — the figures of the aggregates API, read by the same service
functions (``aggregates.service``), so the page and ``GET /v1/admin/programs/{code}/pools/
{year}/aggregates`` show the same numbers. Guarded by BUREAU_READ, the API's rule."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request

from voucher_service.aggregates import queries, service
from voucher_service.aggregates.schemas import month_text
from voucher_service.aggregates.service import NEAR_CAP_SHARE_BP, Line, PoolAggregates
from voucher_service.auth.access import BUREAU_READ
from voucher_service.console.auth import guard
from voucher_service.console.bureau.common import notice
from voucher_service.console.bureau.menu import BUREAU
from voucher_service.console.i18n import Translator
from voucher_service.console.pages import translator
from voucher_service.console.tables import Column, Table
from voucher_service.console.templating import render
from voucher_service.deps import NowDep, SessionDep, SettingsDep
from voucher_service.money import fen_to_yuan
from voucher_service.programs.queries import PoolQuery
from voucher_service.routing import DatabaseRoute

router = APIRouter(route_class=DatabaseRoute)

POOL_COLUMNS = (
    Column("program_code", "overview.program", "code", link="url"),
    Column("program_name", "overview.program_name"),
    Column("year", "overview.year"),
    Column("total_fen", "overview.total", "money"),
    Column("available_fen", "overview.available", "money"),
    Column("outstanding_fen", "overview.outstanding", "money"),
    Column("consumed_fen", "overview.consumed", "money"),
)
NEAR_CAP_COLUMNS = (
    Column("name", "overview.enterprise", link="url"),
    Column("uscc", "enterprises.uscc", "code"),
    Column("district_name", "overview.district"),
    Column("used_fen", "overview.cap_used", "money"),
    Column("cap_fen", "overview.cap", "money"),
    Column("used_bp", "overview.cap_share", "percent_bp"),
)
# A palette that reads on white and in grey print: the masthead's blue first, the red rule's.
PALETTE = ["#0b3d6e", "#b8121b", "#2f7ebc", "#d9822b", "#3a8f5c", "#7b5ea7", "#8c8c8c"]


def _yuan(fen: int | None) -> str | None:
    """A chart's value: exact yuan as text (ECharts reads numeric strings), never a float."""
    return None if fen is None else fen_to_yuan(fen)


def _axis(t: Translator) -> dict[str, Any]:
    return {"type": "value", "name": t("chart.yuan"), "axisLabel": {"formatter": "{value}"}}


_GRID = {"left": 8, "right": 36, "top": 48, "bottom": 8, "containLabel": True}
_COMMON = {"color": PALETTE, "tooltip": {"trigger": "axis"}, "grid": _GRID}


def _available(figures: PoolAggregates, t: Translator) -> dict[str, Any]:
    """The "未分配" line: the months the pool's postings give a figure for, joined across a
    month without one. A pool opened this month has one figure only (a lone dot, issue 23):
    it is drawn as a level line across the year, the amount available now."""
    points = [m.available_fen for m in figures.months]
    known = [p for p in points if p is not None]
    series: dict[str, Any] = {
        "type": "line",
        "name": t("chart.available"),
        "data": [_yuan(p) if p is not None else None for p in points],
        "connectNulls": True,
        "showAllSymbol": True,
        "symbolSize": 6,
    }
    if len(known) == 1:
        series["data"] = [_yuan(known[0])] * len(points)
        series["lineStyle"] = {"type": "dashed"}
        series["symbol"] = "none"
    return series


def _burn_down(figures: PoolAggregates, t: Translator) -> dict[str, Any]:
    """Unspent and available at each month's end, as two lines."""
    return {
        **_COMMON,
        "legend": {"top": 0},
        "xAxis": {"type": "category", "data": [month_text(m.month) for m in figures.months]},
        "yAxis": {**_axis(t), "scale": True},
        "series": [
            {
                "type": "line",
                "name": t("chart.unspent"),
                "data": [_yuan(m.unspent_fen) for m in figures.months],
                "areaStyle": {"opacity": 0.08},
            },
            _available(figures, t),
        ],
    }


def _by_month(figures: PoolAggregates, t: Translator) -> dict[str, Any]:
    """The subsidy of each service month, as columns."""
    return {
        **_COMMON,
        "xAxis": {"type": "category", "data": [month_text(m.month) for m in figures.months]},
        "yAxis": _axis(t),
        "series": [
            {
                "type": "bar",
                "name": t("chart.subsidy"),
                "barMaxWidth": 36,
                "data": [_yuan(m.subsidy_fen) for m in figures.months],
            }
        ],
    }


def _bars(lines: list[Line], t: Translator, prefix: str = "") -> dict[str, Any]:
    """Subsidy by line (a district, a provider) as bars, the lines with none left out (all
    shown when every line has none); a line's name from the catalogue where it has one."""
    shown = [line for line in lines if line.subsidy_fen] or lines
    labels = [t(prefix + x.key) if prefix + x.key in t else x.label for x in shown]
    return {
        **_COMMON,
        "xAxis": _axis(t),
        "yAxis": {"type": "category", "data": labels, "inverse": True},
        "series": [
            {
                "type": "bar",
                "name": t("chart.subsidy"),
                "barMaxWidth": 28,
                "data": [_yuan(x.subsidy_fen) for x in shown],
            }
        ],
    }


def _by_size(figures: PoolAggregates, t: Translator) -> dict[str, Any]:
    """Subsidy by the enterprises' declared size class, as a ring."""
    return {
        "color": PALETTE,
        "tooltip": {"trigger": "item"},
        "legend": {"bottom": 0},
        "series": [
            {
                "type": "pie",
                "name": t("chart.subsidy"),
                "radius": ["35%", "65%"],
                "data": [
                    {"name": t(f"size.{x.key}"), "value": _yuan(x.subsidy_fen)}
                    for x in figures.by_size_class
                ],
            }
        ],
    }


def charts(figures: PoolAggregates, t: Translator) -> dict[str, dict[str, Any]]:
    """The ECharts options of a pool's figures, by chart id."""
    return {
        "burn-down": _burn_down(figures, t),
        "by-month": _by_month(figures, t),
        "by-district": _bars(figures.by_district, t, "district."),
        "by-provider": _bars(figures.by_provider, t),
        "by-size": _by_size(figures, t),
    }


@router.get("/bureau", dependencies=[guard(BUREAU_READ)])
def overview(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    now: NowDep,
    program: Annotated[str | None, Query(max_length=40)] = None,
    year: Annotated[int | None, Query(ge=2000, le=2100)] = None,
) -> Any:
    t = translator(request)
    pools = service.summaries(session)
    if program is None or year is None:
        today = now.astimezone(settings.tz).date()
        this_year = [p for p in pools if p.year == today.year]
        chosen = (this_year or pools[-1:])[:1]
        program, year = (chosen[0].program_code, chosen[0].year) if chosen else (None, None)
    figures = None
    if program is not None and year is not None:
        query = PoolQuery(program=program, year=year)
        figures = queries.pool_figures(session, query, now=now, tz=settings.tz)
    rows = [
        {
            "program_code": p.program_code,
            "program_name": p.program_name,
            "year": p.year,
            "total_fen": p.totals.total_fen,
            "available_fen": p.totals.available_fen,
            "outstanding_fen": p.totals.outstanding_fen,
            "consumed_fen": p.totals.consumed_fen,
            "key": f"{p.program_code}/{p.year}",
            "url": f"{BUREAU}?program={p.program_code}&year={p.year}",
        }
        for p in pools
    ]
    pool_table = Table.whole("pools", "overview.pools", POOL_COLUMNS, rows, row_key="key")
    near_table = None
    if figures is not None:
        near_rows = [
            {**n.__dict__, "used_bp": n.used_bp, "url": f"{BUREAU}/enterprises/{n.uscc}"}
            for n in figures.near_cap
        ]
        near_table = Table.whole(
            "near-cap", "overview.near_cap", NEAR_CAP_COLUMNS, near_rows, row_key="uscc"
        )
    return render(
        request,
        "bureau/overview.html",
        pools=pool_table,
        selected=(program, year),
        figures=figures,
        near_table=near_table,
        near_share=NEAR_CAP_SHARE_BP // 100,
        charts=charts(figures, t) if figures is not None else None,
        notice=notice(request),
    )
