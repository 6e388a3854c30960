"""The FastAPI application: routers by audience, one error shape, health and metrics."""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    generate_latest,
    multiprocess,
)
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError, IntegrityError
from starlette.exceptions import HTTPException

from voucher_service import __version__
from voucher_service.accounts.router import admin_router as accounts_admin
from voucher_service.applications.router import admin_router as applications_admin
from voucher_service.applications.router import enterprise_router as applications_enterprise
from voucher_service.audit import service as audit
from voucher_service.audit.router import admin_router as audit_admin
from voucher_service.auth import router as keys
from voucher_service.config import get_settings
from voucher_service.console import mount_console, mount_docs
from voucher_service.db.integrity import unique_violation
from voucher_service.db.session import transaction
from voucher_service.deps import NowDep, SessionDep
from voucher_service.enterprises.router import admin_router as enterprises_admin
from voucher_service.errors import ErrorCode, ServiceError, TooManyFailures
from voucher_service.evaluation.router import admin_router as evaluation_admin
from voucher_service.metrics import REQUESTS
from voucher_service.monitoring.collector import LedgerCollector, PoolCollector
from voucher_service.monitoring.router import admin_router as network_admin
from voucher_service.monitoring.router import provider_router as network_provider
from voucher_service.programs.router import admin_router as programs_admin
from voucher_service.providers.router import admin_router as providers_admin
from voucher_service.redemptions.router import enterprise_router as redemptions_enterprise
from voucher_service.redemptions.router import provider_router as redemptions_provider
from voucher_service.settlement.router import admin_router as settlement_admin
from voucher_service.settlement.router import provider_router as settlement_provider
from voucher_service.usage.router import enterprise_router as usage_enterprise
from voucher_service.usage.router import provider_router as usage_provider
from voucher_service.vouchers.router import admin_router as vouchers_admin
from voucher_service.vouchers.router import enterprise_router as vouchers_enterprise
from voucher_service.vouchers.router import standing_router as enterprise_standing

log = logging.getLogger(__name__)

DESCRIPTION = """
Compute-service vouchers (算力服务券) for small and medium enterprises, after Wuhan's 2025 AI
policy, measure 2: the city pays **50%** of an SME's compute fees, at most **200,000 CNY** per
enterprise, for at most **three years**, from annual pools of at least **10,000,000 CNY**.

* Money is a decimal string in yuan with at most two places (`"1234.50"`), never a number.
* Errors are `{"error": {"code": "...", "message": "..."}}`; clients program against `code`.
* Lists are `{"items": [...], "next_cursor": "..."}`; pass `cursor` to get the next page.
* Every `/v1` call needs an API key: `Authorization: Bearer vsk_...`. No key or a bad one is
  401; a key whose role may not do it is 403; another enterprise's or provider's data is 404.
"""

_HTTP_CODES = {
    400: ErrorCode.BAD_REQUEST,
    401: ErrorCode.UNAUTHORIZED,
    403: ErrorCode.FORBIDDEN,
    404: ErrorCode.NOT_FOUND,
    405: ErrorCode.METHOD_NOT_ALLOWED,
    409: ErrorCode.CONFLICT,
    415: ErrorCode.UNSUPPORTED_MEDIA_TYPE,
}


def _error(status: int, code: ErrorCode, message: str) -> JSONResponse:
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    return JSONResponse(
        status_code=status,
        content={"error": {"code": code, "message": message}},
        headers=headers,
    )


def _describe_validation(exc: RequestValidationError) -> str:
    parts = []
    for err in exc.errors():
        where = ".".join(str(p) for p in err.get("loc", ()) if p != "body") or "body"
        message = str(err.get("msg", "invalid")).removeprefix("Value error, ")
        parts.append(f"{where}: {message}")
    return "; ".join(parts)


def _seal_audit_log(stop: threading.Event, every_seconds: float) -> None:
    """Chain new audit entries in the background, so requests never wait for the chain."""
    while not stop.wait(every_seconds):
        try:
            with transaction() as session:
                audit.seal(session)
        except Exception:  # the next round will try again; the entries are safe meanwhile
            log.exception("sealing the audit log failed")


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    every = get_settings().audit_seal_seconds
    stop = threading.Event()
    if every > 0:
        threading.Thread(target=_seal_audit_log, args=(stop, every), daemon=True).start()
    yield
    stop.set()


def _route_template(request: Request) -> str:
    """The matched route as a template (``/v1/provider/{uscc}/usage-records``): one series per
    route, never one per enterprise or voucher; ``unmatched`` for unknown paths."""
    if request.scope.get("route") is None:
        return "unmatched"
    path = request.url.path
    for name, value in request.path_params.items():
        path = path.replace(f"/{value}", f"/{{{name}}}", 1)
    return path


def create_app() -> FastAPI:
    app = FastAPI(
        lifespan=lifespan,
        title="Compute-voucher service",
        version=__version__,
        description=DESCRIPTION,
        docs_url=None,
        redoc_url=None,
        openapi_tags=[
            {"name": "programs and pools (bureau)", "description": "Rules and annual budgets."},
            {"name": "enterprises (bureau)", "description": "SMEs and their standing."},
            {"name": "vouchers (bureau)", "description": "Issue, revoke, inspect vouchers."},
            {"name": "providers (bureau)", "description": "Register, suspend, reinstate."},
            {"name": "my subsidy (enterprise)", "description": "What an SME sees of itself."},
            {"name": "metering (provider)", "description": "Post usage, read records."},
            {"name": "keys", "description": "API keys: create (shown once), list, revoke."},
            {"name": "audit", "description": "Who did what, when: the hash-chained audit log."},
            {
                "name": "settlement (bureau)",
                "description": "Monthly statements: close, approve, pay.",
            },
        ],
    )

    @app.exception_handler(ServiceError)
    async def service_error(_: Request, exc: ServiceError) -> JSONResponse:
        response = _error(exc.status, exc.code, exc.message)
        if isinstance(exc, TooManyFailures):
            response.headers["Retry-After"] = str(exc.retry_after)
        return response

    @app.exception_handler(RequestValidationError)
    async def validation_error(_: Request, exc: RequestValidationError) -> JSONResponse:
        return _error(422, ErrorCode.INVALID_INPUT, _describe_validation(exc))

    @app.exception_handler(HTTPException)
    async def http_error(_: Request, exc: HTTPException) -> JSONResponse:
        code = _HTTP_CODES.get(exc.status_code, ErrorCode.HTTP_ERROR)
        return _error(exc.status_code, code, str(exc.detail))

    @app.exception_handler(IntegrityError)
    async def integrity_error(_: Request, exc: IntegrityError) -> JSONResponse:
        """A unique key refused a row that a concurrent request wrote first: 409, nothing
        written. Any other integrity error (a CHECK, a foreign key) is a bug: re-raised, it
        reaches the server's error handling as one (500), never a 409 to retry."""
        taken = unique_violation(exc)
        if taken is None:
            raise exc
        log.info("unique key race: %s", exc.orig)
        return _error(
            409,
            ErrorCode.ALREADY_EXISTS,
            f"{taken.describe()} already exists: another request created it at the same time",
        )

    @app.exception_handler(DBAPIError)
    async def database_error(_: Request, exc: DBAPIError) -> JSONResponse:
        log.warning("database error: %s", exc.orig)
        return _error(
            503, ErrorCode.DATABASE_UNAVAILABLE, "the database could not complete the request"
        )

    app.include_router(programs_admin, prefix="/v1/admin")
    app.include_router(enterprises_admin, prefix="/v1/admin")
    app.include_router(enterprise_standing, prefix="/v1/admin")
    app.include_router(vouchers_admin, prefix="/v1/admin")
    app.include_router(providers_admin, prefix="/v1/admin")
    app.include_router(keys.admin_router, prefix="/v1/admin")
    app.include_router(accounts_admin, prefix="/v1/admin")
    app.include_router(audit_admin, prefix="/v1/admin")
    app.include_router(settlement_admin, prefix="/v1/admin")
    app.include_router(applications_admin, prefix="/v1/admin")
    app.include_router(network_admin, prefix="/v1/admin")
    app.include_router(evaluation_admin, prefix="/v1/admin")
    app.include_router(network_provider, prefix="/v1/provider")
    app.include_router(applications_enterprise, prefix="/v1/enterprise")
    app.include_router(settlement_provider, prefix="/v1/provider")
    app.include_router(keys.enterprise_router, prefix="/v1/enterprise")
    app.include_router(keys.provider_router, prefix="/v1/provider")
    app.include_router(vouchers_enterprise, prefix="/v1/enterprise")
    app.include_router(redemptions_enterprise, prefix="/v1/enterprise")
    app.include_router(usage_enterprise, prefix="/v1/enterprise")
    app.include_router(redemptions_provider, prefix="/v1/provider")
    app.include_router(usage_provider, prefix="/v1/provider")

    @app.get("/healthz", tags=["operations"])
    def healthz(session: SessionDep) -> dict[str, str]:
        """Liveness and database reachability."""
        session.execute(text("SELECT 1"))
        return {"status": "ok"}

    @app.middleware("http")
    async def time_requests(request: Request, call_next: Any) -> Any:
        started = time.perf_counter()
        response = await call_next(request)
        REQUESTS.labels(
            _route_template(request), request.method, str(response.status_code)
        ).observe(time.perf_counter() - started)
        return response

    @app.get("/metrics", tags=["operations"], include_in_schema=False)
    def metrics(session: SessionDep, now: NowDep) -> Response:
        """Service metrics (all worker processes, in multiprocess mode) and the program's
        money and metering figures, read from the database now."""
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

    mount_docs(app)
    mount_console(app)
    return app


app = create_app()
