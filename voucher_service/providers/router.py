"""Bureau endpoints for compute providers."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, status
from sqlalchemy.orm import Session

from voucher_service.auth.access import BUREAU_READ, REVIEW, rule
from voucher_service.db.tables.providers import Provider, ProviderStatus
from voucher_service.deps import PageDep, SessionDep
from voucher_service.fields import USCC, parse_uscc_param
from voucher_service.pagination import Page
from voucher_service.providers import service
from voucher_service.providers.schemas import ProviderCreate, ProviderOut, StatusChangeIn
from voucher_service.routing import DatabaseRoute

admin_router = APIRouter(route_class=DatabaseRoute, tags=["providers (bureau)"])


def _out(session: SessionDep, provider: Provider) -> ProviderOut:
    return ProviderOut.of(service.describe(session, [provider])[0])


@admin_router.post("/providers", status_code=status.HTTP_201_CREATED, dependencies=rule(REVIEW))
def register_provider(body: ProviderCreate, session: SessionDep) -> ProviderOut:
    """Register a compute provider with its catalogue and list prices."""
    offerings = [
        service.Offering(o.resource_kind.value, o.resource_model, o.unit.value, o.list_price_yuan)
        for o in body.offerings
    ]
    provider = service.register_provider(
        session, uscc=body.uscc, name=body.name, offerings=offerings
    )
    return _out(session, provider)


@admin_router.get("/providers", dependencies=rule(BUREAU_READ))
def list_providers(
    session: SessionDep,
    page: PageDep,
    status: Annotated[ProviderStatus | None, Query()] = None,
) -> Page[ProviderOut]:
    rows, cursor = service.list_providers(session, page, status=status)
    return Page(
        items=[ProviderOut.of(v) for v in service.describe(session, rows)], next_cursor=cursor
    )


@admin_router.get("/providers/{uscc}", dependencies=rule(BUREAU_READ))
def get_provider(uscc: USCC, session: SessionDep) -> ProviderOut:
    return _out(session, service.get_provider(session, parse_uscc_param(uscc)))


def _set_status(
    uscc: str, new_status: ProviderStatus, body: StatusChangeIn, session: Session
) -> ProviderOut:
    provider = service.get_provider(session, parse_uscc_param(uscc))
    changed = service.set_status(session, provider, status=new_status, reason=body.reason)
    return _out(session, changed)


@admin_router.post("/providers/{uscc}/suspend", dependencies=rule(REVIEW))
def suspend_provider(uscc: USCC, body: StatusChangeIn, session: SessionDep) -> ProviderOut:
    """Suspend a provider: its usage posts are refused until it is reinstated."""
    return _set_status(uscc, ProviderStatus.SUSPENDED, body, session)


@admin_router.post("/providers/{uscc}/reinstate", dependencies=rule(REVIEW))
def reinstate_provider(uscc: USCC, body: StatusChangeIn, session: SessionDep) -> ProviderOut:
    return _set_status(uscc, ProviderStatus.ACTIVE, body, session)
