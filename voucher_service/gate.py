"""The gate in front of the application: admission, bounded bodies, and authentication
before any body is read.

Every request that reaches the database passes, in order:

1. **Admission.** At most ``max_in_flight`` requests per process are inside at once (sized
   to the connection pool, so an admitted request never waits for a connection). The others
   wait, in the event loop, holding nothing, for at most ``queue_seconds``; past it the answer
   is a prompt 503 ``overloaded`` with ``Retry-After`` (the provider client retries it). No
   request waits longer than that for capacity, however large the burst.
2. **Size.** A body longer than its route's limit is refused with 413 — at once when
   ``Content-Length`` says so, or as soon as the streamed body passes the limit: the
   application never holds more than the limit in memory.
3. **Authentication.** The credentials are checked against the database in one short
   transaction of their own, before the body is read: an API key for ``/v1`` (a request
   without a valid one costs one indexed look-up and is refused, 401 or 429, its body unread),
   the console's session cookie for ``/console``. What the check finds (the caller, the audit
   actor) goes on the request's state; access rules read it without another query.

Every response carries ``X-Request-ID`` (the client's, when it sent a sane one), and each
request is counted in the latency histogram and written to the access log with its id, its
principal and its latency. An exception that nothing handled, wherever it was raised, is
answered here in the error shape (``failure_response``), the id on it too.

The gate holds no database connection while a body streams in or a response streams out:
authentication and the request's unit of work (``routing.DatabaseRoute``) each take one for
the length of their own transaction only.
"""

from __future__ import annotations

import asyncio
import logging
import re
import time
import uuid
from collections.abc import Callable, Mapping
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import datetime
from ipaddress import IPv4Network, IPv6Network, ip_address
from typing import Any

from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from voucher_service.errors import ErrorCode, ServiceError, TooManyFailures
from voucher_service.metrics import ADMISSION_REJECTED, ADMISSION_WAIT, IN_FLIGHT, REQUESTS

log = logging.getLogger("voucher_service.access")

UNGATED_PREFIXES = ("/static/", "/docs", "/redoc", "/openapi.json", "/favicon.ico")
_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,64}$")

# An authenticator checks a request's credentials in the gate's short transaction and
# returns what goes on the request's state; it raises a ServiceError to refuse the request.
Authenticator = Callable[..., dict[str, Any]]


def error_response(
    status: int,
    code: ErrorCode,
    message: str,
    headers: Mapping[str, str] | None = None,
    **extra: str,
) -> JSONResponse:
    """The service's one error shape: ``{"error": {"code": ..., "message": ...}}``."""
    headers = dict(headers or {})
    if status == 401:
        headers["WWW-Authenticate"] = "Bearer"
    body = {"error": {"code": code.value, "message": message, **extra}}
    return JSONResponse(status_code=status, content=body, headers=headers)


def service_error_response(exc: ServiceError) -> JSONResponse:
    headers = {"Retry-After": str(exc.retry_after)} if isinstance(exc, TooManyFailures) else None
    return error_response(exc.status, exc.code, exc.message, headers)


def failure_response(exc: BaseException, request_id: str) -> JSONResponse:
    """The answer to an exception nothing else handled, wherever it was raised (the gate's
    own authentication included): the database unreachable or failing is a 503 to retry,
    no free connection a 503 ``overloaded``, and anything else a 500 ``internal`` with the
    request id to quote (the traceback is logged under the same id). Always the one error
    shape: never a plain-text "Internal Server Error"."""
    if isinstance(exc, PoolTimeout):
        log.warning("no database connection was free (request %s): %s", request_id, exc)
        return error_response(
            503,
            ErrorCode.OVERLOADED,
            "no database connection was free in time; retry after 1 s",
            {"Retry-After": "1"},
        )
    if isinstance(exc, DBAPIError) and not isinstance(exc, IntegrityError):
        log.warning("database error (request %s): %s", request_id, exc.orig)
        return error_response(
            503,
            ErrorCode.DATABASE_UNAVAILABLE,
            "the database could not complete the request; retry after 1 s",
            {"Retry-After": "1"},
        )
    log.error("unexpected error in request %s", request_id, exc_info=exc)
    return error_response(
        500,
        ErrorCode.INTERNAL,
        f"an unexpected error; quote request id {request_id} when you report it",
        request_id=request_id,
    )


@dataclass(frozen=True)
class Limits:
    """The gate's settings (``config.Settings`` documents them)."""

    max_in_flight: int
    queue_seconds: float
    max_body_bytes: int
    max_batch_body_bytes: int
    trusted_proxies: tuple[IPv4Network | IPv6Network, ...] = ()


class BodyTooLarge(HTTPException):
    """Raised from the body stream once it passes the limit. An HTTPException, so that the
    framework's body parsing lets it through (it turns anything else into a 400) and the
    error handler answers 413 in the error shape."""

    def __init__(self, limit: int) -> None:
        super().__init__(413, _too_large_message(limit))


class Gate:
    """Pure ASGI middleware: nothing is buffered. The session factory and the clock are read
    from the application's state on each request (tests replace them)."""

    def __init__(
        self, app: ASGIApp, *, limits: Limits, authenticators: Mapping[str, Authenticator]
    ) -> None:
        self.app = app
        self.limits = limits
        self.authenticators = authenticators
        self._slots = asyncio.Semaphore(limits.max_in_flight)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        state = scope.setdefault("state", {})
        state["request_id"] = request_id = _request_id(scope)
        started = time.perf_counter()
        status = [500]
        answered = [False]

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                answered[0] = True
                status[0] = message["status"]
                message["headers"] = [
                    *message.get("headers", []),
                    (b"x-request-id", request_id.encode()),
                ]
            await send(message)

        try:
            if scope["path"].startswith(UNGATED_PREFIXES):
                await self.app(scope, receive, send_with_id)
            else:
                await self._admit(scope, receive, send_with_id)
        except Exception as exc:
            if answered[0]:
                raise  # the response had begun: nothing else can be sent
            await failure_response(exc, request_id)(scope, receive, send_with_id)
        finally:
            self._observe(scope, status[0], time.perf_counter() - started)

    async def _admit(self, scope: Scope, receive: Receive, send: Send) -> None:
        started = time.perf_counter()
        try:
            await asyncio.wait_for(self._slots.acquire(), self.limits.queue_seconds)
        except TimeoutError:
            ADMISSION_REJECTED.inc()
            retry = max(1, round(self.limits.queue_seconds))
            response = error_response(
                503,
                ErrorCode.OVERLOADED,
                f"the service is at capacity: no place was free within "
                f"{self.limits.queue_seconds:g} s; retry after {retry} s",
                {"Retry-After": str(retry)},
            )
            await response(scope, receive, send)
            return
        ADMISSION_WAIT.observe(time.perf_counter() - started)
        IN_FLIGHT.inc()
        try:
            await self._admitted(scope, receive, send)
        finally:
            IN_FLIGHT.dec()
            self._slots.release()

    async def _admitted(self, scope: Scope, receive: Receive, send: Send) -> None:
        app_state = scope["app"].state
        state = scope["state"]
        state["client"] = client_address(scope, self.limits.trusted_proxies)
        state["sessions"] = app_state.sessions
        state["auth_sessions"] = app_state.auth_sessions
        state["now"] = now = app_state.clock()
        limit = self._body_limit(scope)
        declared = _content_length(scope)
        if declared is not None and declared > limit:
            await _too_large(limit)(scope, receive, send)
            return
        authenticator = next(
            (a for prefix, a in self.authenticators.items() if scope["path"].startswith(prefix)),
            None,
        )
        if authenticator is not None:
            try:
                found = await run_in_threadpool(_authenticate, authenticator, scope, now)
            except ServiceError as exc:
                await service_error_response(exc)(scope, receive, send)
                return
            state.update(found)
        started = False

        async def watched_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, _bounded(receive, limit), watched_send)
        except BodyTooLarge:
            if started:
                raise
            await _too_large(limit)(scope, receive, send)

    def _body_limit(self, scope: Scope) -> int:
        if scope["method"] == "POST" and scope["path"].endswith("/batch"):
            return self.limits.max_batch_body_bytes
        return self.limits.max_body_bytes

    def _observe(self, scope: Scope, status: int, seconds: float) -> None:
        route = _route_template(scope)
        REQUESTS.labels(route, scope["method"], str(status)).observe(seconds)
        state = scope["state"]
        actor = state.get("actor")
        log.info(
            "%s %s %s",
            scope["method"],
            scope["path"],
            status,
            extra={
                "request_id": state["request_id"],
                "method": scope["method"],
                "route": route,
                "status": status,
                "latency_ms": round(seconds * 1000, 2),
                "principal": actor.name if actor is not None else None,
            },
        )


def _authenticate(authenticator: Authenticator, scope: Scope, now: datetime) -> dict[str, Any]:
    """Run ``authenticator`` in a short session of its own (autocommitting on PostgreSQL: a
    look-up is one round trip). A refusal still commits: the failure is counted (throttling),
    then the request is answered."""
    headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope["headers"]}
    client = scope["state"].get("client", "")
    sessions: Callable[[], AbstractContextManager[Session]] = scope["state"]["auth_sessions"]
    refusal: ServiceError | None = None
    with sessions() as session:
        try:
            return authenticator(session, headers, client=client or "unknown", now=now)
        except ServiceError as exc:
            refusal = exc
    raise refusal


def client_address(scope: Scope, trusted: tuple[IPv4Network | IPv6Network, ...]) -> str:
    """The client's address: the connection's, unless it comes from a trusted proxy; then
    the nearest address in ``X-Forwarded-For`` that is not a trusted proxy's (a client can
    put anything at the start of the header; only what the proxies appended is believed)."""
    peer: str = scope["client"][0] if scope.get("client") else ""
    if not trusted or not _is_trusted(peer, trusted):
        return peer
    forwarded: list[str] = [
        hop.strip()
        for name, value in scope["headers"]
        if name == b"x-forwarded-for"
        for hop in value.decode("latin-1").split(",")
    ]
    for hop in reversed(forwarded):
        if not _is_trusted(hop, trusted):
            return hop[:100]
    return forwarded[0][:100] if forwarded else peer


def arrived_over_https(scope: Scope, trusted: tuple[IPv4Network | IPv6Network, ...]) -> bool:
    """Whether the client's request came over https: to us directly, or to a trusted proxy
    that says so in ``X-Forwarded-Proto`` (the header is believed from a trusted proxy only,
    and its last value is the one that proxy added)."""
    if scope.get("scheme") == "https":
        return True
    peer: str = scope["client"][0] if scope.get("client") else ""
    if not trusted or not _is_trusted(peer, trusted):
        return False
    protos = [
        proto.strip().lower()
        for name, value in scope["headers"]
        if name == b"x-forwarded-proto"
        for proto in value.decode("latin-1").split(",")
    ]
    return bool(protos) and protos[-1] == "https"


def _is_trusted(address: str, trusted: tuple[IPv4Network | IPv6Network, ...]) -> bool:
    try:
        ip = ip_address(address)
    except ValueError:
        return False
    return any(ip in network for network in trusted)


def _request_id(scope: Scope) -> str:
    for name, value in scope["headers"]:
        if name == b"x-request-id":
            offered: str = value.decode("latin-1")
            if _REQUEST_ID.match(offered):
                return offered
    return uuid.uuid4().hex


def _route_template(scope: Scope) -> str:
    """The matched route as a template (``/v1/provider/{uscc}/usage-records``): one series per
    route, never one per enterprise or voucher; ``unmatched`` for unknown paths."""
    if scope.get("route") is None:
        return "unmatched"
    path: str = scope["path"]
    for name, value in scope.get("path_params", {}).items():
        path = path.replace(f"/{value}", f"/{{{name}}}", 1)
    return path


def _content_length(scope: Scope) -> int | None:
    for name, value in scope["headers"]:
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None


def _bounded(receive: Receive, limit: int) -> Receive:
    received = 0

    async def bounded_receive() -> Message:
        nonlocal received
        message = await receive()
        if message["type"] == "http.request":
            received += len(message.get("body", b""))
            if received > limit:
                raise BodyTooLarge(limit)
        return message

    return bounded_receive


def _too_large_message(limit: int) -> str:
    return f"the request body is larger than this route's limit of {limit:,} bytes"


def _too_large(limit: int) -> JSONResponse:
    return error_response(413, ErrorCode.BODY_TOO_LARGE, _too_large_message(limit))
