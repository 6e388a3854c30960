"""Operations endpoints: liveness, readiness and metrics (no API key; not under /v1).

* ``/healthz`` — liveness: the process answers. It touches no database, so an outage of the
  database does not get every replica restarted by its orchestrator.
* ``/readyz`` — readiness: the database answers and its schema is not behind this code (a
  schema *ahead* of it, migrated by a newer release during a rollout, is still ready).
* ``/metrics`` — Prometheus: the service's own metrics (all worker processes, in
  multiprocess mode) and the program's money and metering figures read from the database.
"""

from __future__ import annotations

import os

from fastapi import APIRouter, Response
from fastapi.responses import JSONResponse
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    generate_latest,
    multiprocess,
)

from voucher_service.db.migrate import schema_state
from voucher_service.deps import NowDep, SessionDep
from voucher_service.monitoring.collector import LedgerCollector, PoolCollector
from voucher_service.routing import DatabaseRoute

router = APIRouter(tags=["operations"], route_class=DatabaseRoute)


@router.get("/healthz")
async def healthz() -> dict[str, str]:
    """Liveness: the process is up (the database is /readyz's business)."""
    return {"status": "ok"}


@router.get("/readyz", responses={503: {"description": "Not ready: the reason is given."}})
def readyz(session: SessionDep) -> Response:
    """Readiness: the database answers and its schema is at (or past) this code's head."""
    current, behind = schema_state(session.connection())
    if behind:
        return JSONResponse(
            {"status": "not ready", "reason": f"schema at {current}, needs {sorted(behind)}"},
            status_code=503,
        )
    return JSONResponse({"status": "ready", "schema": current})


@router.get("/metrics", include_in_schema=False)
def metrics(session: SessionDep, now: NowDep) -> Response:
    """Service metrics and the program's figures, read from the database now."""
    if "PROMETHEUS_MULTIPROC_DIR" in os.environ:
        service_registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(service_registry)  # type: ignore[no-untyped-call]
    else:
        service_registry = REGISTRY
    ledger = CollectorRegistry(auto_describe=False)
    ledger.register(LedgerCollector(session, now))
    ledger.register(PoolCollector(session.get_bind().engine))
    body = generate_latest(service_registry) + generate_latest(ledger)
    return Response(body, media_type=CONTENT_TYPE_LATEST)
