"""The compute network: providers report telemetry; the bureau sees quality and prices."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from voucher_service.auth.access import BUREAU_READ, BUREAU_STAFF, PROVIDER_SELF, rule
from voucher_service.deps import NowDep, SessionDep
from voucher_service.fields import NonNegativeYuan, parse_uscc_param
from voucher_service.money import fen_to_yuan
from voucher_service.monitoring import network
from voucher_service.pagination import PageParams
from voucher_service.providers.service import get_provider, list_providers

admin_router = APIRouter(tags=["compute network (bureau)"])
provider_router = APIRouter(tags=["metering (provider)"], dependencies=rule(PROVIDER_SELF))


class SnapshotIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    observed_at: AwareDatetime
    resource_model: str = Field(min_length=1, max_length=100, examples=["Ascend 910B"])
    total: int = Field(ge=0, le=10_000_000, description="Accelerators of this model.")
    available: int = Field(ge=0, le=10_000_000, description="Of which free now.")
    utilisation_percent: int = Field(ge=0, le=100)
    queue_wait_seconds: int = Field(ge=0, le=30 * 86400)
    list_price_yuan: NonNegativeYuan = Field(description="Current list price per card-hour.")


class TelemetryIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "snapshots": [
                        {
                            "observed_at": "2026-06-15T10:00:00+08:00",
                            "resource_model": "Ascend 910B",
                            "total": 512,
                            "available": 64,
                            "utilisation_percent": 87,
                            "queue_wait_seconds": 300,
                            "list_price_yuan": "12.50",
                        }
                    ]
                }
            ]
        },
    )

    snapshots: list[SnapshotIn] = Field(min_length=1, max_length=1000)


@provider_router.post("/{uscc}/telemetry")
def post_telemetry(
    uscc: str, body: TelemetryIn, session: SessionDep, now: NowDep
) -> dict[str, int]:
    """Report capacity, utilisation, queue wait and list price per accelerator model."""
    provider = get_provider(session, parse_uscc_param(uscc))
    snapshots = [
        network.Snapshot(
            s.observed_at,
            s.resource_model,
            s.total,
            s.available,
            s.utilisation_percent * 100,
            s.queue_wait_seconds,
            s.list_price_yuan,
        )
        for s in body.snapshots
    ]
    return {"stored": network.record_telemetry(session, provider, snapshots, now=now)}


class HealthEndpointIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"url": "https://ai.example.cn/healthz"}]}
    )

    url: str | None = Field(default=None, max_length=500, description="null to stop probing")


@admin_router.post("/providers/{uscc}/health-endpoint", dependencies=rule(BUREAU_STAFF))
def set_health_endpoint(
    uscc: str, body: HealthEndpointIn, session: SessionDep
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
    latest: dict[str, list[dict[str, Any]]] = {}
    for row in network.latest_telemetry(session):
        latest.setdefault(row["uscc"], []).append(_snapshot_out(row))
    providers, _ = list_providers(session, PageParams(limit=10_000))
    return [
        {
            "uscc": p.uscc,
            "name": p.name,
            "status": p.status,
            "health_url": p.health_url,
            "quality": network.quality(session, p, now=now),
            "capacity": latest.get(p.uscc, []),
        }
        for p in providers
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
    return [
        {
            "record_id": r["record_id"],
            "provider": r["uscc"],
            "resource_model": r["resource_model"],
            "unit_price_yuan": fen_to_yuan(r["unit_price_fen"]),
            "index_yuan": fen_to_yuan(r["index_fen"]),
            "created_at": r["created_at"],
        }
        for r in rows
    ]
