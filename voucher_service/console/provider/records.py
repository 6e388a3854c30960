"""My posted records (计量记录), refusals and their reasons included, as
``GET /v1/provider/{uscc}/usage-records`` lists them (filters: period, voucher, outcome),
and their download as CSV or XLSX (the API's ``usage-records.csv|xlsx``)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response

from voucher_service.auth.access import PROVIDER_SELF
from voucher_service.console.auth import guard
from voucher_service.console.pages import translator
from voucher_service.console.people import records
from voucher_service.console.templating import render
from voucher_service.deps import SessionDep
from voucher_service.exports import Format
from voucher_service.routing import DatabaseRoute
from voucher_service.usage.params import RecordPages, RecordQueryDep
from voucher_service.usage.queries import provider_records

router = APIRouter(route_class=DatabaseRoute, dependencies=[guard(PROVIDER_SELF)])


@router.get("/{uscc}/records")
def records_page(
    uscc: str, request: Request, session: SessionDep, page: RecordPages, query: RecordQueryDep
) -> Any:
    table = records.table(
        request,
        session,
        page,
        provider_records(session, uscc, query),
        t=translator(request),
        columns=records.PROVIDER_COLUMNS,
        record_filters=records.filters(),
        provider_names={},
    )
    return render(
        request,
        "provider/records.html",
        table=table,
        export_limit=records.EXPORT_MAX_RECORDS,
    )


@router.get("/{uscc}/records/export")
def records_download(
    uscc: str,
    request: Request,
    session: SessionDep,
    query: RecordQueryDep,
    fmt: Annotated[Format, Query(alias="format")] = "csv",
) -> Response:
    scoped = provider_records(session, uscc, query)
    return records.download(request, session, scoped, fmt, uscc=uscc)
