"""The compute network: providers report telemetry; the bureau sees quality and prices."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Query

from voucher_service.auth.access import BUREAU_READ, PROVIDER_SELF, REVIEW, rule
from voucher_service.deps import NowDep, SessionDep
from voucher_service.fields import USCC, parse_uscc_param
from voucher_service.money import fen_to_yuan
from voucher_service.monitoring import network
from voucher_service.monitoring.schemas import HealthEndpointIn, TelemetryIn
from voucher_service.providers.service import get_provider
from voucher_service.routing import DatabaseRoute

admin_router = APIRouter(route_class=DatabaseRoute, tags=["compute network (bureau)"])
provider_router = APIRouter(
    route_class=DatabaseRoute, tags=["metering (provider)"], dependencies=rule(PROVIDER_SELF)
)


@provider_router.post("/{uscc}/telemetry")
def post_telemetry(
    uscc: USCC, body: TelemetryIn, session: SessionDep, now: NowDep
) -> dict[str, int]:
    """Report capacity, utilisation, queue wait and list price per accelerator model."""
    provider = get_provider(session, parse_uscc_param(uscc))
    snapshots = [s.to_snapshot() for s in body.snapshots]
    return {"stored": network.record_telemetry(session, provider, snapshots, now=now)}


_PROBE_FIELDS = ("probed_at", "ok", "latency_ms", "status_code", "error")


def _probe_out(row: dict[str, Any]) -> dict[str, Any]:
    return {name: row[name] for name in _PROBE_FIELDS}


def _flagged_out(row: dict[str, Any]) -> dict[str, Any]:
    return {
        "record_id": row["record_id"],
        "provider": row["uscc"],
        "resource_model": row["resource_model"],
        "unit_price_yuan": fen_to_yuan(row["unit_price_fen"]),
        "index_yuan": fen_to_yuan(row["index_fen"]),
        "created_at": row["created_at"],
    }


@provider_router.get("/{uscc}/network")
def my_network_view(uscc: USCC, session: SessionDep, now: NowDep) -> dict[str, Any]:
    """What the city's monitoring sees of me: my quality score (with its parts), my latest
    capacity per accelerator model, my latest health probes, the price index of my models,
    and my usage records of the last 30 days priced above 1.5 x that index (for review,
    never refused)."""
    health = network.provider_health(
        session, get_provider(session, parse_uscc_param(uscc)), now=now
    )
    return {
        "uscc": health.provider.uscc,
        "health_url": health.provider.health_url,
        "quality": health.quality,
        "capacity": [_snapshot_out(row) for row in health.capacity],
        "probes": [_probe_out(row) for row in health.probes],
        "price_index": {m: fen_to_yuan(fen) for m, fen in health.price_index.items()},
        "flagged_records": [_flagged_out(row) for row in health.flagged],
    }


@admin_router.post("/providers/{uscc}/health-endpoint", dependencies=rule(REVIEW))
def set_health_endpoint(
    uscc: USCC, body: HealthEndpointIn, session: SessionDep
) -> dict[str, str | None]:
    """The URL the service probes for the provider's availability and latency."""
    provider = network.set_health_url(
        session, get_provider(session, parse_uscc_param(uscc)), body.url
    )
    return {"uscc": provider.uscc, "health_url": provider.health_url}


def _snapshot_out(row: dict[str, Any]) -> dict[str, Any]:
    return {
        "resource_model": row["resource_model"],
        "observed_at": row["observed_at"],
        "total": row["total"],
        "available": row["available"],
        "utilisation_percent": row["utilisation_bp"] / 100,
        "queue_wait_seconds": row["queue_wait_seconds"],
        "list_price_yuan": fen_to_yuan(row["list_price_fen"]),
    }


@admin_router.get("/network", dependencies=rule(BUREAU_READ))
def network_view(session: SessionDep, now: NowDep) -> list[dict[str, Any]]:
    """Every provider's quality score (with its parts) and latest capacity."""
    return [
        {
            "uscc": s.provider.uscc,
            "name": s.provider.name,
            "status": s.provider.status,
            "health_url": s.provider.health_url,
            "quality": s.quality,
            "capacity": [_snapshot_out(row) for row in s.capacity],
        }
        for s in network.overview(session, now=now)
    ]


@admin_router.get("/network/price-index", dependencies=rule(BUREAU_READ))
def price_index(session: SessionDep) -> dict[str, str]:
    """Median list price per card-hour, by accelerator model, from the latest telemetry."""
    return {model: fen_to_yuan(fen) for model, fen in network.price_index(session).items()}


@admin_router.get("/network/flagged-records", dependencies=rule(BUREAU_READ))
def flagged_records(
    session: SessionDep, now: NowDep, days: Annotated[int, Query(ge=1, le=366)] = 30
) -> list[dict[str, Any]]:
    """Usage records priced above 1.5 x their model's index: for review, never refused."""
    rows = network.flagged_records(session, since=now - timedelta(days=days))
    return [_flagged_out(r) for r in rows]
