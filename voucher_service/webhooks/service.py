"""A provider's webhook endpoints and their delivery log: register, list, delete, rotate the
secret (shown once), read the deliveries and their attempts, resend one.

Every function takes the provider (its row, resolved from the path's credit code): an
endpoint or a delivery of another provider is not found, as anything of another's is."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import urlsplit

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from voucher_service import audit_log
from voucher_service.config import get_settings
from voucher_service.db.tables.providers import Provider
from voucher_service.db.tables.webhooks import (
    DeliveryStatus,
    EndpointStatus,
    WebhookAttempt,
    WebhookDelivery,
    WebhookEndpoint,
)
from voucher_service.errors import ErrorCode, InvalidInput, InvalidState, NotFound
from voucher_service.pagination import PageParams, paginate
from voucher_service.webhooks.signing import new_secret

LOCAL_HOSTS = ("localhost",)
ROTATION_HOURS_MAX = 7 * 24


def check_url(url: str, *, allow_http_local: bool) -> str:
    """An endpoint's URL: https with a host; plain http only to this machine, and only when
    the setting allows it (tests and development). Anything else is invalid_url (422)."""
    parts = urlsplit(url.strip())
    host = (parts.hostname or "").lower()
    if not host or parts.username or parts.password:
        raise InvalidInput(
            "a webhook endpoint is an https URL with a host (and no user or password)",
            code=ErrorCode.INVALID_URL,
        )
    if parts.scheme == "https":
        return url.strip()
    if parts.scheme == "http" and allow_http_local and _is_local(host):
        return url.strip()
    raise InvalidInput(
        "a webhook endpoint must be an https URL (or http to 127.0.0.1 or localhost)"
        if allow_http_local
        else "a webhook endpoint must be an https URL",
        code=ErrorCode.INVALID_URL,
    )


def _is_local(host: str) -> bool:
    if host in LOCAL_HOSTS:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


@dataclass(frozen=True)
class NewSecret:
    """An endpoint with the secret that signs its deliveries: shown this once."""

    endpoint: WebhookEndpoint
    secret: str


def create_endpoint(
    session: Session, provider: Provider, *, url: str, description: str = "", now: datetime
) -> NewSecret:
    """Register an endpoint for the provider's events; its secret is returned this once."""
    checked = check_url(url, allow_http_local=get_settings().webhook_allow_http_local)
    secret = new_secret()
    endpoint = WebhookEndpoint(
        provider_id=provider.id,
        url=checked,
        description=description.strip(),
        secret=secret,
        created_at=now,
    )
    audit_log.created(
        session, endpoint, "webhook.create", "webhook_endpoint", after={"url": checked}
    )
    return NewSecret(endpoint, secret)


def list_endpoints(
    session: Session, provider: Provider, params: PageParams
) -> tuple[list[WebhookEndpoint], str | None]:
    """The provider's active endpoints, oldest first."""
    query = select(WebhookEndpoint).where(
        WebhookEndpoint.provider_id == provider.id,
        WebhookEndpoint.status == EndpointStatus.ACTIVE,
    )
    return paginate(session, query, WebhookEndpoint.id, params)


def get_endpoint(session: Session, provider: Provider, endpoint_id: int) -> WebhookEndpoint:
    endpoint: WebhookEndpoint | None = session.scalar(
        select(WebhookEndpoint).where(
            WebhookEndpoint.id == endpoint_id,
            WebhookEndpoint.provider_id == provider.id,
            WebhookEndpoint.status == EndpointStatus.ACTIVE,
        )
    )
    if endpoint is None:
        raise NotFound(
            "you have no webhook endpoint {endpoint_id}",
            code=ErrorCode.WEBHOOK_ENDPOINT_NOT_FOUND,
            endpoint_id=endpoint_id,
        )
    return endpoint


def delete_endpoint(session: Session, provider: Provider, endpoint_id: int) -> None:
    """Stop sending to an endpoint. Its pending deliveries fail; its log is kept."""
    endpoint = get_endpoint(session, provider, endpoint_id)
    endpoint.status = EndpointStatus.DELETED
    session.execute(
        update(WebhookDelivery)
        .where(
            WebhookDelivery.endpoint_id == endpoint.id,
            WebhookDelivery.status == DeliveryStatus.PENDING,
        )
        .values(status=DeliveryStatus.FAILED)
    )
    session.flush()
    audit_log.record(
        session,
        "webhook.delete",
        "webhook_endpoint",
        endpoint.id,
        before={"url": endpoint.url, "status": EndpointStatus.ACTIVE},
        after={"status": EndpointStatus.DELETED},
    )


def rotate_secret(
    session: Session, provider: Provider, endpoint_id: int, *, keep_hours: float, now: datetime
) -> NewSecret:
    """A new secret for the endpoint, returned this once. The old one still signs (a second
    ``v1`` in the header) for ``keep_hours`` (0: not at all), while the receiver switches."""
    if not 0 <= keep_hours <= ROTATION_HOURS_MAX:
        raise InvalidInput(
            "the previous secret is kept 0 to {most} hours",
            code=ErrorCode.INVALID_INPUT,
            most=ROTATION_HOURS_MAX,
        )
    endpoint = get_endpoint(session, provider, endpoint_id)
    secret = new_secret()
    endpoint.previous_secret = endpoint.secret if keep_hours else None
    endpoint.previous_expires_at = now + timedelta(hours=keep_hours) if keep_hours else None
    endpoint.secret = secret
    session.flush()
    audit_log.record(
        session,
        "webhook.rotate",
        "webhook_endpoint",
        endpoint.id,
        after={"previous_valid_until": endpoint.previous_expires_at},
    )
    return NewSecret(endpoint, secret)


def list_deliveries(
    session: Session,
    provider: Provider,
    params: PageParams,
    *,
    endpoint_id: int | None = None,
    status: DeliveryStatus | None = None,
) -> tuple[list[WebhookDelivery], str | None]:
    """The provider's deliveries (to one endpoint, or in one status), oldest first."""
    query = (
        select(WebhookDelivery)
        .join(WebhookEndpoint, WebhookEndpoint.id == WebhookDelivery.endpoint_id)
        .where(WebhookEndpoint.provider_id == provider.id)
    )
    if endpoint_id is not None:
        query = query.where(WebhookDelivery.endpoint_id == endpoint_id)
    if status is not None:
        query = query.where(WebhookDelivery.status == status)
    return paginate(session, query, WebhookDelivery.id, params)


@dataclass(frozen=True)
class DeliveryLog:
    """A delivery with every attempt made on it, oldest first."""

    delivery: WebhookDelivery
    url: str
    attempts: list[WebhookAttempt]


def get_delivery(session: Session, provider: Provider, delivery_id: int) -> DeliveryLog:
    found = session.execute(
        select(WebhookDelivery, WebhookEndpoint.url)
        .join(WebhookEndpoint, WebhookEndpoint.id == WebhookDelivery.endpoint_id)
        .where(WebhookDelivery.id == delivery_id, WebhookEndpoint.provider_id == provider.id)
    ).first()
    if found is None:
        raise NotFound(
            "you have no webhook delivery {delivery_id}",
            code=ErrorCode.WEBHOOK_DELIVERY_NOT_FOUND,
            delivery_id=delivery_id,
        )
    delivery, url = found
    attempts = list(
        session.scalars(
            select(WebhookAttempt)
            .where(WebhookAttempt.delivery_id == delivery.id)
            .order_by(WebhookAttempt.id)
        )
    )
    return DeliveryLog(delivery, url, attempts)


def resend(session: Session, provider: Provider, delivery_id: int, *, now: datetime) -> DeliveryLog:
    """Send a delivery again (delivered or failed: the same event id, so a receiver that
    has it already ignores it), due now and retried for another period."""
    log = get_delivery(session, provider, delivery_id)
    delivery = log.delivery
    endpoint = session.get(WebhookEndpoint, delivery.endpoint_id)
    if endpoint is None or endpoint.status != EndpointStatus.ACTIVE:
        raise InvalidState(
            "the endpoint of delivery {delivery_id} has been deleted", delivery_id=delivery_id
        )
    before = delivery.status
    delivery.status, delivery.next_attempt_at = DeliveryStatus.PENDING, now
    delivery.give_up_at = None  # another period, from the resend's first attempt
    session.flush()
    audit_log.record(
        session,
        "webhook.resend",
        "webhook_delivery",
        delivery.id,
        before={"status": before},
        after={"status": DeliveryStatus.PENDING, "event_id": delivery.event_id},
    )
    return log
