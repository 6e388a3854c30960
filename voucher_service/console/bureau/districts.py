"""Districts (区): each of Wuhan's districts with its own view of its top-up spending — its
programs (a top-up of a city measure, or its own), each annual pool's totals, the enterprises
it supported and its subsidies month by month (``aggregates.districts``, the figures of the
bureau's per-pool aggregates). Any bureau reader (BUREAU_READ) may open any district's page."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request

from voucher_service.aggregates.districts import district_spending
from voucher_service.auth.access import BUREAU_READ
from voucher_service.console.auth import guard
from voucher_service.console.bureau.filters import DISTRICTS
from voucher_service.console.bureau.menu import BUREAU
from voucher_service.console.tables import Column, Table
from voucher_service.console.templating import render
from voucher_service.deps import NowDep, SessionDep, SettingsDep
from voucher_service.domain.divisions import CITY_LEVEL, division_name
from voucher_service.routing import DatabaseRoute

router = APIRouter(route_class=DatabaseRoute)

MONTH_COLUMNS = (
    Column("month", "districts.month"),
    Column("records", "districts.records", "number"),
    Column("subsidy_fen", "districts.subsidy", "money"),
    Column("unspent_fen", "districts.unspent", "money"),
)


@router.get("/bureau/districts", dependencies=[guard(BUREAU_READ)])
def districts(request: Request) -> Any:
    """Wuhan's districts, each linking to its top-up spending."""
    links = [
        (code, division_name(code), f"{BUREAU}/districts/{code}")
        for code in DISTRICTS
        if code != CITY_LEVEL
    ]
    return render(request, "bureau/districts.html", districts=links)


@router.get("/bureau/districts/{code}", dependencies=[guard(BUREAU_READ)])
def district(
    code: str, request: Request, session: SessionDep, settings: SettingsDep, now: NowDep
) -> Any:
    """One district's programs and pools, with the enterprises supported and each month's
    subsidies (404 for a code that is no Wuhan district)."""
    spending = district_spending(session, code, now=now, tz=settings.tz)
    programs = []
    for entry in spending.programs:
        pools = []
        for pool in entry.pools:
            rows = [
                {
                    "month": m.month.strftime("%Y-%m"),
                    "records": m.records,
                    "subsidy_fen": m.subsidy_fen,
                    "unspent_fen": m.unspent_fen,
                }
                for m in pool.months
            ]
            table_id = f"months-{entry.program.code}-{pool.summary.year}"
            months = Table.whole(table_id, "districts.months", MONTH_COLUMNS, rows, "month")
            pools.append({"pool": pool, "months": months})
        programs.append({"entry": entry, "pools": pools})
    return render(request, "bureau/district.html", spending=spending, programs=programs)
