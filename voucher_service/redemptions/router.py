"""Redemption endpoints: the enterprise binds and ends; the provider lists its own."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, status

from voucher_service.auth.access import ENTERPRISE_SELF, PROVIDER_SELF, rule
from voucher_service.deps import PageDep, SessionDep
from voucher_service.enterprises.service import get_enterprise
from voucher_service.fields import USCC, Id, Search, parse_uscc_param
from voucher_service.pagination import Page
from voucher_service.providers.service import get_provider
from voucher_service.redemptions import queries, service
from voucher_service.redemptions.schemas import RedemptionCreate, RedemptionOut
from voucher_service.routing import DatabaseRoute

enterprise_router = APIRouter(
    route_class=DatabaseRoute, tags=["my subsidy (enterprise)"], dependencies=rule(ENTERPRISE_SELF)
)
provider_router = APIRouter(
    route_class=DatabaseRoute, tags=["metering (provider)"], dependencies=rule(PROVIDER_SELF)
)


@enterprise_router.post("/{uscc}/redemptions", status_code=status.HTTP_201_CREATED)
def redeem(uscc: USCC, body: RedemptionCreate, session: SessionDep) -> RedemptionOut:
    """Redeem one of my vouchers with a provider, so it deducts the subsidy at the point of sale."""
    enterprise = get_enterprise(session, parse_uscc_param(uscc))
    provider = get_provider(session, body.provider_uscc)
    redemption = service.redeem(
        session, enterprise=enterprise, voucher_code=body.voucher_code, provider=provider
    )
    return RedemptionOut.of(service.describe(session, redemption))


RedemptionSearch = Annotated[
    Search | None,
    Query(description="Part of the voucher's code, of either company's name or credit code."),
]


@enterprise_router.get("/{uscc}/redemptions")
def my_redemptions(
    uscc: USCC, session: SessionDep, page: PageDep, q: RedemptionSearch = None
) -> Page[RedemptionOut]:
    query = queries.RedemptionQuery(enterprise=uscc, q=q)
    return Page.of(queries.find_redemptions(session, page, query), RedemptionOut.of)


@enterprise_router.post("/{uscc}/redemptions/{redemption_id}/end")
def end_redemption(uscc: USCC, redemption_id: Id, session: SessionDep) -> RedemptionOut:
    """End a redemption: the provider can no longer draw on the voucher."""
    enterprise = get_enterprise(session, parse_uscc_param(uscc))
    redemption = service.get_redemption(session, redemption_id, enterprise=enterprise)
    return RedemptionOut.of(service.describe(session, service.end_redemption(session, redemption)))


@provider_router.get("/{uscc}/redemptions")
def provider_redemptions(
    uscc: USCC, session: SessionDep, page: PageDep, q: RedemptionSearch = None
) -> Page[RedemptionOut]:
    """The vouchers redeemed with me."""
    query = queries.RedemptionQuery(provider=uscc, q=q)
    return Page.of(queries.find_redemptions(session, page, query), RedemptionOut.of)
