"""The provider's landing page: the vouchers redeemed with me (核销绑定), as
``GET /v1/provider/{uscc}/redemptions`` lists them. Only an active one may be drawn on."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request

from voucher_service.auth.access import PROVIDER_SELF
from voucher_service.console.auth import guard
from voucher_service.console.people.pages import notice
from voucher_service.console.people.redemptions import redemption_columns, redemption_table
from voucher_service.console.tables import Column
from voucher_service.console.templating import render
from voucher_service.deps import PageDep, SessionDep
from voucher_service.fields import parse_uscc_param
from voucher_service.providers.service import get_provider
from voucher_service.redemptions.queries import RedemptionQuery
from voucher_service.routing import DatabaseRoute

router = APIRouter(route_class=DatabaseRoute, dependencies=[guard(PROVIDER_SELF)])

COLUMNS = redemption_columns(
    Column("enterprise_name", "names.enterprise"),
    Column("uscc", "redeem.enterprise", "code"),
)


@router.get("/{uscc}")
def redeemed_page(uscc: str, request: Request, session: SessionDep, page: PageDep) -> Any:
    provider = get_provider(session, parse_uscc_param(uscc))
    mine = RedemptionQuery(provider=uscc)
    table = redemption_table(
        request, session, page, mine, caption="redeemed.caption", columns=COLUMNS
    )
    return render(
        request, "provider/redemptions.html", table=table, provider=provider, notice=notice(request)
    )
