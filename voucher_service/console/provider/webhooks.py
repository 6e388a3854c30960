"""My webhooks: my endpoints (register one, its secret shown once; rotate its secret; delete
it) and the delivery log (each event sent to each endpoint, its attempts, resend one). The
same service calls as ``/v1/provider/{uscc}/webhook-endpoints`` and ``.../webhook-deliveries``,
guarded by the same rule."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from sqlalchemy.orm import Session

from voucher_service.auth.access import PROVIDER_SELF
from voucher_service.console.auth import guard
from voucher_service.console.pages import translator
from voucher_service.console.people.forms import Refused, act_on
from voucher_service.console.people.pages import done, notice
from voucher_service.console.tables import CellKind, Column, Table, row_of
from voucher_service.console.templating import render
from voucher_service.db.tables.providers import Provider
from voucher_service.deps import NowDep, PageDep, SessionDep
from voucher_service.pagination import PageParams
from voucher_service.providers.service import get_provider
from voucher_service.routing import DatabaseRoute
from voucher_service.webhooks import service as webhooks
from voucher_service.webhooks.service import NewSecret

router = APIRouter(route_class=DatabaseRoute, dependencies=[guard(PROVIDER_SELF)])


def _column(key: str, kind: CellKind = "text", label: str = "") -> Column:
    """A column of these tables, labelled ``webhooks.<label>`` (its key, unless named); a
    status shows ``webhooks.<key>.<value>``."""
    prefix = f"webhooks.{key}." if kind == "status" else ""
    return Column(key, f"webhooks.{label or key}", kind, prefix=prefix)


CREATED = _column("created_at", "datetime")
ENDPOINT_COLUMNS = (
    _column("id", "code"),
    _column("url", "code"),
    _column("description"),
    CREATED,
    _column("previous_expires_at", "datetime", "previous_until"),
)
DELIVERY_COLUMNS = (
    _column("id", "code", "delivery"),
    _column("event_type", "code"),
    _column("event_id", "code"),
    _column("endpoint_id", "code", "id"),
    _column("status", "status"),
    _column("attempts"),
    CREATED,
    _column("delivered_at", "datetime"),
)
ATTEMPT_COLUMNS = (
    _column("attempted_at", "datetime"),
    _column("response_status", "code"),
    _column("latency_ms"),
    _column("error"),
)


@dataclass(frozen=True)
class WebhooksPage:
    """The page as a request shows it: whose endpoints, which page of deliveries."""

    request: Request
    uscc: str
    page: PageParams

    def show(self, session: Session, *, status_code: int = 200, **context: Any) -> Any:
        """The page: my endpoints, my deliveries (newest page by page), and ``context`` (an
        error, a secret shown once)."""
        provider = get_provider(session, self.uscc)
        endpoints, _ = webhooks.list_endpoints(session, provider, PageParams(limit=100))
        deliveries, cursor = webhooks.list_deliveries(session, provider, self.page)
        values = {"shown_once": None, "error": None, "notice": notice(self.request), "url": ""}
        return render(
            self.request,
            "provider/webhooks.html",
            status_code=status_code,
            endpoints=Table.whole(
                "endpoints",
                "webhooks.endpoints",
                ENDPOINT_COLUMNS,
                [row_of(e, ENDPOINT_COLUMNS) for e in endpoints],
                row_key="id",
            ),
            deliveries=Table.page(
                self.request,
                id="deliveries",
                caption="webhooks.deliveries",
                columns=DELIVERY_COLUMNS,
                rows=[row_of(d, DELIVERY_COLUMNS) for d in deliveries],
                next_cursor=cursor,
                row_key="id",
            ),
            **(values | context),
        )

    def after(self, session: Session, act: Callable[[Provider], Any]) -> Any:
        """What ``act`` on my provider returned, or the page again with its refusal."""
        provider = get_provider(session, self.uscc)
        made = act_on(session, translator(self.request), lambda: act(provider))
        return self.show(session, **made.shown()) if isinstance(made, Refused) else made

    def secret_shown(self, session: Session, act: Callable[[Provider], NewSecret]) -> Any:
        """Run ``act``: the page with the secret shown once, or with the refusal."""
        made = self.after(session, act)
        if not isinstance(made, NewSecret):
            return made
        shown = {"id": made.endpoint.id, "url": made.endpoint.url, "secret": made.secret}
        return self.show(session, status_code=201, shown_once=shown)


async def webhooks_page_of(uscc: str, request: Request, page: PageDep) -> WebhooksPage:
    return WebhooksPage(request, uscc, page)


ThePage = Annotated[WebhooksPage, Depends(webhooks_page_of)]


@router.get("/{uscc}/webhooks")
def webhooks_page(page: ThePage, session: SessionDep) -> Any:
    return page.show(session)


@router.post("/{uscc}/webhooks")
def create_endpoint(
    page: ThePage,
    session: SessionDep,
    now: NowDep,
    url: Annotated[str, Form(max_length=500)] = "",
    description: Annotated[str, Form(max_length=200)] = "",
) -> Any:
    return page.secret_shown(
        session,
        lambda provider: webhooks.create_endpoint(
            session, provider, url=url, description=description, now=now
        ),
    )


@router.post("/{uscc}/webhooks/{endpoint_id}/rotate")
def rotate_secret(endpoint_id: int, page: ThePage, session: SessionDep, now: NowDep) -> Any:
    return page.secret_shown(
        session,
        lambda provider: webhooks.rotate_secret(
            session, provider, endpoint_id, keep_hours=24, now=now
        ),
    )


@router.post("/{uscc}/webhooks/{endpoint_id}/delete")
def delete_endpoint(endpoint_id: int, page: ThePage, session: SessionDep) -> Any:
    deleted = page.after(
        session, lambda provider: webhooks.delete_endpoint(session, provider, endpoint_id)
    )
    if deleted is not None:  # the page again, with the refusal
        return deleted
    return done(page.request.url.path.removesuffix(f"/{endpoint_id}/delete"), "webhook_deleted")


@router.get("/{uscc}/webhooks/deliveries/{delivery_id}")
def delivery_page(uscc: str, delivery_id: int, request: Request, session: SessionDep) -> Any:
    log = webhooks.get_delivery(session, get_provider(session, uscc), delivery_id)
    attempts = [row_of(a, ATTEMPT_COLUMNS, "id") for a in log.attempts]
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
