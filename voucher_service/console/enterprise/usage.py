"""My usage records (使用记录): every record priced against my vouchers, as
``GET /v1/enterprise/{uscc}/usage-records`` lists them (the same filters: period, voucher,
provider, outcome), and their download as CSV or XLSX."""

from __future__ import annotations

from dataclasses import replace
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response

from voucher_service.auth.access import ENTERPRISE_SELF
from voucher_service.console.auth import guard
from voucher_service.console.pages import translator
from voucher_service.console.people import records
from voucher_service.console.templating import render
from voucher_service.deps import SessionDep
from voucher_service.enterprises.service import get_enterprise
from voucher_service.exports import Format
from voucher_service.fields import parse_uscc_param
from voucher_service.pagination import PageParams
from voucher_service.providers.service import all_providers
from voucher_service.redemptions.service import providers_of
from voucher_service.routing import DatabaseRoute
from voucher_service.usage.params import RecordPages, RecordQueryDep
from voucher_service.usage.queries import enterprise_records
from voucher_service.vouchers.service import list_vouchers

router = APIRouter(route_class=DatabaseRoute, dependencies=[guard(ENTERPRISE_SELF)])
ProviderQuery = Annotated[str | None, Query()]


@router.get("/{uscc}/usage")
def usage_page(
    uscc: str,
    request: Request,
    session: SessionDep,
    page: RecordPages,
    query: RecordQueryDep,
    provider: ProviderQuery = None,
) -> Any:
    enterprise = get_enterprise(session, parse_uscc_param(uscc))
    mine, _ = list_vouchers(session, PageParams(limit=500), enterprise=enterprise)
    table = records.table(
        request,
        session,
        page,
        enterprise_records(session, uscc, replace(query, provider=provider or None)),
        t=translator(request),
        columns=records.ENTERPRISE_COLUMNS,
        record_filters=records.filters(
            vouchers=[v.code for v in mine], providers=providers_of(session, enterprise)
        ),
        provider_names={p.id: p.name for p in all_providers(session) if p.id is not None},
        default_sort="-service_date",  # the newest use first (issue 23)
    )
    return render(
        request,
        "enterprise/usage.html",
        table=table,
        enterprise=enterprise,
        export_limit=records.EXPORT_MAX_RECORDS,
    )


@router.get("/{uscc}/usage/export")
def usage_download(
    uscc: str,
    request: Request,
    session: SessionDep,
    query: RecordQueryDep,
    provider: ProviderQuery = None,
    fmt: Annotated[Format, Query(alias="format")] = "csv",
) -> Response:
    scoped = enterprise_records(session, uscc, replace(query, provider=provider or None))
    return records.download(request, session, scoped, fmt, uscc=uscc)
