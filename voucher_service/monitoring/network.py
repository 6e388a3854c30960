"""The compute network the vouchers buy from (算力网络运行监测、质量评估): provider telemetry,
health probes, a quality score per provider, and a price index per accelerator model.

Quality score (0..1), documented in docs/monitoring.md:

    0.4 x availability      share of successful probes in the last 24 hours (1 if no endpoint)
  + 0.2 x latency           1 at <= 200 ms median probe latency, falling linearly to 0 at 2 s
  + 0.2 x freshness         1 if the last telemetry is <= 15 min old, falling to 0 at 2 hours
  + 0.2 x record quality    1 - share of refused or adjusted usage records in the last 30 days

Price index: the median of the providers' latest list prices per accelerator model. A usage
record whose unit price is more than 1.5 times the index of its model is flagged for review
(never refused: the policy pays on the fee actually charged).
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from fractions import Fraction
from typing import Any

import httpx
from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session
from sqlmodel import col

from voucher_service import audit_log
from voucher_service.db.base import metadata
from voucher_service.db.tables.monitoring import ProbeResult, TelemetrySnapshot
from voucher_service.db.tables.providers import Provider, ProviderStatus
from voucher_service.db.tables.usage import RecordKind, UsageRecord
from voucher_service.domain.usage import Outcome
from voucher_service.errors import ErrorCode, InvalidInput
from voucher_service.monitoring import rollup
from voucher_service.providers.service import all_providers

SNAPSHOTS = metadata.tables[TelemetrySnapshot.__tablename__]
PROBES = metadata.tables[ProbeResult.__tablename__]
OVERPRICED = Fraction(3, 2)  # a unit price above this times its model's index is flagged


@dataclass(frozen=True)
class Snapshot:
    observed_at: datetime
    resource_model: str
    total: int
    available: int
    utilisation_bp: int
    queue_wait_seconds: int
    list_price_fen: int


def record_telemetry(
    session: Session, provider: Provider, snapshots: Sequence[Snapshot], *, now: datetime
) -> int:
    """Store a provider's capacity snapshots (a time series), with one audit entry per post
    (who reported how many snapshots of which models: the monitoring of 算力网络运行监测 rests
    on them)."""
    for s in snapshots:
        if s.observed_at > now + timedelta(minutes=5):
            raise InvalidInput(
                "snapshot of {resource_model} is in the future: {observed_at}",
                resource_model=s.resource_model,
                observed_at=s.observed_at,
                code=ErrorCode.INVALID_TIME,
            )
        if s.available > s.total:
            raise InvalidInput(
                "{resource_model}: available exceeds total",
                resource_model=s.resource_model,
                code=ErrorCode.INVALID_CAPACITY,
            )
    session.execute(
        insert(SNAPSHOTS), [{"provider_id": provider.id, **s.__dict__} for s in snapshots]
    )
    audit_log.record(
        session,
        "telemetry.post",
        "provider",
        provider.uscc,
        after={
            "snapshots": len(snapshots),
            "models": sorted({s.resource_model for s in snapshots}),
        },
    )
    return len(snapshots)


def latest_telemetry(session: Session, *, provider_id: int | None = None) -> list[dict[str, Any]]:
    """The newest snapshot of each provider (or of the one given) and accelerator model."""
    newest_query = select(
        SNAPSHOTS.c.provider_id,
        SNAPSHOTS.c.resource_model,
        func.max(SNAPSHOTS.c.observed_at).label("at"),
    ).group_by(SNAPSHOTS.c.provider_id, SNAPSHOTS.c.resource_model)
    if provider_id is not None:
        newest_query = newest_query.where(SNAPSHOTS.c.provider_id == provider_id)
    newest = newest_query.subquery()
    rows = session.execute(
        select(SNAPSHOTS, Provider.uscc)
        .join(
            newest,
            (newest.c.provider_id == SNAPSHOTS.c.provider_id)
            & (newest.c.resource_model == SNAPSHOTS.c.resource_model)
            & (newest.c.at == SNAPSHOTS.c.observed_at),
        )
        .join(Provider, Provider.id == SNAPSHOTS.c.provider_id)
        .order_by(Provider.uscc, SNAPSHOTS.c.resource_model)
    )
    return [dict(row._mapping) for row in rows]


def price_index(session: Session) -> dict[str, int]:
    """Median latest list price (fen per card-hour) per accelerator model."""
    prices: dict[str, list[int]] = {}
    for row in latest_telemetry(session):
        prices.setdefault(row["resource_model"], []).append(row["list_price_fen"])
    return {model: int(statistics.median(values)) for model, values in prices.items()}


def flagged_records(
    session: Session, *, since: datetime, limit: int = 500, provider_id: int | None = None
) -> list[dict[str, Any]]:
    """Usage records priced above OVERPRICED x the index of their model, newest first (of one
    provider, if given)."""
    index = price_index(session)
    if not index:
        return []
    flagged = []
    for model, median in index.items():
        query = (
            select(
                UsageRecord.record_id,
                Provider.uscc,
                UsageRecord.resource_model,
                UsageRecord.unit_price_fen,
                UsageRecord.created_at,
            )
            .join(Provider, Provider.id == UsageRecord.provider_id)
            .where(
                UsageRecord.resource_model == model,
                UsageRecord.kind == RecordKind.USAGE,
                UsageRecord.created_at >= since,
                UsageRecord.unit_price_fen * OVERPRICED.denominator > median * OVERPRICED.numerator,
            )
        )
        if provider_id is not None:
            query = query.where(UsageRecord.provider_id == provider_id)
        rows = session.execute(
            query.order_by(UsageRecord.created_at.desc()).limit(limit)  # type: ignore[attr-defined]
        )
        flagged += [{**dict(r._mapping), "index_fen": median} for r in rows]
    return sorted(flagged, key=lambda r: r["created_at"], reverse=True)[:limit]


@dataclass(frozen=True)
class Probe:
    provider_id: int
    ok: bool
    latency_ms: int | None
    status_code: int | None
    error: str | None


def _probe(http: httpx.Client, provider_id: int, url: str) -> Probe:
    started = time.perf_counter()
    try:
        response = http.get(url)
    except httpx.TimeoutException:
        return Probe(provider_id, False, None, None, "timeout")
    except httpx.HTTPError as exc:
        return Probe(provider_id, False, None, None, f"{type(exc).__name__}: {exc}"[:300])
    latency = int((time.perf_counter() - started) * 1000)
    return Probe(provider_id, response.status_code < 400, latency, response.status_code, None)


def probe_providers(
    session: Session, *, now: datetime, timeout_s: float = 2.0, workers: int = 16
) -> list[Probe]:
    """Probe every active provider's health endpoint at once; each probe is cut off at
    ``timeout_s``, so a provider that hangs delays nobody but itself."""
    targets = session.execute(
        select(Provider.id, Provider.health_url).where(
            col(Provider.health_url).is_not(None), Provider.status == ProviderStatus.ACTIVE
        )
    ).all()
    if not targets:
        return []
    timeout = httpx.Timeout(timeout_s)
    with (
        httpx.Client(timeout=timeout, follow_redirects=False) as http,
        ThreadPoolExecutor(workers) as pool,
    ):
        probes = list(pool.map(lambda t: _probe(http, t[0], t[1]), targets))
    session.execute(insert(PROBES), [{**p.__dict__, "probed_at": now} for p in probes])
    return probes


def quality(session: Session, provider: Provider, *, now: datetime) -> dict[str, float]:
    """The provider's quality score and its four components (see the module docstring)."""
    day_ago = now - timedelta(days=1)
    probes = session.execute(
        select(PROBES.c.ok, PROBES.c.latency_ms).where(
            PROBES.c.provider_id == provider.id, PROBES.c.probed_at >= day_ago
        )
    ).all()
    availability = (
        (sum(1 for p in probes if p.ok) / len(probes))
        if probes
        else (0.0 if provider.health_url else 1.0)
    )
    latencies = [p.latency_ms for p in probes if p.ok and p.latency_ms is not None]
    median = statistics.median(latencies) if latencies else None
    latency = (
        1.0
        if median is None and not provider.health_url
        else 0.0
        if median is None
        else max(0.0, min(1.0, (2000 - median) / 1800))
    )
    last = session.scalar(
        select(func.max(SNAPSHOTS.c.observed_at)).where(SNAPSHOTS.c.provider_id == provider.id)
    )
    if last is not None and last.tzinfo is None:  # an aggregate may come back naive
        last = last.replace(tzinfo=UTC)
    age = (now - last).total_seconds() / 60 if last else None
    freshness = 0.0 if age is None else max(0.0, min(1.0, (120 - age) / 105))
    counts = rollup.recent_outcomes(session, now, days=30).get(provider.id or 0, {})
    total = sum(counts.values())
    records = (
        1.0
        if not total
        else 1 - (counts.get(Outcome.REFUSED, 0) + counts.get(Outcome.ADJUSTED, 0)) / total
    )
    score = 0.4 * availability + 0.2 * latency + 0.2 * freshness + 0.2 * records
    return {
        "score": round(score, 4),
        "availability": round(availability, 4),
        "latency": round(latency, 4),
        "freshness": round(freshness, 4),
        "records": round(records, 4),
    }


@dataclass(frozen=True)
class ProviderOverview:
    """A provider as the network view shows it: its quality score (with its parts) and the
    latest capacity snapshot of each of its accelerator models."""

    provider: Provider
    quality: dict[str, float]
    capacity: list[dict[str, Any]]


def overview(session: Session, *, now: datetime) -> list[ProviderOverview]:
    """Every provider, in registration order, with its quality and latest capacity."""
    latest: dict[int, list[dict[str, Any]]] = {}
    for row in latest_telemetry(session):
        latest.setdefault(row["provider_id"], []).append(row)
    return [
        ProviderOverview(p, quality(session, p, now=now), latest.get(p.id, []))
        for p in all_providers(session)
    ]


PROBES_SHOWN = 20  # a provider's latest probes, on its own health view


@dataclass(frozen=True)
class ProviderHealth:
    """What the monitoring capability has for one provider, as that provider sees it: its
    quality score (with its parts), the latest capacity of each of its accelerator models,
    its latest probes, the price index of its models and its records flagged against it."""

    provider: Provider
    quality: dict[str, float]
    capacity: list[dict[str, Any]]
    probes: list[dict[str, Any]]
    price_index: dict[str, int]  # fen per card-hour, for the models it reports
    flagged: list[dict[str, Any]]


def provider_health(
    session: Session, provider: Provider, *, now: datetime, days: int = 30
) -> ProviderHealth:
    """One provider's part of the network view (``overview``), its probes and its records
    flagged in the last ``days`` (for review: a flag never refuses a record)."""
    capacity = latest_telemetry(session, provider_id=provider.id)
    models = {row["resource_model"] for row in capacity}
    probes = session.execute(
        select(
            PROBES.c.probed_at,
            PROBES.c.ok,
            PROBES.c.latency_ms,
            PROBES.c.status_code,
            PROBES.c.error,
        )
        .where(PROBES.c.provider_id == provider.id)
        .order_by(PROBES.c.probed_at.desc(), PROBES.c.id.desc())
        .limit(PROBES_SHOWN)
    )
    return ProviderHealth(
        provider=provider,
        quality=quality(session, provider, now=now),
        capacity=capacity,
        probes=[dict(row._mapping) for row in probes],
        price_index={m: fen for m, fen in price_index(session).items() if m in models},
        flagged=flagged_records(session, since=now - timedelta(days=days), provider_id=provider.id),
    )


def set_health_url(session: Session, provider: Provider, url: str | None) -> Provider:
    if url is not None and not url.startswith(("http://", "https://")):
        raise InvalidInput("the health endpoint must be an http(s) URL", code=ErrorCode.INVALID_URL)
    audit_log.record(
        session,
        "provider.health_url",
        "provider",
        provider.uscc,
        before={"health_url": provider.health_url},
        after={"health_url": url},
    )
    provider.health_url = url
    session.flush()
    return provider
