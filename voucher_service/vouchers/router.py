"""Bureau endpoints for vouchers: issue, list, read, revoke."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query, status

from voucher_service.auth.access import BUREAU_READ, BUREAU_STAFF, rule
from voucher_service.deps import PageDep, SessionDep, TodayDep
from voucher_service.enterprises.service import get_enterprise
from voucher_service.errors import ErrorCode, InvalidInput
from voucher_service.fields import parse_uscc_param, parse_voucher_code_param
from voucher_service.pagination import Page
from voucher_service.programs.service import get_pool, get_program
from voucher_service.vouchers import service
from voucher_service.vouchers.schemas import VoucherIssue, VoucherOut, VoucherRevoke

admin_router = APIRouter(tags=["vouchers (bureau)"])


def _out(session: SessionDep, voucher: object) -> VoucherOut:
    return VoucherOut.of(service.describe_vouchers(session, [voucher])[0])  # type: ignore[list-item]


@admin_router.post(
    "/vouchers", status_code=status.HTTP_201_CREATED, dependencies=rule(BUREAU_STAFF)
)
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
    page: PageDep,
    program: Annotated[str | None, Query(description="Program code.")] = None,
    year: Annotated[int | None, Query(description="Pool year (needs program).")] = None,
    uscc: Annotated[str | None, Query(description="Enterprise credit code.")] = None,
    status: Annotated[Literal["active", "revoked", "expired"] | None, Query()] = None,
) -> Page[VoucherOut]:
    if year is not None and program is None:
        raise InvalidInput("filtering by year needs a program", code=ErrorCode.INVALID_FILTER)
    program_row = get_program(session, program) if program else None
    pool = get_pool(session, program_row, year) if program_row and year else None
    enterprise = get_enterprise(session, parse_uscc_param(uscc)) if uscc else None
    rows, cursor = service.list_vouchers(
        session, page, program=program_row, pool=pool, enterprise=enterprise, status=status
    )
    views = service.describe_vouchers(session, rows)
    return Page(items=[VoucherOut.of(v) for v in views], next_cursor=cursor)


@admin_router.get("/vouchers/{code}", dependencies=rule(BUREAU_READ))
def get_voucher(code: str, session: SessionDep) -> VoucherOut:
    return _out(session, service.get_voucher(session, parse_voucher_code_param(code)))


@admin_router.post("/vouchers/{code}/revoke", dependencies=rule(BUREAU_STAFF))
def revoke_voucher(code: str, body: VoucherRevoke, session: SessionDep) -> VoucherOut:
    """Revoke a voucher; its unspent balance returns to its pool."""
    voucher = service.get_voucher(session, parse_voucher_code_param(code))
    return _out(session, service.revoke_voucher(session, voucher, reason=body.reason))
