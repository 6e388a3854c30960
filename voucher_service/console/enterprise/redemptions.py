"""Redeem a voucher with a provider (核销绑定): from then on that provider deducts the subsidy
when it bills me (即领即用). The form is read through the API's ``RedemptionCreate`` and
filed with the same service call as ``POST /v1/enterprise/{uscc}/redemptions``; ending one is
``POST .../redemptions/{id}/end``'s. The table is ``GET .../redemptions``."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from sqlalchemy.orm import Session

from voucher_service.auth.access import ENTERPRISE_SELF
from voucher_service.console.auth import guard
from voucher_service.console.pages import translator
from voucher_service.console.people.forms import Refused, act_on, read_form
from voucher_service.console.people.pages import done, notice
from voucher_service.console.people.redemptions import redemption_columns, redemption_table
from voucher_service.console.tables import Column
from voucher_service.console.templating import render
from voucher_service.db.tables.enterprises import Enterprise
from voucher_service.db.tables.providers import ProviderStatus
from voucher_service.db.tables.vouchers import VoucherStatus
from voucher_service.deps import PageDep, SessionDep
from voucher_service.enterprises.service import get_enterprise
from voucher_service.fields import parse_uscc_param
from voucher_service.pagination import PageParams
from voucher_service.providers.service import all_providers, get_provider
from voucher_service.redemptions import service as redemptions
from voucher_service.redemptions.queries import RedemptionQuery
from voucher_service.redemptions.schemas import RedemptionCreate
from voucher_service.routing import DatabaseRoute
from voucher_service.vouchers.service import list_vouchers

router = APIRouter(route_class=DatabaseRoute, dependencies=[guard(ENTERPRISE_SELF)])

COLUMNS = redemption_columns(
    Column("provider_name", "redeem.provider"),
    Column("provider_uscc", "redeem.provider_uscc", "code"),
)
LABELS = {"voucher_code": "redeem.voucher", "provider_uscc": "redeem.provider"}


def _show(
    request: Request,
    session: Session,
    enterprise: Enterprise,
    params: PageParams,
    *,
    status_code: int = 200,
    error: str | None = None,
    chosen: dict[str, str] | None = None,
) -> Any:
    mine = RedemptionQuery(enterprise=enterprise.uscc)
    table = redemption_table(
        request, session, params, mine, caption="redeem.caption", columns=COLUMNS
    )
    vouchers, _ = list_vouchers(
        session, PageParams(limit=500), enterprise=enterprise, status=VoucherStatus.ACTIVE
    )
    providers = [p for p in all_providers(session) if p.status == ProviderStatus.ACTIVE]
    return render(
        request,
        "enterprise/redemptions.html",
        status_code=status_code,
        table=table,
        vouchers=vouchers,
        providers=providers,
        chosen=chosen
        or {"voucher_code": request.query_params.get("voucher", ""), "provider_uscc": ""},
        error=error,
        notice=notice(request),
    )


@router.get("/{uscc}/redemptions")
def redemptions_page(uscc: str, request: Request, session: SessionDep, page: PageDep) -> Any:
    enterprise = get_enterprise(session, parse_uscc_param(uscc))
    return _show(request, session, enterprise, page)


@router.post("/{uscc}/redemptions")
def redeem(
    uscc: str,
    request: Request,
    session: SessionDep,
    page: PageDep,
    voucher_code: Annotated[str, Form(max_length=40)] = "",
    provider_uscc: Annotated[str, Form(max_length=40)] = "",
) -> Any:
    enterprise = get_enterprise(session, parse_uscc_param(uscc))
    chosen = {"voucher_code": voucher_code, "provider_uscc": provider_uscc}
    t = translator(request)

    def act() -> None:
        body = read_form(RedemptionCreate, chosen, t, LABELS)
        provider = get_provider(session, body.provider_uscc)
        redemptions.redeem(
            session, enterprise=enterprise, voucher_code=body.voucher_code, provider=provider
        )

    refused = act_on(session, t, act)
    if isinstance(refused, Refused):
        return _show(request, session, enterprise, page, chosen=chosen, **refused.shown())
    return done(request.url.path, "redeemed")


@router.post("/{uscc}/redemptions/{redemption_id}/end")
def end_redemption(
    uscc: str, redemption_id: int, request: Request, session: SessionDep, page: PageDep
) -> Any:
    enterprise = get_enterprise(session, parse_uscc_param(uscc))

    def end() -> None:
        found = redemptions.get_redemption(session, redemption_id, enterprise=enterprise)
        redemptions.end_redemption(session, found)

    refused = act_on(session, translator(request), end)
    if isinstance(refused, Refused):
        return _show(request, session, enterprise, page, **refused.shown())
    return done(request.url.path.removesuffix(f"/{redemption_id}/end"), "ended")
