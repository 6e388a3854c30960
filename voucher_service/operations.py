"""Operations endpoints: liveness, readiness and metrics (no API key; not under /v1).

None of them passes the gate (``gate.OPERATIONS``), so none waits behind requests that
fill it; and each bounds its own database work:

* ``/healthz`` — liveness: the process answers. It touches no database and waits for
  nothing, so a database that is down or hangs never gets a healthy process restarted by
  its orchestrator (or the Docker HEALTHCHECK).
* ``/readyz`` — readiness: the database answers within ``readiness_seconds`` (1.5 s) and
  its schema is not behind this code (a schema *ahead* of it, migrated by a newer release
  during a rollout, is still ready). Otherwise 503 with the reason, within that time, even
  when the database's processes are stopped: the load balancer sends traffic elsewhere, and
  the process is left running, to be ready again by itself once the database answers.
* ``/metrics`` — Prometheus: the service's own metrics (all worker processes, in
  multiprocess mode) at once, and the program's money and metering figures read from the
  database when it answers within ``LEDGER_SECONDS``; ``voucher_metrics_ledger_up`` says
  whether they are in this scrape.

The database work of both runs on one thread of their own (one connection of the pool),
one check of each kind at a time: a probe that arrives while the last check of its kind
still runs waits for that same check, until that check's
deadline (never a second connection; once a check is stuck, the probes after it answer at
once); a check that outlives its probe finishes, or fails on the connection's deadlines
(``db.session.Deadlines``), in the background, and the next probe starts a new one.
"""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from contextlib import AbstractContextManager
from datetime import datetime
from typing import Any, TypeVar

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    generate_latest,
    multiprocess,
)
from prometheus_client.core import GaugeMetricFamily
from sqlalchemy.orm import Session

from voucher_service import __version__
from voucher_service.config import get_settings
from voucher_service.db.migrate import schema_state
from voucher_service.monitoring.collector import LedgerCollector, PoolCollector

log = logging.getLogger(__name__)

router = APIRouter(tags=["operations"])

# How long a scrape waits for the ledger's figures (Prometheus' scrape timeout is 10 s by
# default; a scrape over a million records takes about 30 ms, docs/performance.md).
LEDGER_SECONDS = 3.0

T = TypeVar("T")
Sessions = Callable[[], AbstractContextManager[Session]]


class OneAtATime:
    """Database work for one kind of probe: one piece at a time, on the operations' thread,
    each with a deadline counted from its start. A probe that arrives while a piece runs
    waits for that piece, until that piece's deadline: one stuck on the database makes the
    probes after it answer at once."""

    def __init__(self, executor: ThreadPoolExecutor) -> None:
        self._executor = executor
        self._running: asyncio.Future[Any] | None = None
        self._ends = 0.0

    async def run(self, work: Callable[[], T], seconds: float) -> T:
        """``work()``'s result, or ``TimeoutError`` at the deadline (the work goes on)."""
        loop = asyncio.get_running_loop()
        running = self._running
        if running is None or running.done() or running.get_loop() is not loop:
            running = self._running = loop.run_in_executor(self._executor, work)
            running.add_done_callback(_consume)
            self._ends = loop.time() + seconds
        result: T = await asyncio.wait_for(
            asyncio.shield(running), max(0.0, self._ends - loop.time())
        )
        return result


def _consume(done: asyncio.Future[Any]) -> None:
    """A piece may end after every probe waiting for it has answered: its failure is then
    retrieved here (the probes that waited have reported it), never left unretrieved."""
    if not done.cancelled() and done.exception() is not None:
        log.debug("a probe's database work failed: %s", done.exception())


# One thread, so one database connection, for /readyz and /metrics together (the pool
# counts it: config.Settings.pool_size); each has at most one piece waiting or running.
_THREAD = ThreadPoolExecutor(max_workers=1, thread_name_prefix="operations")
READINESS = OneAtATime(_THREAD)
LEDGER = OneAtATime(_THREAD)


@router.get("/healthz")
async def healthz() -> dict[str, str]:
    """Liveness: the process is up (the database is /readyz's business)."""
    return {"status": "ok"}


@router.get(
    "/readyz",
    responses={503: {"description": "Not ready: the reason is given."}},
)
async def readyz(request: Request) -> Response:
    """Readiness: the database answers in time and its schema is at (or past) this code's
    head."""
    seconds = get_settings().readiness_seconds
    sessions: Sessions = request.app.state.sessions
    try:
        current, behind = await READINESS.run(lambda: _schema(sessions), seconds)
    except TimeoutError:
        return _not_ready(f"the database did not answer within {seconds:g} s")
    except Exception as exc:  # noqa: BLE001 (any failure to reach it is "not ready")
        log.warning("readiness: the database could not be reached: %s", exc)
        return _not_ready("the database could not be reached")
    if behind:
        return _not_ready(f"schema at {current}, needs {sorted(behind)}")
    return JSONResponse({"status": "ready", "schema": current, "version": __version__})


def _schema(sessions: Sessions) -> tuple[str | None, set[str]]:
    with sessions() as session:
        return schema_state(session.connection())


def _not_ready(reason: str) -> JSONResponse:
    return JSONResponse(
        {"status": "not ready", "reason": reason, "version": __version__}, status_code=503
    )


@router.get("/metrics", include_in_schema=False)
async def metrics(request: Request) -> Response:
    """Service metrics now, and the program's figures read from the database if it answers
    in time."""
    if "PROMETHEUS_MULTIPROC_DIR" in os.environ:
        service_registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(service_registry)  # type: ignore[no-untyped-call]
    else:
        service_registry = REGISTRY
    sessions: Sessions = request.app.state.sessions
    now: datetime = request.app.state.clock()
    try:
        ledger = await LEDGER.run(lambda: _ledger_figures(sessions, now), LEDGER_SECONDS)
    except Exception as exc:  # noqa: BLE001 (the service's own metrics are still served)
        log.warning("metrics: the ledger's figures are left out of this scrape: %r", exc)
        ledger = b""
    body = generate_latest(service_registry) + ledger + _ledger_up(bool(ledger))
    return Response(body, media_type=CONTENT_TYPE_LATEST)


def _ledger_figures(sessions: Sessions, now: datetime) -> bytes:
    with sessions() as session:
        registry = CollectorRegistry(auto_describe=False)
        registry.register(LedgerCollector(session, now))
        registry.register(PoolCollector(session.get_bind().engine))
        return generate_latest(registry)


def _ledger_up(up: bool) -> bytes:
    gauge = GaugeMetricFamily(
        "voucher_metrics_ledger_up",
        f"1 if this scrape carries the ledger's figures; 0 if the database did not give them "
        f"within {LEDGER_SECONDS:g} s.",
    )
    gauge.add_metric([], 1 if up else 0)
    registry = CollectorRegistry(auto_describe=False)
    registry.register(_Fixed(gauge))
    return generate_latest(registry)


class _Fixed:
    """A collector of metric families already made."""

    def __init__(self, *families: GaugeMetricFamily) -> None:
        self._families = families

    def collect(self) -> Any:
        return iter(self._families)
