"""Vouchers (算力券): search the list, open one with its postings and its audit trail, revoke
it. Guarded like ``/v1/admin/vouchers`` (reading: BUREAU_READ; revoking: REVIEW); its history
(``GET /v1/admin/audit/history?object=voucher:{code}``) readable by everyone who reads it,
its postings' accounts by name (``2026 年度资金池``, not ``pool:2``)."""

from __future__ import annotations

from dataclasses import replace
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Query, Request
from sqlalchemy.orm import Session

from voucher_service.auth.access import BUREAU_READ, REVIEW
from voucher_service.auth.proposals import pending
from voucher_service.console.auth import guard
from voucher_service.console.bureau.common import ListingPage, allows, notice
from voucher_service.console.bureau.filters import SEARCH_COMPANIES, status_options
from voucher_service.console.bureau.menu import BUREAU
from voucher_service.console.history import name_accounts
from voucher_service.console.history import section as history_section
from voucher_service.console.pages import attempt, describe, redirect, translator
from voucher_service.console.tables import Column, Filter, Table
from voucher_service.console.templating import render
from voucher_service.db.tables.confirmations import ConfirmationKind
from voucher_service.db.tables.vouchers import VoucherStatus
from voucher_service.deps import SessionDep
from voucher_service.errors import ErrorCode, InvalidInput, ServiceError
from voucher_service.fields import Search, parse_voucher_code_param
from voucher_service.pagination import PageParams, Slice, sorted_pages
from voucher_service.routing import DatabaseRoute
from voucher_service.vouchers import queries, service
from voucher_service.vouchers.service import VoucherView

router = APIRouter(route_class=DatabaseRoute)

COLUMNS = (
    Column("code", "vouchers.code", "code", link="url", sort="id"),
    Column("program_code", "applications.program", "code"),
    Column("year", "overview.year"),
    Column("enterprise_name", "names.enterprise", sort="enterprise"),
    Column("uscc", "enterprises.uscc", "code"),
    Column("face_value_fen", "vouchers.face_value", "money", sort="face_value"),
    Column("balance_fen", "vouchers.balance", "money", sort="balance"),
    Column("subsidised_fen", "vouchers.subsidised", "money"),
    Column("released_fen", "vouchers.released", "money"),
    Column("valid_from", "vouchers.valid_from", "date"),
    Column("valid_to", "vouchers.valid_to", "date", sort="valid_to"),
    Column("status", "vouchers.status", "status", sort="status"),
)
FILTERS = (
    replace(SEARCH_COMPANIES, hint="search.hint_vouchers"),
    Filter("code", "vouchers.code"),
    Filter("program", "applications.program"),
    Filter("year", "overview.year"),
    Filter("uscc", "enterprises.uscc"),
    Filter("status", "vouchers.status", status_options(VoucherStatus)),
)
POSTING_COLUMNS = (
    Column("id", "postings.id"),
    Column("kind", "postings.kind", "label", prefix="posting."),
    Column("from_account", "postings.from"),
    Column("to_account", "postings.to"),
    Column("amount_fen", "postings.amount", "money"),
    Column("usage_record_id", "postings.record"),
    Column("created_at", "postings.at", "datetime"),
)
LISTING = ListingPage("vouchers", COLUMNS, FILTERS, row_key="code")


def row_of(view: VoucherView) -> dict[str, Any]:
    v = view.voucher
    return {
        "code": v.code,
        "url": f"{BUREAU}/vouchers/{v.code}",
        "program_code": view.program_code,
        "year": view.year,
        "uscc": view.uscc,
        "enterprise_name": view.enterprise_name,
        "face_value_fen": v.face_value_fen,
        "balance_fen": v.balance_fen,
        "subsidised_fen": v.subsidised_fen,
        "released_fen": v.released_fen,
        "valid_from": v.valid_from,
        "valid_to": v.valid_to,
        "status": v.status,
    }


@router.get("/bureau/vouchers", dependencies=[guard(BUREAU_READ)])
def vouchers(
    request: Request,
    session: SessionDep,
    page: Annotated[PageParams, Depends(sorted_pages(list(service.VOUCHER_SORTS)))],
    code: Annotated[str | None, Query(max_length=40)] = None,
    program: Annotated[str | None, Query(max_length=40)] = None,
    year: Annotated[int | None, Query(ge=2000, le=2100)] = None,
    uscc: Annotated[str | None, Query(max_length=40)] = None,
    status: VoucherStatus | None = None,
    q: Annotated[Search | None, Query()] = None,
) -> Any:
    """``GET /v1/admin/vouchers`` with its filters and its search (``q``), and a search by
    the whole code (which finds one voucher or none)."""
    query = queries.VoucherQuery(
        code=code, program=program, year=year, uscc=uscc, status=status, q=q or None
    )

    def listing(params: PageParams) -> Slice[dict[str, Any]]:
        return queries.find_vouchers(session, params, query).map(row_of)

    return LISTING.show(request, listing, page)


def _detail(
    request: Request, session: Session, code: str, error: ServiceError | None = None
) -> Any:
    view = queries.voucher_view(session, code)
    voucher = view.voucher
    t = translator(request)
    postings = [p.model_dump() for p in queries.voucher_postings(session, code)]
    postings = name_accounts(session, t, postings, "from_account", "to_account")
    posting_table = Table.whole(
        "postings", "vouchers.postings", POSTING_COLUMNS, postings, row_key="id"
    )
    return render(
        request,
        "bureau/voucher.html",
        status_code=error.status if error else 200,
        view=view,
        v=voucher,
        postings=posting_table,
        object_history=history_section(session, t, "voucher", voucher.code),
        may_revoke=allows(request, REVIEW) and voucher.status == VoucherStatus.ACTIVE,
        error=describe(error, t) if error else None,
        notice=notice(request),
    )


@router.get("/bureau/vouchers/{code}", dependencies=[guard(BUREAU_READ)])
def voucher(code: str, request: Request, session: SessionDep) -> Any:
    """``GET /v1/admin/vouchers/{code}``, with ``.../postings`` and its history
    (``GET /v1/admin/audit/history?object=voucher:{code}``)."""
    return _detail(request, session, code)


@router.post("/bureau/vouchers/{code}/revoke", dependencies=[guard(REVIEW)])
def revoke(
    code: str,
    request: Request,
    session: SessionDep,
    reason: Annotated[str, Form(max_length=480)] = "",
) -> Any:
    """``POST /v1/admin/vouchers/{code}/revoke``: the unspent balance returns to the pool."""

    def act() -> None:
        if not reason.strip():
            raise InvalidInput("a reason is required", code=ErrorCode.REASON_REQUIRED)
        found = service.get_voucher(session, parse_voucher_code_param(code))
        service.revoke_voucher(session, found, reason=reason)

    refused = attempt(session, act)
    if refused is not None:
        return _detail(request, session, code, refused)
    voucher_code = parse_voucher_code_param(code)
    waits = pending(session, ConfirmationKind.REVOKE_VOUCHER, voucher_code) is not None
    return redirect(f"{BUREAU}/vouchers/{voucher_code}?done={'proposed' if waits else 'revoked'}")
