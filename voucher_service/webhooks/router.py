"""Webhook endpoints: a provider registers, lists, deletes and rotates its own, reads the
delivery log and resends a delivery."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response, status

from voucher_service.auth.access import PROVIDER_SELF, rule
from voucher_service.db.tables.webhooks import DeliveryStatus
from voucher_service.deps import NowDep, PageDep, SessionDep
from voucher_service.fields import USCC, Id, parse_uscc_param
from voucher_service.pagination import Page
from voucher_service.providers.service import get_provider
from voucher_service.routing import DatabaseRoute
from voucher_service.webhooks import service
from voucher_service.webhooks.schemas import (
    DeliveryDetail,
    DeliveryOut,
    EndpointCreate,
    EndpointOut,
    EndpointWithSecret,
    RotateIn,
)

provider_router = APIRouter(
    route_class=DatabaseRoute, tags=["webhooks (provider)"], dependencies=rule(PROVIDER_SELF)
)


@provider_router.post("/{uscc}/webhook-endpoints", status_code=status.HTTP_201_CREATED)
def create_endpoint(
    uscc: USCC, body: EndpointCreate, session: SessionDep, now: NowDep
) -> EndpointWithSecret:
    """Register an endpoint for my events. Its signing secret is in this answer only."""
    provider = get_provider(session, parse_uscc_param(uscc))
    made = service.create_endpoint(
        session, provider, url=body.url, description=body.description, now=now
    )
    return EndpointWithSecret.of(made)


@provider_router.get("/{uscc}/webhook-endpoints")
def list_endpoints(uscc: USCC, session: SessionDep, page: PageDep) -> Page[EndpointOut]:
    provider = get_provider(session, parse_uscc_param(uscc))
    rows, cursor = service.list_endpoints(session, provider, page)
    return Page(items=[EndpointOut.read(e) for e in rows], next_cursor=cursor)


@provider_router.delete(
    "/{uscc}/webhook-endpoints/{endpoint_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    response_class=Response,
)
def delete_endpoint(uscc: USCC, endpoint_id: Id, session: SessionDep) -> Response:
    """Stop sending to an endpoint: its pending deliveries fail; its log stays readable."""
    provider = get_provider(session, parse_uscc_param(uscc))
    service.delete_endpoint(session, provider, endpoint_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@provider_router.post("/{uscc}/webhook-endpoints/{endpoint_id}/rotate-secret")
def rotate_secret(
    uscc: USCC, endpoint_id: Id, body: RotateIn, session: SessionDep, now: NowDep
) -> EndpointWithSecret:
    """A new signing secret (in this answer only); the old one signs too for a while."""
    provider = get_provider(session, parse_uscc_param(uscc))
    made = service.rotate_secret(
        session, provider, endpoint_id, keep_hours=body.keep_previous_hours, now=now
    )
    return EndpointWithSecret.of(made)


@provider_router.get("/{uscc}/webhook-deliveries")
def list_deliveries(
    uscc: USCC,
    session: SessionDep,
    page: PageDep,
    endpoint: Annotated[Id | None, Query(description="Only to this endpoint.")] = None,
    status: Annotated[DeliveryStatus | None, Query()] = None,
) -> Page[DeliveryOut]:
    """The delivery log: each event sent (or to be sent) to each of my endpoints."""
    provider = get_provider(session, parse_uscc_param(uscc))
    rows, cursor = service.list_deliveries(
        session, provider, page, endpoint_id=endpoint, status=status
    )
    return Page(items=[DeliveryOut.read(d) for d in rows], next_cursor=cursor)


@provider_router.get("/{uscc}/webhook-deliveries/{delivery_id}")
def get_delivery(uscc: USCC, delivery_id: Id, session: SessionDep) -> DeliveryDetail:
    """One delivery with its body and every attempt: when, how long, what the receiver said."""
    provider = get_provider(session, parse_uscc_param(uscc))
    return DeliveryDetail.of(service.get_delivery(session, provider, delivery_id))


@provider_router.post("/{uscc}/webhook-deliveries/{delivery_id}/resend")
def resend(uscc: USCC, delivery_id: Id, session: SessionDep, now: NowDep) -> DeliveryDetail:
    """Send a delivery again, now (same event id: a receiver that has it ignores it)."""
    provider = get_provider(session, parse_uscc_param(uscc))
    return DeliveryDetail.of(service.resend(session, provider, delivery_id, now=now))
