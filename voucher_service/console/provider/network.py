"""Telemetry and health (遥测与健康): what the city's monitoring of the compute network
(算力网络运行监测、质量评估) has for me, as ``GET /v1/provider/{uscc}/network`` gives it — my
quality score and its parts, my latest capacity, my latest health probes, the price index of
my models and my records flagged above it — and a form to report capacity now, read through
the API's ``TelemetryIn`` and stored by the same service call as
``POST /v1/provider/{uscc}/telemetry``."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from sqlalchemy.orm import Session

from voucher_service.auth.access import PROVIDER_SELF
from voucher_service.console.auth import guard
from voucher_service.console.pages import translator
from voucher_service.console.people.forms import Refused, act_on, plain_yuan, read_form
from voucher_service.console.people.pages import done, notice
from voucher_service.console.tables import Column, Table
from voucher_service.console.templating import render
from voucher_service.db.tables.providers import Provider
from voucher_service.deps import NowDep, SessionDep
from voucher_service.fields import parse_uscc_param
from voucher_service.monitoring import network
from voucher_service.monitoring.schemas import TelemetryIn
from voucher_service.providers.service import describe as describe_providers
from voucher_service.providers.service import get_provider
from voucher_service.routing import DatabaseRoute

router = APIRouter(route_class=DatabaseRoute, dependencies=[guard(PROVIDER_SELF)])

# The parts of the quality score and their weights (monitoring/network.py, docs/monitoring.md).
PARTS = (("availability", 40), ("latency", 20), ("freshness", 20), ("records", 20))
CAPACITY_COLUMNS = (
    Column("resource_model", "network.model", "code"),
    Column("observed_at", "network.observed_at", "datetime"),
    Column("total", "network.total"),
    Column("available", "network.available"),
    Column("utilisation", "network.utilisation"),
    Column("queue_wait_seconds", "network.queue_wait"),
    Column("list_price_fen", "network.list_price", "money"),
    Column("index_fen", "network.index", "money"),
)
PROBE_COLUMNS = (
    Column("probed_at", "network.probed_at", "datetime"),
    Column("result", "network.result", "status", prefix="probe.status."),
    Column("latency_ms", "network.latency"),
    Column("status_code", "network.status_code"),
    Column("error", "network.error"),
)
FLAGGED_COLUMNS = (
    Column("record_id", "records.record_id", "code"),
    Column("resource_model", "network.model", "code"),
    Column("unit_price_fen", "network.unit_price", "money"),
    Column("index_fen", "network.index", "money"),
    Column("created_at", "network.posted_at", "datetime"),
)
TELEMETRY_LABELS = {"snapshots": "network.report"}
TELEMETRY_FIELDS = (
    "resource_model",
    "total",
    "available",
    "utilisation_percent",
    "queue_wait_seconds",
    "list_price_yuan",
)


def _tables(health: network.ProviderHealth) -> dict[str, Table]:
    capacity = [
        {
            **row,
            "utilisation": f"{row['utilisation_bp'] // 100}%",
            "index_fen": health.price_index.get(row["resource_model"]),
        }
        for row in health.capacity
    ]
    probes = [{**row, "result": "ok" if row["ok"] else "failed"} for row in health.probes]

    def table(id: str, columns: tuple[Column, ...], rows: list[dict[str, Any]], key: str) -> Table:
        return Table.whole(id, f"network.{id}", columns, rows, row_key=key)

    return {
        "capacity": table("capacity", CAPACITY_COLUMNS, capacity, "resource_model"),
        "probes": table("probes", PROBE_COLUMNS, probes, "probed_at"),
        "flagged": table("flagged", FLAGGED_COLUMNS, health.flagged, "record_id"),
    }


def gauge(score: float, label: str) -> dict[str, Any]:
    """An ECharts gauge of the score, 0 to 100."""
    return {
        "series": [
            {
                "type": "gauge",
                "min": 0,
                "max": 100,
                "progress": {"show": True, "width": 14},
                "axisLine": {"lineStyle": {"width": 14}},
                "pointer": {"show": False},
                "splitLine": {"show": False},
                "axisTick": {"show": False},
                "axisLabel": {"show": False},
                "detail": {"valueAnimation": False, "fontSize": 28, "offsetCenter": [0, "10%"]},
                "title": {"offsetCenter": [0, "45%"]},
                "data": [{"value": round(score * 100), "name": label}],
            }
        ]
    }


def _show(
    request: Request,
    session: Session,
    provider: Provider,
    now: datetime,
    *,
    status_code: int = 200,
    error: str | None = None,
    form: dict[str, str] | None = None,
) -> Any:
    health = network.provider_health(session, provider, now=now)
    [view] = describe_providers(session, [provider])
    models = sorted({o.resource_model for o in view.offerings if o.resource_kind == "accelerator"})
    t = translator(request)
    return render(
        request,
        "provider/network.html",
        status_code=status_code,
        health=health,
        parts=[(name, weight, health.quality[name]) for name, weight in PARTS],
        score_chart=gauge(health.quality["score"], t("network.score")),
        charts=True,
        models=models,
        form=form or dict.fromkeys(TELEMETRY_FIELDS, ""),
        error=error,
        notice=notice(request),
        **_tables(health),
    )


@router.get("/{uscc}/network")
def network_page(uscc: str, request: Request, session: SessionDep, now: NowDep) -> Any:
    return _show(request, session, get_provider(session, parse_uscc_param(uscc)), now)


@router.post("/{uscc}/telemetry")
def report_telemetry(
    uscc: str,
    request: Request,
    session: SessionDep,
    now: NowDep,
    resource_model: Annotated[str, Form(max_length=200)] = "",
    total: Annotated[str, Form(max_length=20)] = "",
    available: Annotated[str, Form(max_length=20)] = "",
    utilisation_percent: Annotated[str, Form(max_length=20)] = "",
    queue_wait_seconds: Annotated[str, Form(max_length=20)] = "",
    list_price_yuan: Annotated[str, Form(max_length=40)] = "",
) -> Any:
    provider = get_provider(session, parse_uscc_param(uscc))
    form = {
        "resource_model": resource_model,
        "total": total,
        "available": available,
        "utilisation_percent": utilisation_percent,
        "queue_wait_seconds": queue_wait_seconds,
        "list_price_yuan": list_price_yuan,
    }
    snapshot = {**form, "observed_at": now, "list_price_yuan": plain_yuan(list_price_yuan)}
    t = translator(request)

    def act() -> None:
        body = read_form(TelemetryIn, {"snapshots": [snapshot]}, t, TELEMETRY_LABELS)
        snapshots = [s.to_snapshot() for s in body.snapshots]
        network.record_telemetry(session, provider, snapshots, now=now)

    refused = act_on(session, t, act)
    if isinstance(refused, Refused):
        return _show(request, session, provider, now, form=form, **refused.shown())
    return done(request.url.path.removesuffix("/telemetry") + "/network", "telemetry")
