"""The FastAPI application: routers by audience, one error shape, health and metrics."""

from __future__ import annotations

import gc
import logging
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import APIRouter, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from starlette.exceptions import HTTPException

from voucher_service import __version__, openapi, operations
from voucher_service.accounts.router import admin_router as accounts_admin
from voucher_service.aggregates.router import admin_router as aggregates_admin
from voucher_service.applications.router import admin_router as applications_admin
from voucher_service.applications.router import enterprise_router as applications_enterprise
from voucher_service.audit import service as audit
from voucher_service.audit.router import admin_router as audit_admin
from voucher_service.auth import router as keys
from voucher_service.auth.access import authenticate_key
from voucher_service.claims.router import admin_router as claims_admin
from voucher_service.claims.router import enterprise_router as claims_enterprise
from voucher_service.config import get_settings
from voucher_service.confirmations.router import admin_router as confirmations_admin
from voucher_service.console import mount_console, mount_docs
from voucher_service.console.auth import authenticate_cookie
from voucher_service.console.viewer import CONSOLE
from voucher_service.db.integrity import unique_violation
from voucher_service.db.session import autocommit, transaction
from voucher_service.db.types import utcnow
from voucher_service.disputes.router import admin_router as disputes_admin
from voucher_service.disputes.router import provider_router as disputes_provider
from voucher_service.documents.router import admin_router as documents_admin
from voucher_service.documents.router import enterprise_router as documents_enterprise
from voucher_service.documents.router import provider_router as documents_provider
from voucher_service.enterprises.router import admin_router as enterprises_admin
from voucher_service.error_language import CHINESE, catalog, negotiate, say
from voucher_service.errors import ErrorCode, ServiceError
from voucher_service.evaluation.router import admin_router as evaluation_admin
from voucher_service.fields import error_code_of
from voucher_service.gate import (
    Gate,
    Limits,
    error_response,
    failure_response,
    service_error_response,
)
from voucher_service.grants.router import admin_router as grants_admin
from voucher_service.materials.router import admin_router as materials_admin
from voucher_service.materials.router import enterprise_router as materials_enterprise
from voucher_service.monitoring.router import admin_router as network_admin
from voucher_service.monitoring.router import provider_router as network_provider
from voucher_service.notices.router import admin_router as notices_admin
from voucher_service.notices.router import public_router as notices_public
from voucher_service.programs.router import admin_router as programs_admin
from voucher_service.providers.router import admin_router as providers_admin
from voucher_service.redemptions.router import enterprise_router as redemptions_enterprise
from voucher_service.redemptions.router import provider_router as redemptions_provider
from voucher_service.routing import allowed_methods
from voucher_service.settlement.router import admin_router as settlement_admin
from voucher_service.settlement.router import provider_router as settlement_provider
from voucher_service.usage.router import enterprise_router as usage_enterprise
from voucher_service.usage.router import provider_router as usage_provider
from voucher_service.validation_language import describe as describe_validation
from voucher_service.vouchers.router import admin_router as vouchers_admin
from voucher_service.vouchers.router import enterprise_router as vouchers_enterprise
from voucher_service.vouchers.router import standing_router as enterprise_standing
from voucher_service.webhooks.router import provider_router as webhooks_provider

log = logging.getLogger(__name__)

DESCRIPTION = """
Compute-service vouchers (算力服务券) for small and medium enterprises, after Wuhan's 2025 AI
policy, measure 2: the city pays **50%** of an SME's compute fees, at most **200,000 CNY** per
enterprise, for at most **three years**, from annual pools of at least **10,000,000 CNY**.

* Money is a decimal string in yuan with at most two places (`"1234.50"`), never a number.
* Errors are `{"error": {"code": "...", "message": "..."}}`; clients program against `code`.
  `message` is in the language `Accept-Language` asks for: `zh-CN` (any `zh`) for simplified
  Chinese, English otherwise and by default; `code` is the same in every language.
* Lists are `{"items": [...], "next_cursor": "..."}`; pass `cursor` to get the next page.
* Every `/v1` call needs an API key: `Authorization: Bearer vsk_...`. No key or a bad one is
  401; a key whose role may not do it is 403; another enterprise's or provider's data is 404.
"""

# Matched in this order, first match wins: metering, by far the busiest, comes first.
ROUTERS: list[tuple[APIRouter, str]] = [
    (usage_provider, "/v1/provider"),
    (programs_admin, "/v1/admin"),
    (enterprises_admin, "/v1/admin"),
    (enterprise_standing, "/v1/admin"),
    (vouchers_admin, "/v1/admin"),
    (providers_admin, "/v1/admin"),
    (keys.admin_router, "/v1/admin"),
    (accounts_admin, "/v1/admin"),
    (audit_admin, "/v1/admin"),
    (settlement_admin, "/v1/admin"),
    (applications_admin, "/v1/admin"),
    (confirmations_admin, "/v1/admin"),
    (network_admin, "/v1/admin"),
    (evaluation_admin, "/v1/admin"),
    (aggregates_admin, "/v1/admin"),
    (network_provider, "/v1/provider"),
    (applications_enterprise, "/v1/enterprise"),
    (settlement_provider, "/v1/provider"),
    (keys.enterprise_router, "/v1/enterprise"),
    (keys.provider_router, "/v1/provider"),
    (vouchers_enterprise, "/v1/enterprise"),
    (redemptions_enterprise, "/v1/enterprise"),
    (usage_enterprise, "/v1/enterprise"),
    (redemptions_provider, "/v1/provider"),
    (disputes_provider, "/v1/provider"),
    (disputes_admin, "/v1/admin"),
    (webhooks_provider, "/v1/provider"),
    (documents_admin, "/v1/admin"),
    (documents_enterprise, "/v1/enterprise"),
    (documents_provider, "/v1/provider"),
    (materials_admin, "/v1/admin"),
    (materials_enterprise, "/v1/enterprise"),
    (notices_admin, "/v1/admin"),
    (notices_public, "/public/v1"),
    (claims_admin, "/v1/admin"),
    (claims_enterprise, "/v1/enterprise"),
    (grants_admin, "/v1/admin"),
]

_HTTP_CODES = {
    400: ErrorCode.BAD_REQUEST,
    401: ErrorCode.UNAUTHORIZED,
    403: ErrorCode.FORBIDDEN,
    404: ErrorCode.NOT_FOUND,
    405: ErrorCode.METHOD_NOT_ALLOWED,
    409: ErrorCode.CONFLICT,
    413: ErrorCode.BODY_TOO_LARGE,
    415: ErrorCode.UNSUPPORTED_MEDIA_TYPE,
}


def _language(request: Request) -> str:
    """The language the caller asks its errors in (``error_language``): English if none."""
    return negotiate(request.headers.get("accept-language"))


def _validation_code(exc: RequestValidationError) -> ErrorCode:
    """A malformed path or query value is told by the rule it broke (``invalid_uscc``,
    ``invalid_voucher_code``, ...); a body, and anything else, is ``invalid_input``."""
    errors = exc.errors()
    if any(tuple(err.get("loc", ()))[:1] == ("body",) for err in errors):
        return ErrorCode.INVALID_INPUT
    return error_code_of(errors, ErrorCode.INVALID_INPUT)


def _seal_audit_log(stop: threading.Event, every_seconds: float) -> None:
    """Chain new audit entries in the background, so requests never wait for the chain."""
    while not stop.wait(every_seconds):
        try:
            with transaction() as session:
                audit.seal(session)
        except Exception:  # the next round will try again; the entries are safe meanwhile
            log.exception("sealing the audit log failed")


# Python's cyclic garbage collector, left at its defaults, walks every live object again and
# again while a 10,000-record batch allocates its rows: a quarter of a batch's time here
# (docs/performance.md). What the process built to start (modules, the app, SQLAlchemy's and
# pydantic's schemas) lives as long as the process, so it is frozen out of the collections,
# and a young generation of 50,000 objects keeps a batch from triggering them every few
# hundred records. Memory is still freed by reference counting the moment a request is done;
# the collector is only for cycles, which the request path hardly makes.
GC_THRESHOLDS = (50_000, 20, 100)


def tune_garbage_collection() -> None:
    gc.collect()
    gc.freeze()
    gc.set_threshold(*GC_THRESHOLDS)


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    tune_garbage_collection()
    every = get_settings().audit_seal_seconds
    stop = threading.Event()
    if every > 0:
        threading.Thread(target=_seal_audit_log, args=(stop, every), daemon=True).start()
    yield
    stop.set()


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
            {
                "name": "aggregates (bureau)",
                "description": "Each program and year: totals, months, districts, providers, "
                "size classes, enterprises near their cap.",
            },
        ],
    )

    app.state.sessions = transaction  # tests run requests inside their own transaction
    app.state.auth_sessions = autocommit
    app.state.clock = utcnow  # ... and on a fixed clock
    _handle_errors(app)
    for router, prefix in ROUTERS:
        app.include_router(router, prefix=prefix)
    app.include_router(operations.router)
    openapi.install(app)
    mount_docs(app)
    mount_console(app)
    settings = get_settings()
    app.add_middleware(
        Gate,
        limits=Limits(
            max_in_flight=settings.max_in_flight,
            queue_seconds=settings.queue_seconds,
            max_body_bytes=settings.max_body_bytes,
            max_batch_body_bytes=settings.max_batch_body_bytes,
            max_upload_body_bytes=settings.material_max_bytes + (64 << 10),
            trusted_proxies=settings.proxy_networks,
            max_anonymous_in_flight=settings.max_anonymous_in_flight,
            max_bodies_per_caller=settings.max_bodies_per_caller,
            body_read_seconds=settings.body_read_seconds,
            body_idle_seconds=settings.body_idle_seconds,
        ),
        authenticators={"/v1/": authenticate_key, f"{CONSOLE}/": authenticate_cookie},
    )
    return app


def _handle_errors(app: FastAPI) -> None:
    """Every error answers in the one shape, ``{"error": {"code", "message"}}``, its message
    in the language the request asks for (``error_language``)."""
    catalog(CHINESE)  # read at start-up: a broken catalog fails here, never on a refusal

    @app.exception_handler(ServiceError)
    async def service_error(request: Request, exc: ServiceError) -> JSONResponse:
        return service_error_response(exc, _language(request))

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, exc: RequestValidationError) -> JSONResponse:
        message = describe_validation(exc.errors(), _language(request))
        return error_response(422, _validation_code(exc), message)

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, exc: HTTPException) -> JSONResponse:
        code = _HTTP_CODES.get(exc.status_code, ErrorCode.HTTP_ERROR)
        headers = dict(exc.headers or {})
        if exc.status_code == 405:
            headers["Allow"] = allowed_methods(request)
        message = say(str(exc.detail), {}, _language(request))
        return error_response(exc.status_code, code, message, headers)

    @app.exception_handler(IntegrityError)
    async def integrity_error(request: Request, exc: IntegrityError) -> JSONResponse:
        """A unique key refused a row that a concurrent request wrote first: 409, nothing
        written. Any other integrity error (a CHECK, a foreign key) is a bug: re-raised, it
        reaches the server's error handling as one (500), never a 409 to retry."""
        taken = unique_violation(exc)
        if taken is None:
            raise exc
        log.info("unique key race: %s", exc.orig)
        return error_response(
            409,
            ErrorCode.ALREADY_EXISTS,
            say(
                "{what} already exists: another request created it at the same time",
                {"what": taken.describe()},
                _language(request),
            ),
        )

    @app.exception_handler(DBAPIError)
    @app.exception_handler(PoolTimeout)
    @app.exception_handler(Exception)
    async def failure(request: Request, exc: Exception) -> JSONResponse:
        """The database failing (503), no connection free (503), or anything unexpected
        (500 ``internal`` with the request id): answered as the gate answers them."""
        return failure_response(exc, getattr(request.state, "request_id", "-"), _language(request))


app = create_app()
