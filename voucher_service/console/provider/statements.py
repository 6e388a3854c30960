"""My statements (结算单): the list (``GET /v1/provider/{uscc}/statements``), one statement
with its totals per enterprise and voucher and its lines (``GET .../statements/{id}``, the
lines of its export), and its download as CSV or XLSX (``GET .../statements/{id}/export``,
the same file, in the page's language)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response

from voucher_service.auth.access import PROVIDER_SELF
from voucher_service.console.auth import guard
from voucher_service.console.history import section as history_section
from voucher_service.console.i18n import language_of
from voucher_service.console.pages import translator
from voucher_service.console.tables import Column, Table
from voucher_service.console.templating import render
from voucher_service.deps import PageDep, SessionDep
from voucher_service.exports import Format
from voucher_service.routing import DatabaseRoute
from voucher_service.settlement import export
from voucher_service.settlement import service as settlement
from voucher_service.settlement.queries import StatementQuery, find_statements, provider_statement

router = APIRouter(route_class=DatabaseRoute, dependencies=[guard(PROVIDER_SELF)])

_TOTALS = (
    Column("fee_fen", "statements.fee", "money"),
    Column("subsidy_fen", "my_statements.subsidy", "money"),
    Column("enterprise_share_fen", "statements.enterprise_share", "money"),
)
COLUMNS = (
    Column("period", "statements.period", "code"),
    Column("program_code", "statements.program", "code"),
    Column("status", "statements.status", "status", prefix="statement.status."),
    Column("record_count", "statements.records"),
    *_TOTALS,
    Column("closed_at", "statements.closed_at", "datetime"),
    Column("paid_at", "statements.paid_at", "datetime"),
    Column("payment_reference", "statements.payment_reference", "code"),
)
GROUP_COLUMNS = (
    Column("name", "statements.enterprise"),
    Column("uscc", "statements.uscc", "code"),
    Column("voucher_code", "statements.voucher", "code"),
    Column("records", "statements.records"),
    *_TOTALS,
)
LINE_COLUMNS = (
    Column("record_id", "statements.record", "code"),
    Column("kind", "records.kind", "label", prefix="usage.kind."),
    Column("service_date", "records.service_date", "date"),
    Column("uscc", "statements.uscc", "code"),
    Column("voucher_code", "statements.voucher", "code"),
    Column("late", "statements.late", "label", prefix="statements.late."),
    *_TOTALS,
)


def statement_row(view: settlement.StatementView) -> dict[str, Any]:
    s = view.statement
    return {
        "id": s.id,
        "period": s.period,
        "program_code": view.program_code,
        "status": s.status,
        "record_count": s.record_count,
        "fee_fen": s.fee_fen,
        "subsidy_fen": s.subsidy_fen,
        "enterprise_share_fen": s.enterprise_share_fen,
        "closed_at": s.closed_at,
        "approved_at": s.approved_at,
        "paid_at": s.paid_at,
        "payment_reference": s.payment_reference,
    }


@router.get("/{uscc}/statements")
def statements_page(uscc: str, request: Request, session: SessionDep, page: PageDep) -> Any:
    views, cursor = find_statements(session, page, StatementQuery(provider=uscc))
    table = Table.page(
        request,
        id="statements",
        caption="my_statements.caption",
        columns=COLUMNS,
        rows=[statement_row(v) for v in views],
        next_cursor=cursor,
        row_key="id",
    )
    return render(request, "provider/statements.html", table=table)


@router.get("/{uscc}/statements/{statement_id}")
def statement_page(uscc: str, statement_id: int, request: Request, session: SessionDep) -> Any:
    statement = provider_statement(session, uscc, statement_id)
    detail = settlement.statement_detail(session, statement)
    url = request.url.path
    groups = Table.whole(
        "groups", "statements.groups", GROUP_COLUMNS, detail.groups, row_key="voucher_code"
    )
    lines = Table(
        id="lines",
        caption="statements.lines",
        url=url,
        columns=LINE_COLUMNS,
        rows=[{**line, "late": str(line["late"]).lower()} for line in detail.lines],
        row_key="record_id",
        download_urls={fmt: f"{url}/export?format={fmt}" for fmt in ("csv", "xlsx")},
    )
    return render(
        request,
        "provider/statement.html",
        statement=statement_row(settlement.describe(session, statement)),
        groups=groups,
        lines=lines,
        object_history=history_section(session, translator(request), "statement", statement.id),
    )


@router.get("/{uscc}/statements/{statement_id}/export")
def statement_download(
    uscc: str,
    statement_id: int,
    request: Request,
    session: SessionDep,
    fmt: Annotated[Format, Query(alias="format")] = "csv",
) -> Response:
    statement = provider_statement(session, uscc, statement_id)
    detail = settlement.statement_detail(session, statement)
    file = export.statement_file(
        statement, detail, fmt=fmt, chinese=language_of(request) == "zh-CN"
    )
    return file.response()
