"""Settlement endpoints: the bureau closes, approves, pays and exports; providers read theirs."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Query, Response, status
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.orm import Session

from voucher_service.auth.access import ADMIN_ONLY, BUREAU_READ, BUREAU_STAFF, PROVIDER_SELF, rule
from voucher_service.db.tables.providers import Provider
from voucher_service.db.tables.settlement import Statement
from voucher_service.deps import NowDep, PageDep, SessionDep, TodayDep
from voucher_service.fields import USCC, Yuan, parse_uscc_param
from voucher_service.pagination import Page
from voucher_service.providers.service import get_provider
from voucher_service.settlement import export, service

admin_router = APIRouter(tags=["settlement (bureau)"])
provider_router = APIRouter(tags=["metering (provider)"], dependencies=rule(PROVIDER_SELF))

Period = Annotated[str, Field(pattern=r"^20[0-9]{2}-(0[1-9]|1[0-2])$", examples=["2026-06"])]


class CloseIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [{"provider_uscc": "91420100MA4K00100E", "period": "2026-06"}]
        },
    )

    provider_uscc: USCC
    period: Period


class PayIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"payment_reference": "WH-TREAS-2026-0715-001"}]},
    )

    payment_reference: str = Field(min_length=1, max_length=100)


class StatementOut(BaseModel):
    id: int
    provider_uscc: str
    period: str
    status: str = Field(description="closed, approved or paid")
    record_count: int
    fee_yuan: Yuan
    subsidy_yuan: Yuan = Field(description="What the bureau owes the provider for the month.")
    enterprise_share_yuan: Yuan
    closed_at: datetime
    approved_at: datetime | None
    paid_at: datetime | None
    payment_reference: str | None

    @classmethod
    def of(cls, statement: Statement, provider_uscc: str) -> StatementOut:
        return cls(
            id=statement.id,
            provider_uscc=provider_uscc,
            period=statement.period,
            status=statement.status,
            record_count=statement.record_count,
            fee_yuan=statement.fee_fen,
            subsidy_yuan=statement.subsidy_fen,
            enterprise_share_yuan=statement.enterprise_share_fen,
            closed_at=statement.closed_at,
            approved_at=statement.approved_at,
            paid_at=statement.paid_at,
            payment_reference=statement.payment_reference,
        )


def _out(session: Session, statement: Statement) -> StatementOut:
    provider = session.get(Provider, statement.provider_id)
    assert provider is not None
    return StatementOut.of(statement, provider.uscc)


@admin_router.post(
    "/statements",
    status_code=status.HTTP_201_CREATED,
    dependencies=rule(BUREAU_STAFF),
    responses={200: {"description": "Already closed: the same statement, unchanged."}},
)
def close_statement(
    body: CloseIn, response: Response, session: SessionDep, today: TodayDep, now: NowDep
) -> StatementOut:
    """Close a provider's month: freeze every unsettled subsidy and correction into a statement."""
    provider = get_provider(session, body.provider_uscc)
    statement, created = service.close_statement(
        session, provider, body.period, today=today, now=now
    )
    if not created:
        response.status_code = status.HTTP_200_OK
    return StatementOut.of(statement, provider.uscc)


@admin_router.get("/statements", dependencies=rule(BUREAU_READ))
def list_statements(
    session: SessionDep,
    page: PageDep,
    provider: Annotated[str | None, Query(description="Provider credit code.")] = None,
    period: Annotated[str | None, Query(pattern=r"^20[0-9]{2}-(0[1-9]|1[0-2])$")] = None,
    status: Annotated[Literal["closed", "approved", "paid"] | None, Query()] = None,
) -> Page[StatementOut]:
    provider_id = get_provider(session, parse_uscc_param(provider)).id if provider else None
    rows, cursor = service.list_statements(
        session, page, provider_id=provider_id, period=period, status=status
    )
    return Page(items=[_out(session, s) for s in rows], next_cursor=cursor)


@admin_router.get("/statements/{statement_id}", dependencies=rule(BUREAU_READ))
def get_statement(statement_id: int, session: SessionDep) -> StatementOut:
    return _out(session, service.get_statement(session, statement_id))


@admin_router.post("/statements/{statement_id}/approve", dependencies=rule(BUREAU_STAFF))
def approve_statement(statement_id: int, session: SessionDep, now: NowDep) -> StatementOut:
    statement = service.get_statement(session, statement_id)
    return _out(session, service.approve_statement(session, statement, now=now))


@admin_router.post("/statements/{statement_id}/pay", dependencies=rule(ADMIN_ONLY))
def pay_statement(statement_id: int, body: PayIn, session: SessionDep, now: NowDep) -> StatementOut:
    """Mark an approved statement paid; the ledger moves its total from payable to paid."""
    statement = service.get_statement(session, statement_id)
    paid = service.pay_statement(session, statement, reference=body.payment_reference, now=now)
    return _out(session, paid)


ExportFormat = Annotated[Literal["csv", "xlsx"], Query(alias="format")]
Headers = Annotated[Literal["en", "zh"], Query(description="Column headers.")]


def _export(session: Session, statement: Statement, fmt: str, headers: str) -> Response:
    provider = session.get(Provider, statement.provider_id)
    assert provider is not None
    detail = service.statement_detail(session, statement)
    name = f"statement-{provider.uscc}-{statement.period}"
    if fmt == "xlsx":
        body = export.statement_xlsx(statement, provider, detail, chinese=headers == "zh")
        media = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    else:
        body = export.statement_csv(statement, detail, chinese=headers == "zh")
        media = "text/csv; charset=utf-8"
    return Response(
        body,
        media_type=media,
        headers={"Content-Disposition": f'attachment; filename="{name}.{fmt}"'},
    )


@admin_router.get(
    "/statements/{statement_id}/export", dependencies=rule(BUREAU_READ), response_class=Response
)
def export_statement(
    statement_id: int, session: SessionDep, fmt: ExportFormat = "csv", headers: Headers = "en"
) -> Response:
    """The statement's lines per enterprise and voucher, in yuan: CSV, or XLSX with a summary."""
    return _export(session, service.get_statement(session, statement_id), fmt, headers)


@provider_router.get("/{uscc}/statements")
def my_statements(uscc: str, session: SessionDep, page: PageDep) -> Page[StatementOut]:
    provider = get_provider(session, parse_uscc_param(uscc))
    rows, cursor = service.list_statements(session, page, provider_id=provider.id)
    return Page(items=[StatementOut.of(s, provider.uscc) for s in rows], next_cursor=cursor)


@provider_router.get("/{uscc}/statements/{statement_id}/export", response_class=Response)
def export_my_statement(
    uscc: str,
    statement_id: int,
    session: SessionDep,
    fmt: ExportFormat = "csv",
    headers: Headers = "en",
) -> Response:
    provider = get_provider(session, parse_uscc_param(uscc))
    return _export(
        session, service.get_statement(session, statement_id, provider_id=provider.id), fmt, headers
    )
