"""Voucher endpoints: the bureau issues, lists, reads and revokes; an enterprise sees its
own. And an enterprise's subsidy status in a program (cap used, window, its vouchers), for
the bureau and for the enterprise itself."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Response, status

from voucher_service.audit.schemas import PostingOut
from voucher_service.auth.access import BUREAU_READ, ENTERPRISE_SELF, REVIEW, rule
from voucher_service.auth.proposals import pending
from voucher_service.db.tables.confirmations import ConfirmationKind
from voucher_service.db.tables.vouchers import Voucher, VoucherStatus
from voucher_service.deps import PageDep, SessionDep, TodayDep
from voucher_service.enterprises.service import get_enterprise, subsidy_status
from voucher_service.fields import (
    USCC,
    ProgramCode,
    Search,
    VoucherCode,
    Year,
    parse_uscc_param,
    parse_voucher_code_param,
)
from voucher_service.pagination import Page, PageParams, sorted_pages
from voucher_service.programs.service import get_program
from voucher_service.routing import DatabaseRoute
from voucher_service.vouchers import queries, service
from voucher_service.vouchers.schemas import (
    SubsidyStatusOut,
    VoucherIssue,
    VoucherOut,
    VoucherRevoke,
)

admin_router = APIRouter(route_class=DatabaseRoute, tags=["vouchers (bureau)"])
standing_router = APIRouter(route_class=DatabaseRoute, tags=["enterprises (bureau)"])
enterprise_router = APIRouter(
    route_class=DatabaseRoute, tags=["my subsidy (enterprise)"], dependencies=rule(ENTERPRISE_SELF)
)

ProgramQuery = Annotated[
    ProgramCode, Query(alias="program", description="Program code, e.g. WH-AI-M2.")
]


def _out(session: SessionDep, voucher: Voucher) -> VoucherOut:
    return VoucherOut.of(service.describe_vouchers(session, [voucher])[0])


@admin_router.post("/vouchers", status_code=status.HTTP_201_CREATED, dependencies=rule(REVIEW))
def issue_voucher(body: VoucherIssue, session: SessionDep, today: TodayDep) -> VoucherOut:
    """Issue a voucher: reserves its face value from the year's pool, atomically."""
    voucher = service.issue_voucher(
        session,
        program=get_program(session, body.program_code),
        year=body.year,
        enterprise=get_enterprise(session, body.uscc),
        face_value_fen=body.face_value_yuan,
        today=today,
        valid_from=body.valid_from,
        valid_to=body.valid_to,
    )
    return _out(session, voucher)


@admin_router.get("/vouchers", dependencies=rule(BUREAU_READ))
def list_vouchers(
    session: SessionDep,
    page: Annotated[PageParams, Depends(sorted_pages(list(service.VOUCHER_SORTS)))],
    program: Annotated[ProgramCode | None, Query(description="Program code.")] = None,
    year: Annotated[Year | None, Query(description="Pool year (needs program).")] = None,
    uscc: Annotated[USCC | None, Query(description="Enterprise credit code.")] = None,
    status: Annotated[VoucherStatus | None, Query()] = None,
    q: Annotated[
        Search | None,
        Query(
            description="Part of the voucher's code (hyphens or not), the holder's name or "
            "credit code."
        ),
    ] = None,
) -> Page[VoucherOut]:
    """The vouchers, oldest first (``sort``: another order, with numbered pages)."""
    query = queries.VoucherQuery(program=program, year=year, uscc=uscc, status=status, q=q)
    return Page.of(queries.find_vouchers(session, page, query), VoucherOut.of)


@admin_router.get("/vouchers/{code}", dependencies=rule(BUREAU_READ))
def get_voucher(code: VoucherCode, session: SessionDep) -> VoucherOut:
    return VoucherOut.of(queries.voucher_view(session, code))


@admin_router.get("/vouchers/{code}/postings", dependencies=rule(BUREAU_READ))
def voucher_postings(code: VoucherCode, session: SessionDep) -> Page[PostingOut]:
    """Every ledger posting into or out of the voucher, oldest first: its issue, each
    subsidy and reversal, its release (the first 1,000: a busy voucher's full history is in
    the audit sample and ``verify``)."""
    postings = queries.voucher_postings(session, code)
    return Page(items=[PostingOut.of(p) for p in postings])


@admin_router.post(
    "/vouchers/{code}/revoke",
    dependencies=rule(REVIEW),
    responses={
        202: {
            "description": "Proposed: more than the program's second-review amount "
            "is unspent, so it waits for a second reviewer (awaiting_confirmation)."
        }
    },
)
def revoke_voucher(
    code: VoucherCode, body: VoucherRevoke, response: Response, session: SessionDep
) -> VoucherOut:
    """Revoke a voucher; its unspent balance returns to its pool. Above the program's
    second-review amount it is a proposal (202) that a second reviewer confirms."""
    voucher = service.get_voucher(session, parse_voucher_code_param(code))
    out = _out(session, service.revoke_voucher(session, voucher, reason=body.reason))
    waiting = pending(session, ConfirmationKind.REVOKE_VOUCHER, voucher.code)
    if waiting is not None:
        response.status_code, out.awaiting_confirmation = 202, waiting.id
    return out


def _status(session: SessionDep, uscc: str, program_code: str, today: TodayDep) -> SubsidyStatusOut:
    enterprise = get_enterprise(session, parse_uscc_param(uscc))
    program = get_program(session, program_code)
    state = subsidy_status(session, enterprise, program, today=today)
    return SubsidyStatusOut.of(
        enterprise.uscc, state, service.describe_vouchers(session, state.vouchers)
    )


@standing_router.get("/enterprises/{uscc}/status", dependencies=rule(BUREAU_READ))
def enterprise_status(
    uscc: USCC, program_code: ProgramQuery, session: SessionDep, today: TodayDep
) -> SubsidyStatusOut:
    """Cap used and remaining, subsidy window, and vouchers of an enterprise in a program."""
    return _status(session, uscc, program_code, today)


@enterprise_router.get("/{uscc}/status")
def my_status(
    uscc: USCC, program_code: ProgramQuery, session: SessionDep, today: TodayDep
) -> SubsidyStatusOut:
    """How much of my 200,000 CNY I have used, how much is left, and until when."""
    return _status(session, uscc, program_code, today)


@enterprise_router.get("/{uscc}/vouchers")
def my_vouchers(uscc: USCC, session: SessionDep, page: PageDep) -> Page[VoucherOut]:
    views, cursor = queries.find_vouchers(session, page, queries.VoucherQuery(uscc=uscc))
    return Page(items=[VoucherOut.of(v) for v in views], next_cursor=cursor)
