"""Enterprises (企业): the register with its district filter, and one enterprise with its
standing in each program (cap used and left, window, vouchers) and its applications — what
``GET /v1/admin/enterprises``, ``.../{uscc}``, ``.../{uscc}/status?program=`` and
``/v1/admin/vouchers?uscc=`` give. Read only, guarded by BUREAU_READ like those endpoints."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request

from voucher_service.applications.queries import ApplicationQuery, find_applications
from voucher_service.auth.access import BUREAU_READ
from voucher_service.console.auth import guard
from voucher_service.console.bureau import applications as application_pages
from voucher_service.console.bureau import vouchers as voucher_pages
from voucher_service.console.bureau.common import ListingPage
from voucher_service.console.bureau.filters import DISTRICT_FILTER, SEARCH_COMPANIES
from voucher_service.console.bureau.menu import BUREAU
from voucher_service.console.history import section as history_section
from voucher_service.console.pages import translator
from voucher_service.console.tables import Column, Table
from voucher_service.console.templating import render
from voucher_service.db.tables.enterprises import Enterprise
from voucher_service.deps import SessionDep, TodayDep
from voucher_service.domain.divisions import division_name
from voucher_service.enterprises import service
from voucher_service.enterprises.service import subsidy_status
from voucher_service.fields import Search, parse_uscc_param
from voucher_service.pagination import PageParams, Slice, sorted_pages
from voucher_service.programs.service import list_programs
from voucher_service.routing import DatabaseRoute
from voucher_service.vouchers.queries import VoucherQuery, find_vouchers

router = APIRouter(route_class=DatabaseRoute)

COLUMNS = (
    Column("uscc", "enterprises.uscc", "code", link="url", sort="uscc"),
    Column("name", "enterprises.name", sort="name"),
    Column("district_code", "enterprises.district_code", "code", sort="district"),
    Column("district_name", "overview.district"),
    Column("created_at", "enterprises.created_at", "datetime", sort="created_at"),
)
STANDING_COLUMNS = (
    Column("program_code", "applications.program", "code"),
    Column("cap_fen", "overview.cap", "money"),
    Column("cap_used_fen", "overview.cap_used", "money"),
    Column("cap_remaining_fen", "enterprises.cap_remaining", "money"),
    Column("outstanding_fen", "overview.outstanding", "money"),
    Column("issuable_fen", "enterprises.issuable", "money"),
    Column("window_start", "enterprises.window_start", "date"),
    Column("window_end", "enterprises.window_end", "date"),
)
LISTING = ListingPage("enterprises", COLUMNS, (SEARCH_COMPANIES, DISTRICT_FILTER), row_key="uscc")


def row_of(enterprise: Enterprise) -> dict[str, Any]:
    return {
        "uscc": enterprise.uscc,
        "url": f"{BUREAU}/enterprises/{enterprise.uscc}",
        "name": enterprise.name,
        "district_code": enterprise.district_code,
        "district_name": division_name(enterprise.district_code),
        "created_at": enterprise.created_at,
    }


@router.get("/bureau/enterprises", dependencies=[guard(BUREAU_READ)])
def enterprises(
    request: Request,
    session: SessionDep,
    page: Annotated[PageParams, Depends(sorted_pages(list(service.ENTERPRISE_SORTS)))],
    district_code: Annotated[str | None, Query(pattern=r"^\d{6}$")] = None,
    q: Annotated[Search | None, Query()] = None,
) -> Any:
    def listing(params: PageParams) -> Slice[dict[str, Any]]:
        found = service.list_enterprises(session, params, district_code=district_code, q=q)
        return found.map(row_of)

    return LISTING.show(request, listing, page)


@router.get("/bureau/enterprises/{uscc}", dependencies=[guard(BUREAU_READ)])
def enterprise(uscc: str, request: Request, session: SessionDep, today: TodayDep) -> Any:
    found = service.get_enterprise(session, parse_uscc_param(uscc))
    programs, _ = list_programs(session, PageParams(limit=100))
    standing = []
    for program in programs:
        state = subsidy_status(session, found, program, today=today)
        if not state.enrolled:
            continue
        standing.append(
            {
                "program_code": program.code,
                "cap_fen": state.rules.cap_fen,
                "cap_used_fen": state.cap_used_fen,
                "cap_remaining_fen": state.cap_remaining_fen,
                "outstanding_fen": state.outstanding_fen,
                "issuable_fen": state.issuable_fen,
                "window_start": state.window.start if state.window else None,
                "window_end": state.window.last_day if state.window else None,
            }
        )
    held, _ = find_vouchers(session, PageParams(limit=200), VoucherQuery(uscc=uscc))
    mine = ApplicationQuery(status=None, enterprise=uscc)
    applied, _ = find_applications(session, PageParams(limit=200), mine)
    vouchers = [voucher_pages.row_of(v) for v in held]
    applications = [application_pages.row_of(a) for a in applied]
    return render(
        request,
        "bureau/enterprise.html",
        e=row_of(found),
        standing=Table.whole(
            "standing", "enterprises.standing", STANDING_COLUMNS, standing, "program_code"
        ),
        vouchers=voucher_pages.LISTING.whole_table("enterprise-vouchers", vouchers),
        applications=application_pages.LISTING.whole_table("enterprise-applications", applications),
        object_history=history_section(session, translator(request), "enterprise", found.uscc),
    )
