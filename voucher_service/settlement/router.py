"""Settlement endpoints: the bureau closes, approves, pays and exports; providers read theirs."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Response, status

from voucher_service.auth.access import BUREAU_READ, CLOSE, FINANCE, PROVIDER_SELF, rule
from voucher_service.db.tables.settlement import Statement, StatementStatus
from voucher_service.deps import NowDep, SessionDep, TodayDep
from voucher_service.fields import USCC, Id, Search
from voucher_service.pagination import Page, PageParams, sorted_pages
from voucher_service.providers.service import get_provider
from voucher_service.routing import CSV, XLSX, DatabaseRoute, downloads
from voucher_service.settlement import export, queries, service
from voucher_service.settlement.schemas import ClosedMonthOut, CloseIn, PayIn, StatementOut

admin_router = APIRouter(route_class=DatabaseRoute, tags=["settlement (bureau)"])
provider_router = APIRouter(
    route_class=DatabaseRoute, tags=["metering (provider)"], dependencies=rule(PROVIDER_SELF)
)


def _out(session: SessionDep, statement: Statement) -> StatementOut:
    return StatementOut.of(service.describe(session, statement))


@admin_router.post(
    "/statements",
    status_code=status.HTTP_201_CREATED,
    dependencies=rule(CLOSE),
    responses={200: {"description": "Already closed: the same statements, unchanged."}},
)
def close_statement(
    body: CloseIn, response: Response, session: SessionDep, today: TodayDep, now: NowDep
) -> ClosedMonthOut:
    """Close a provider's month: freeze every unsettled subsidy and correction into a
    statement per funding source (the city's program; a district top-up apart)."""
    provider = get_provider(session, body.provider_uscc)
    statements, created = service.close_month(session, provider, body.period, today=today, now=now)
    if not created:
        response.status_code = status.HTTP_200_OK
    return ClosedMonthOut(statements=[_out(session, s) for s in statements])


StatementPages = Annotated[PageParams, Depends(sorted_pages(list(service.STATEMENT_SORTS)))]
StatementSearch = Annotated[
    Search | None,
    Query(
        description="The statement's number, part of the provider's name or credit code, "
        "or of the period."
    ),
]


@admin_router.get("/statements", dependencies=rule(BUREAU_READ))
def list_statements(
    session: SessionDep,
    page: StatementPages,
    provider: Annotated[USCC | None, Query(description="Provider credit code.")] = None,
    period: Annotated[str | None, Query(pattern=r"^20[0-9]{2}-(0[1-9]|1[0-2])$")] = None,
    status: Annotated[StatementStatus | None, Query()] = None,
    q: StatementSearch = None,
) -> Page[StatementOut]:
    """The statements, oldest first (``sort``: another order, with numbered pages)."""
    query = queries.StatementQuery(provider=provider, period=period, status=status, q=q)
    return Page.of(queries.find_statements(session, page, query), StatementOut.of)


@admin_router.get("/statements/{statement_id}", dependencies=rule(BUREAU_READ))
def get_statement(statement_id: Id, session: SessionDep) -> StatementOut:
    return _out(session, service.get_statement(session, statement_id))


@admin_router.post("/statements/{statement_id}/approve", dependencies=rule(FINANCE))
def approve_statement(statement_id: Id, session: SessionDep, now: NowDep) -> StatementOut:
    statement = service.get_statement(session, statement_id)
    return _out(session, service.approve_statement(session, statement, now=now))


@admin_router.post("/statements/{statement_id}/pay", dependencies=rule(FINANCE))
def pay_statement(statement_id: Id, body: PayIn, session: SessionDep, now: NowDep) -> StatementOut:
    """Mark an approved statement paid; the ledger moves its total from payable to paid."""
    statement = service.get_statement(session, statement_id)
    paid = service.pay_statement(session, statement, reference=body.payment_reference, now=now)
    return _out(session, paid)


ExportFormat = Annotated[export.Format, Query(alias="format")]
Headers = Annotated[Literal["en", "zh"], Query(description="Column headers.")]


def _export(
    session: SessionDep, statement: Statement, fmt: export.Format, headers: str
) -> Response:
    detail = service.statement_detail(session, statement)
    return export.statement_file(statement, detail, fmt=fmt, chinese=headers == "zh").response()


@admin_router.get(
    "/statements/{statement_id}/export",
    dependencies=rule(BUREAU_READ),
    response_class=Response,
    responses=downloads(CSV, XLSX),
)
def export_statement(
    statement_id: Id, session: SessionDep, fmt: ExportFormat = "csv", headers: Headers = "en"
) -> Response:
    """The statement's lines per enterprise and voucher, in yuan: CSV, or XLSX with a summary."""
    return _export(session, service.get_statement(session, statement_id), fmt, headers)


@provider_router.get("/{uscc}/statements")
def my_statements(
    uscc: USCC, session: SessionDep, page: StatementPages, q: StatementSearch = None
) -> Page[StatementOut]:
    query = queries.StatementQuery(provider=uscc, q=q)
    return Page.of(queries.find_statements(session, page, query), StatementOut.of)


@provider_router.get("/{uscc}/statements/{statement_id}")
def my_statement(uscc: USCC, statement_id: Id, session: SessionDep) -> StatementOut:
    """One of my statements (another provider's is not found)."""
    return _out(session, queries.provider_statement(session, uscc, statement_id))


@provider_router.get(
    "/{uscc}/statements/{statement_id}/export",
    response_class=Response,
    responses=downloads(CSV, XLSX),
)
def export_my_statement(
    uscc: USCC,
    statement_id: Id,
    session: SessionDep,
    fmt: ExportFormat = "csv",
    headers: Headers = "en",
) -> Response:
    return _export(session, queries.provider_statement(session, uscc, statement_id), fmt, headers)
