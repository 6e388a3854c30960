"""Monthly statements (月度结算): the list with its filters, one statement with its lines per
enterprise and voucher, and the bureau's steps — close a provider's month, approve, pay — and
each statement's CSV and XLSX. Every route is guarded by the rule of its API endpoint
(``/v1/admin/statements``: reading BUREAU_READ, closing CLOSE, approving and paying FINANCE)
and calls the same service function (``settlement.service``), which refuses the same person
twice where a second one must check (the closer never approves, the approver never pays)."""

from __future__ import annotations

from dataclasses import replace
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Form, Query, Request
from sqlalchemy.orm import Session
from starlette.responses import Response

from voucher_service.auth.access import BUREAU_READ, CLOSE, FINANCE
from voucher_service.console.auth import guard
from voucher_service.console.bureau.common import ListingPage, allows, notice
from voucher_service.console.bureau.filters import SEARCH_COMPANIES, status_options
from voucher_service.console.bureau.menu import BUREAU
from voucher_service.console.history import section as history_section
from voucher_service.console.i18n import language_of
from voucher_service.console.pages import act_then, attempt, describe, redirect, translator
from voucher_service.console.tables import Column, Filter, Table
from voucher_service.console.templating import render
from voucher_service.db.tables.settlement import StatementStatus
from voucher_service.deps import NowDep, SessionDep, TodayDep
from voucher_service.errors import ServiceError
from voucher_service.fields import Search, parse_uscc_param
from voucher_service.pagination import PageParams, Slice, sorted_pages
from voucher_service.providers.service import all_providers, get_provider
from voucher_service.routing import DatabaseRoute
from voucher_service.settlement import export, service
from voucher_service.settlement.queries import StatementQuery, find_statements
from voucher_service.settlement.service import STATEMENT_SORTS, StatementView

router = APIRouter(route_class=DatabaseRoute)

PERIOD = r"^20[0-9]{2}-(0[1-9]|1[0-2])$"
FEES = (
    Column("fee_fen", "statements.fees", "money"),
    Column("subsidy_fen", "statements.subsidy", "money"),
)
COLUMNS = (
    Column("id", "statements.id", link="url", sort="id"),
    Column("provider_name", "names.provider", sort="provider"),
    Column("provider_uscc", "statements.provider", "code"),
    Column("program_code", "statements.funder", "code"),
    Column("period", "statements.period", sort="period"),
    Column("record_count", "statements.records", "number"),
    Column("fee_fen", "statements.fees", "money"),
    Column("subsidy_fen", "statements.subsidy", "money", sort="subsidy"),
    Column("status", "statements.status", "status", sort="status"),
    Column("closed_at", "statements.closed_at", "datetime", sort="closed_at"),
    Column("paid_at", "statements.paid_at", "datetime"),
)
FILTERS = (
    replace(SEARCH_COMPANIES, hint="search.hint_statements"),
    Filter("provider", "statements.provider"),
    Filter("period", "statements.period"),
    Filter("status", "statements.status", status_options(StatementStatus)),
)
GROUP_COLUMNS = (
    Column("uscc", "enterprises.uscc", "code"),
    Column("name", "enterprises.name"),
    Column("voucher_code", "vouchers.code", "code"),
    Column("records", "statements.records", "number"),
    *FEES,
    Column("enterprise_share_fen", "statements.enterprise_share", "money"),
)
LISTING = ListingPage("statements", COLUMNS, FILTERS, row_key="id")


def row_of(view: StatementView) -> dict[str, Any]:
    s = view.statement
    return {
        "id": s.id,
        "url": f"{BUREAU}/statements/{s.id}",
        "provider_uscc": view.provider_uscc,
        "provider_name": view.provider_name,
        "program_code": view.program_code,
        "period": s.period,
        "record_count": s.record_count,
        "fee_fen": s.fee_fen,
        "subsidy_fen": s.subsidy_fen,
        "status": s.status,
        "closed_at": s.closed_at,
        "paid_at": s.paid_at,
    }


def _list(
    request: Request,
    session: Session,
    page: PageParams,
    *,
    provider: str | None = None,
    period: str | None = None,
    status: StatementStatus | None = None,
    q: str | None = None,
    error: ServiceError | None = None,
    form: dict[str, str] | None = None,
) -> Any:
    query = StatementQuery(provider=provider, period=period, status=status, q=q)

    def listing(params: PageParams) -> Slice[dict[str, Any]]:
        return find_statements(session, params, query).map(row_of)

    return LISTING.show(
        request,
        listing,
        page,
        status_code=error.status if error else 200,
        error=describe(error, translator(request)) if error else None,
        may_close=allows(request, CLOSE),
        providers=all_providers(session),
        form=form or {"provider_uscc": "", "period": ""},
    )


@router.get("/bureau/statements", dependencies=[guard(BUREAU_READ)])
def statements(
    request: Request,
    session: SessionDep,
    page: Annotated[PageParams, Depends(sorted_pages(list(STATEMENT_SORTS)))],
    provider: Annotated[str | None, Query(max_length=40)] = None,
    period: Annotated[str | None, Query(pattern=PERIOD)] = None,
    status: StatementStatus | None = None,
    q: Annotated[Search | None, Query()] = None,
) -> Any:
    """``GET /v1/admin/statements`` with its filters and search, and the form that closes a
    month."""
    return _list(
        request, session, page, provider=provider, period=period, status=status, q=q or None
    )


@router.post("/bureau/statements", dependencies=[guard(CLOSE)])
def close(
    request: Request,
    session: SessionDep,
    today: TodayDep,
    now: NowDep,
    provider_uscc: Annotated[str, Form(max_length=40)],
    period: Annotated[str, Form(max_length=7)],
) -> Any:
    """``POST /v1/admin/statements``: one statement per funding source (closing again gives
    the same ones)."""
    closed: list[Any] = []

    def act() -> None:
        provider = get_provider(session, parse_uscc_param(provider_uscc))
        closed.extend(service.close_month(session, provider, period, today=today, now=now)[0])

    refused = attempt(session, act)
    if refused is not None:
        form = {"provider_uscc": provider_uscc, "period": period}
        return _list(request, session, PageParams(), error=refused, form=form)
    uscc = parse_uscc_param(provider_uscc)
    return redirect(f"{BUREAU}/statements?provider={uscc}&period={period}&done=closed")


def _detail(
    request: Request, session: Session, statement_id: int, error: ServiceError | None = None
) -> Any:
    statement = service.get_statement(session, statement_id)
    view = service.describe(session, statement)
    detail = service.statement_detail(session, statement)
    groups = Table.whole(
        "statement-groups",
        "statements.groups",
        GROUP_COLUMNS,
        detail.groups,
        row_key="voucher_code",
    )
    return render(
        request,
        "bureau/statement.html",
        status_code=error.status if error else 200,
        s=statement,
        row=row_of(view),
        provider=detail.provider,
        groups=groups,
        may_approve=allows(request, FINANCE) and statement.status == StatementStatus.CLOSED,
        may_pay=allows(request, FINANCE) and statement.status == StatementStatus.APPROVED,
        error=describe(error, translator(request)) if error else None,
        notice=notice(request),
        object_history=history_section(session, translator(request), "statement", statement.id),
    )


@router.get("/bureau/statements/{statement_id}", dependencies=[guard(BUREAU_READ)])
def statement(statement_id: int, request: Request, session: SessionDep) -> Any:
    """``GET /v1/admin/statements/{id}``, with its lines per enterprise and voucher."""
    return _detail(request, session, statement_id)


@router.post("/bureau/statements/{statement_id}/approve", dependencies=[guard(FINANCE)])
def approve(statement_id: int, request: Request, session: SessionDep, now: NowDep) -> Any:
    def act() -> None:
        service.approve_statement(session, service.get_statement(session, statement_id), now=now)

    return _stepped(request, session, statement_id, act, "statement_approved")


@router.post("/bureau/statements/{statement_id}/pay", dependencies=[guard(FINANCE)])
def pay(
    statement_id: int,
    request: Request,
    session: SessionDep,
    now: NowDep,
    payment_reference: Annotated[str, Form(max_length=100)] = "",
) -> Any:
    """``POST /v1/admin/statements/{id}/pay``: the ledger moves the total to paid."""

    def act() -> None:
        found = service.get_statement(session, statement_id)
        service.pay_statement(session, found, reference=payment_reference, now=now)

    return _stepped(request, session, statement_id, act, "paid")


def _stepped(request: Request, session: Session, statement_id: int, act: Any, done: str) -> Any:
    return act_then(
        session,
        act,
        f"{BUREAU}/statements/{statement_id}?done={done}",
        lambda refused: _detail(request, session, statement_id, refused),
    )


@router.get("/bureau/statements/{statement_id}/export", dependencies=[guard(BUREAU_READ)])
def download(
    statement_id: int,
    request: Request,
    session: SessionDep,
    fmt: Annotated[Literal["csv", "xlsx"], Query(alias="format")] = "xlsx",
) -> Response:
    """``GET /v1/admin/statements/{id}/export``: the same file, with Chinese headers on the
    Chinese page."""
    found = service.get_statement(session, statement_id)
    detail = service.statement_detail(session, found)
    chinese = language_of(request) == "zh-CN"
    return export.statement_file(found, detail, fmt=fmt, chinese=chinese).response()
