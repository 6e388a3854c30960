"""My webhooks: my endpoints (register one, its secret shown once; rotate its secret; delete
it) and the delivery log (each event sent to each endpoint, its attempts, resend one). The
same service calls as ``/v1/provider/{uscc}/webhook-endpoints`` and ``.../webhook-deliveries``,
guarded by the same rule."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from sqlalchemy.orm import Session

from voucher_service.auth.access import PROVIDER_SELF
from voucher_service.console.auth import guard
from voucher_service.console.pages import attempt, describe, translator
from voucher_service.console.people.pages import done, notice
from voucher_service.console.tables import Column, Table
from voucher_service.console.templating import render
from voucher_service.deps import NowDep, PageDep, SessionDep
from voucher_service.pagination import PageParams
from voucher_service.providers.service import get_provider
from voucher_service.routing import DatabaseRoute
from voucher_service.webhooks import service as webhooks
from voucher_service.webhooks.service import NewSecret

router = APIRouter(route_class=DatabaseRoute, dependencies=[guard(PROVIDER_SELF)])

ENDPOINT_COLUMNS = (
    Column("id", "webhooks.id", "code"),
    Column("url", "webhooks.url", "code"),
    Column("description", "webhooks.description"),
    Column("created_at", "webhooks.created_at", "datetime"),
    Column("previous_expires_at", "webhooks.previous_until", "datetime"),
)
DELIVERY_COLUMNS = (
    Column("id", "webhooks.delivery", "code"),
    Column("event_type", "webhooks.event_type", "code"),
    Column("event_id", "webhooks.event_id", "code"),
    Column("endpoint_id", "webhooks.id", "code"),
    Column("status", "webhooks.status", "status", prefix="webhooks.status."),
    Column("attempts", "webhooks.attempts"),
    Column("created_at", "webhooks.created_at", "datetime"),
    Column("delivered_at", "webhooks.delivered_at", "datetime"),
)
ATTEMPT_COLUMNS = (
    Column("attempted_at", "webhooks.attempted_at", "datetime"),
    Column("response_status", "webhooks.response_status", "code"),
    Column("latency_ms", "webhooks.latency_ms"),
    Column("error", "webhooks.error"),
)


def show(
    request: Request,
    session: Session,
    uscc: str,
    page: PageDep,
    *,
    status_code: int = 200,
    **context: Any,
) -> Any:
    """The page: my endpoints, my deliveries (newest page by page), and ``context`` (an
    error, a secret shown once)."""
    provider = get_provider(session, uscc)
    endpoints, _ = webhooks.list_endpoints(session, provider, PageParams(limit=100))
    deliveries, cursor = webhooks.list_deliveries(session, provider, page)
    endpoint_rows = [
        {
            "id": e.id,
            "url": e.url,
            "description": e.description,
            "created_at": e.created_at,
            "previous_expires_at": e.previous_expires_at,
        }
        for e in endpoints
    ]
    delivery_rows = [
        {
            "id": d.id,
            "event_type": d.event_type,
            "event_id": d.event_id,
            "endpoint_id": d.endpoint_id,
            "status": d.status,
            "attempts": d.attempts,
            "created_at": d.created_at,
            "delivered_at": d.delivered_at,
        }
        for d in deliveries
    ]
    values = {"shown_once": None, "error": None, "notice": notice(request), "url": ""}
    return render(
        request,
        "provider/webhooks.html",
        status_code=status_code,
        endpoints=Table.whole(
            "endpoints", "webhooks.endpoints", ENDPOINT_COLUMNS, endpoint_rows, row_key="id"
        ),
        deliveries=Table.page(
            request,
            id="deliveries",
            caption="webhooks.deliveries",
            columns=DELIVERY_COLUMNS,
            rows=delivery_rows,
            next_cursor=cursor,
            row_key="id",
        ),
        **(values | context),
    )


def _secret_shown(request: Request, session: Session, uscc: str, page: PageDep, act: Any) -> Any:
    """Run ``act`` (it returns a NewSecret); the page with the secret shown once, or with
    the refusal."""
    made: list[NewSecret] = []
    refused = attempt(session, lambda: made.append(act()))
    if refused is not None:
        error = describe(refused, translator(request))
        return show(request, session, uscc, page, status_code=refused.status, error=error)
    shown = {"id": made[0].endpoint.id, "url": made[0].endpoint.url, "secret": made[0].secret}
    return show(request, session, uscc, page, status_code=201, shown_once=shown)


@router.get("/{uscc}/webhooks")
def webhooks_page(uscc: str, request: Request, session: SessionDep, page: PageDep) -> Any:
    return show(request, session, uscc, page)


@router.post("/{uscc}/webhooks")
def create_endpoint(
    uscc: str,
    request: Request,
    session: SessionDep,
    page: PageDep,
    now: NowDep,
    url: Annotated[str, Form(max_length=500)] = "",
    description: Annotated[str, Form(max_length=200)] = "",
) -> Any:
    provider = get_provider(session, uscc)
    return _secret_shown(
        request,
        session,
        uscc,
        page,
        lambda: webhooks.create_endpoint(
            session, provider, url=url, description=description, now=now
        ),
    )


@router.post("/{uscc}/webhooks/{endpoint_id}/rotate")
def rotate_secret(
    uscc: str, endpoint_id: int, request: Request, session: SessionDep, page: PageDep, now: NowDep
) -> Any:
    provider = get_provider(session, uscc)
    return _secret_shown(
        request,
        session,
        uscc,
        page,
        lambda: webhooks.rotate_secret(session, provider, endpoint_id, keep_hours=24, now=now),
    )


@router.post("/{uscc}/webhooks/{endpoint_id}/delete")
def delete_endpoint(
    uscc: str, endpoint_id: int, request: Request, session: SessionDep, page: PageDep
) -> Any:
    provider = get_provider(session, uscc)
    refused = attempt(session, lambda: webhooks.delete_endpoint(session, provider, endpoint_id))
    if refused is not None:
        error = describe(refused, translator(request))
        return show(request, session, uscc, page, status_code=refused.status, error=error)
    return done(request.url.path.removesuffix(f"/{endpoint_id}/delete"), "webhook_deleted")


@router.get("/{uscc}/webhooks/deliveries/{delivery_id}")
def delivery_page(uscc: str, delivery_id: int, request: Request, session: SessionDep) -> Any:
    log = webhooks.get_delivery(session, get_provider(session, uscc), delivery_id)
    attempts = [
        {
            "id": a.id,
            "attempted_at": a.attempted_at,
            "response_status": a.response_status,
            "latency_ms": a.latency_ms,
            "error": a.error,
        }
        for a in log.attempts
    ]
    table = Table.whole("attempts", "webhooks.attempt_log", ATTEMPT_COLUMNS, attempts, row_key="id")
    return render(
        request,
        "provider/webhook_delivery.html",
        delivery=log.delivery,
        url=log.url,
        attempts=table,
        notice=notice(request),
        error=None,
    )


@router.post("/{uscc}/webhooks/deliveries/{delivery_id}/resend")
def resend(uscc: str, delivery_id: int, request: Request, session: SessionDep, now: NowDep) -> Any:
    provider = get_provider(session, uscc)
    webhooks.resend(session, provider, delivery_id, now=now)
    return done(request.url.path.removesuffix("/resend"), "webhook_resent")
