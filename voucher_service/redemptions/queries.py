"""Listing redemptions, one call for the API and the console: a ``RedemptionQuery`` names the
enterprise or the provider by its credit code and ``find_redemptions`` resolves it (an
unknown one is NotFound)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from voucher_service.enterprises.service import get_enterprise
from voucher_service.fields import parse_uscc_param
from voucher_service.pagination import PageParams, Slice
from voucher_service.providers.service import get_provider
from voucher_service.redemptions.service import RedemptionView, list_redemptions


@dataclass(frozen=True)
class RedemptionQuery:
    """An enterprise's redemptions (of its vouchers), or a provider's (redeemed with it)."""

    enterprise: str | None = None
    provider: str | None = None
    q: str | None = None  # part of the voucher's code, of either company's name or code


def find_redemptions(
    session: Session, page: PageParams, query: RedemptionQuery
) -> Slice[RedemptionView]:
    """A page of the redemptions ``query`` selects, oldest first."""
    enterprise = None
    if query.enterprise:
        enterprise = get_enterprise(session, parse_uscc_param(query.enterprise))
    provider = get_provider(session, parse_uscc_param(query.provider)) if query.provider else None
    return list_redemptions(session, page, enterprise=enterprise, provider=provider, q=query.q)
