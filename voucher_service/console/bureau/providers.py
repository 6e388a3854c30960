"""Providers (算力服务商): each with its status, quality score and health (the parts of
``GET /v1/admin/network``), and its usage records flagged against the price index (``GET
/v1/admin/network/flagged-records``); one provider with its price list, status history,
capacity and flags; suspend and reinstate (``POST /v1/admin/providers/{uscc}/suspend``,
``.../reinstate``, REVIEW). Reading is guarded by BUREAU_READ, like those endpoints."""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Form, Request
from sqlalchemy.orm import Session

from voucher_service.auth.access import BUREAU_READ, REVIEW
from voucher_service.console.auth import guard
from voucher_service.console.bureau.common import ListingPage, allows, notice
from voucher_service.console.bureau.filters import status_options
from voucher_service.console.bureau.menu import BUREAU
from voucher_service.console.history import section as history_section
from voucher_service.console.pages import act_then, describe, translator
from voucher_service.console.tables import Column, Filter, Table
from voucher_service.console.templating import render
from voucher_service.db.tables.providers import Provider, ProviderStatus
from voucher_service.deps import NowDep, PageDep, SessionDep
from voucher_service.errors import ServiceError
from voucher_service.fields import parse_uscc_param
from voucher_service.monitoring import network
from voucher_service.pagination import PageParams
from voucher_service.providers import service
from voucher_service.routing import DatabaseRoute

router = APIRouter(route_class=DatabaseRoute)

FLAG_DAYS = 30  # the flagged-records endpoint's default window
COLUMNS = (
    Column("uscc", "enterprises.uscc", "code", link="url"),
    Column("name", "providers.name"),
    Column("status", "providers.status", "status"),
    Column("score_bp", "providers.score", "percent_bp"),
    Column("availability_bp", "providers.availability", "percent_bp"),
    Column("latency_bp", "providers.latency", "percent_bp"),
    Column("health", "providers.health", "status"),
    Column("flagged", "providers.flagged", "number"),
)
FILTERS = (Filter("status", "providers.status", status_options(ProviderStatus)),)
MODEL = Column("resource_model", "providers.model", "code")
CAPACITY_COLUMNS = (
    MODEL,
    Column("total", "providers.cards_total", "number"),
    Column("available", "providers.cards_available", "number"),
    Column("utilisation_bp", "providers.utilisation", "percent_bp"),
    Column("queue_wait_seconds", "providers.queue_wait", "number"),
    Column("list_price_fen", "providers.list_price", "money"),
    Column("observed_at", "providers.observed_at", "datetime"),
)
FLAG_COLUMNS = (
    Column("record_id", "providers.record_id", "code"),
    MODEL,
    Column("unit_price_fen", "providers.unit_price", "money"),
    Column("index_fen", "providers.index", "money"),
    Column("created_at", "providers.posted_at", "datetime"),
)
HISTORY_COLUMNS = (
    Column("status", "providers.status", "status"),
    Column("reason", "providers.reason"),
    Column("created_at", "providers.changed_at", "datetime"),
)
LISTING = ListingPage("providers", COLUMNS, FILTERS, row_key="uscc")


def _bp(share: float) -> int:
    return round(share * 10_000)


def row_of(provider: Provider, quality: dict[str, float], flagged: int) -> dict[str, Any]:
    """A provider as the table shows it. Health: down when no probe answered in the last day,
    degraded below 90% of probes, ok otherwise (or with no endpoint to probe)."""
    availability = quality["availability"]
    health = "ok" if availability >= 0.9 else "degraded" if availability > 0 else "down"
    return {
        "uscc": provider.uscc,
        "url": f"{BUREAU}/providers/{provider.uscc}",
        "name": provider.name,
        "status": provider.status,
        "score_bp": _bp(quality["score"]),
        "availability_bp": _bp(availability),
        "latency_bp": _bp(quality["latency"]),
        "health": health,
        "flagged": flagged,
    }


def _flags(session: Session, now: datetime) -> list[dict[str, Any]]:
    return network.flagged_records(session, since=now - timedelta(days=FLAG_DAYS))


@router.get("/bureau/providers", dependencies=[guard(BUREAU_READ)])
def providers(
    request: Request,
    session: SessionDep,
    page: PageDep,
    now: NowDep,
    status: ProviderStatus | None = None,
) -> Any:
    flagged = Counter(r["uscc"] for r in _flags(session, now))

    def listing(params: PageParams) -> tuple[list[dict[str, Any]], str | None]:
        rows, cursor = service.list_providers(session, params, status=status)
        shown = [row_of(p, network.quality(session, p, now=now), flagged[p.uscc]) for p in rows]
        return shown, cursor

    return LISTING.show(
        request,
        listing,
        page,
        price_index=network.price_index(session),
        flag_days=FLAG_DAYS,
    )


def _detail(
    request: Request, session: Session, uscc: str, now: datetime, error: ServiceError | None = None
) -> Any:
    provider = service.get_provider(session, parse_uscc_param(uscc))
    view = service.describe(session, [provider])[0]
    quality = network.quality(session, provider, now=now)
    capacity = [r for r in network.latest_telemetry(session) if r["provider_id"] == provider.id]
    flags = [r for r in _flags(session, now) if r["uscc"] == provider.uscc]

    history = [h.model_dump() for h in view.history]
    return render(
        request,
        "bureau/provider.html",
        status_code=error.status if error else 200,
        p=provider,
        row=row_of(provider, quality, len(flags)),
        quality=quality,
        offerings=view.offerings,
        capacity=Table.whole("capacity", "providers.capacity", CAPACITY_COLUMNS, capacity),
        flags=Table.whole("flagged", "providers.flagged_caption", FLAG_COLUMNS, flags),
        history=Table.whole("status-history", "providers.history", HISTORY_COLUMNS, history),
        may_change=allows(request, REVIEW),
        error=describe(error, translator(request)) if error else None,
        notice=notice(request),
        object_history=history_section(session, translator(request), "provider", provider.uscc),
    )


@router.get("/bureau/providers/{uscc}", dependencies=[guard(BUREAU_READ)])
def provider(uscc: str, request: Request, session: SessionDep, now: NowDep) -> Any:
    return _detail(request, session, uscc, now)


# Each verb: the status it sets and the notice after it (?done=...).
STATUS_CHANGES = {
    "suspend": (ProviderStatus.SUSPENDED, "suspended"),
    "reinstate": (ProviderStatus.ACTIVE, "reinstated"),
}


@router.post("/bureau/providers/{uscc}/{verb}", dependencies=[guard(REVIEW)])
def set_status(
    uscc: str,
    verb: Literal["suspend", "reinstate"],
    request: Request,
    session: SessionDep,
    now: NowDep,
    reason: Annotated[str, Form(max_length=480)] = "",
) -> Any:
    """``POST /v1/admin/providers/{uscc}/suspend`` or ``.../reinstate``."""
    status, done = STATUS_CHANGES[verb]

    def act() -> None:
        found = service.get_provider(session, parse_uscc_param(uscc))
        service.set_status(session, found, status=status, reason=reason)

    return act_then(
        session,
        act,
        f"{BUREAU}/providers/{parse_uscc_param(uscc)}?done={done}",
        lambda refused: _detail(request, session, uscc, now, refused),
    )
