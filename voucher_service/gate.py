"""The gate in front of the application: who is calling, their body, then admission.

A request passes, in order, holding as little as it can at each step:

1. **Size.** A ``Content-Length`` above its route's limit is refused at once with 413.
2. **Authentication**, before any byte of the body is read: an API key for ``/v1`` (a
   request without a valid one costs one indexed look-up and is refused, 401 or 429, its
   body unread), the console's session cookie for ``/console``. The look-up runs in one short
   transaction of its own, a few at a time per process (``AUTHENTICATING``). What it finds
   (the caller, the audit actor) goes on the request's state; access rules read it without
   another query. A request no caller is known for (the console's sign-in) is *anonymous*.
3. **The body**, read whole before the request takes any place of work, within deadlines:
   ``body_read_seconds`` in all and ``body_idle_seconds`` of silence at most, else
   ``408 request_timeout``; past its route's limit, ``413 body_too_large`` (the application
   never holds more than the limit). One caller sends at most ``max_bodies_per_caller``
   bodies at once (anonymous requests share a small number of their own), so a caller's
   slow or stalled uploads delay only that caller.
4. **Admission.** At most ``max_in_flight`` authenticated requests per process work at once
   (sized to the connection pool, so an admitted request never waits for a connection),
   and ``max_anonymous_in_flight`` anonymous ones beside them, from a budget of their own.
   The place is given back as soon as the response starts (the unit of work has committed).

Waiting for a place — to authenticate, to send a body, to work — happens in the event loop,
holding nothing, and ends for a request at one deadline, ``queue_seconds`` after it arrived:
then a prompt 503 ``overloaded`` with ``Retry-After`` (the provider client retries it). A 408
closes the connection. After any other answer given before the body arrived (401, 413, 503),
the HTTP protocol (``protocol.py``) reads the rest and drops it, within ``body_read_seconds``
(a client that sends its body regardless then reads the answer, instead of a reset), and
request heads have their own deadline and size bound there: they arrive before there is a
request to pass here.

``/healthz``, ``/readyz`` and ``/metrics`` do not pass the gate at all: they never wait
behind it, and they bound their own database work (``operations.py``). Neither do static
files and the API's documentation.

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
from collections.abc import Callable, Hashable, Mapping
from contextlib import AbstractContextManager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import datetime
from ipaddress import IPv4Network, IPv6Network, ip_address
from typing import Any

from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from voucher_service.audit_log import Actor
from voucher_service.capacity import Overloaded, Places, PlacesPerKey
from voucher_service.config import AUTHENTICATING
from voucher_service.error_language import API_DEFAULT, negotiate, say
from voucher_service.errors import ErrorCode, ServiceError, TooManyFailures
from voucher_service.metrics import ADMISSION_REJECTED, ADMISSION_WAIT, IN_FLIGHT, REQUESTS

log = logging.getLogger("voucher_service.access")

# Liveness, readiness and metrics: answered beside the gate, never behind it.
OPERATIONS = frozenset({"/healthz", "/readyz", "/metrics"})
UNGATED_PREFIXES = ("/static/", "/docs", "/redoc", "/openapi.json", "/favicon.ico")
# Bodies of anonymous requests being sent at once, per process (sign-in forms are tiny; the
# largest these may be is max_body_bytes).
ANONYMOUS_BODIES = 32
# The status logged for a request whose client went away before it could be answered.
CLIENT_GONE = 499
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


def service_error_response(exc: ServiceError, language: str = API_DEFAULT) -> JSONResponse:
    """A refusal in the one error shape, its message in ``language`` (``error_language``)."""
    headers = {"Retry-After": str(exc.retry_after)} if isinstance(exc, TooManyFailures) else None
    return error_response(exc.status, exc.code, say(exc.template, exc.params, language), headers)


def language_of_scope(scope: Scope) -> str:
    """The language the request asks its errors in (``Accept-Language``; English if none)."""
    asked = next((v for k, v in scope["headers"] if k == b"accept-language"), b"")
    return negotiate(asked.decode("latin-1"))


# The language of the request the gate is answering (``Accept-Language``), set as the request
# arrives: its own refusals (408, 413, 503) are made deep in the body's reading.
_LANGUAGE: ContextVar[str] = ContextVar("language", default=API_DEFAULT)


def _said(template: str, **params: object) -> str:
    return say(template, params, _LANGUAGE.get())


def failure_response(
    exc: BaseException, request_id: str, language: str | None = None
) -> JSONResponse:
    """The answer to an exception nothing else handled, wherever it was raised (the gate's
    own authentication included): the database unreachable or failing is a 503 to retry,
    no free connection a 503 ``overloaded``, and anything else a 500 ``internal`` with the
    request id to quote (the traceback is logged under the same id). Always the one error
    shape: never a plain-text "Internal Server Error". ``message`` in ``language`` (default:
    the request's, as the gate read it)."""
    language = language or _LANGUAGE.get()
    if isinstance(exc, PoolTimeout):
        log.warning("no database connection was free (request %s): %s", request_id, exc)
        return error_response(
            503,
            ErrorCode.OVERLOADED,
            say("no database connection was free in time; retry after 1 s", {}, language),
            {"Retry-After": "1"},
        )
    if isinstance(exc, DBAPIError) and not isinstance(exc, IntegrityError):
        log.warning("database error (request %s): %s", request_id, exc.orig)
        return error_response(
            503,
            ErrorCode.DATABASE_UNAVAILABLE,
            say("the database could not complete the request; retry after 1 s", {}, language),
            {"Retry-After": "1"},
        )
    log.error("unexpected error in request %s", request_id, exc_info=exc)
    return error_response(
        500,
        ErrorCode.INTERNAL,
        say(
            "an unexpected error; quote request id {request_id} when you report it",
            {"request_id": request_id},
            language,
        ),
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
    max_upload_body_bytes: int = 0  # a material's upload (POST .../materials): its own bound
    max_anonymous_in_flight: int = 2
    max_bodies_per_caller: int = 4
    body_read_seconds: float = 30.0
    body_idle_seconds: float = 10.0
    authenticating: int = AUTHENTICATING
    anonymous_bodies: int = ANONYMOUS_BODIES


class Refused(Exception):
    """The request is answered with ``response`` before it reaches the application."""

    def __init__(self, response: JSONResponse) -> None:
        super().__init__(response.status_code)
        self.response = response


class ClientGone(Exception):
    """The client disconnected while its body was being read: nobody to answer."""


class Gate:
    """Pure ASGI middleware: nothing is buffered but a request's body, read whole (within its
    limit) before the request is admitted. The session factory and the clock are read from
    the application's state on each request (tests replace them)."""

    def __init__(
        self, app: ASGIApp, *, limits: Limits, authenticators: Mapping[str, Authenticator]
    ) -> None:
        self.app = app
        self.limits = limits
        self.authenticators = authenticators
        self._authenticating = Places(limits.authenticating)
        self._bodies = PlacesPerKey(limits.max_bodies_per_caller)
        self._anonymous_bodies = Places(limits.anonymous_bodies)
        self._slots = Places(limits.max_in_flight)
        self._anonymous = Places(limits.max_anonymous_in_flight)

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

        _LANGUAGE.set(language_of_scope(scope))
        try:
            path = scope["path"]
            if path in OPERATIONS or path.startswith(UNGATED_PREFIXES):
                await self.app(scope, receive, send_with_id)
            else:
                await self._gated(scope, receive, send_with_id)
        except ClientGone:
            status[0] = CLIENT_GONE
        except Exception as exc:
            if answered[0]:
                raise  # the response had begun: nothing else can be sent
            await failure_response(exc, request_id)(scope, receive, send_with_id)
        finally:
            self._observe(scope, status[0], time.perf_counter() - started)

    async def _gated(self, scope: Scope, receive: Receive, send: Send) -> None:
        # Every wait for a place (to authenticate, to send the body, to work) ends here.
        deadline = asyncio.get_running_loop().time() + self.limits.queue_seconds
        app_state = scope["app"].state
        state = scope["state"]
        state["client"] = client_address(scope, self.limits.trusted_proxies)
        state["sessions"] = app_state.sessions
        state["auth_sessions"] = app_state.auth_sessions
        state["now"] = app_state.clock()
        try:
            limit = self._body_limit(scope)
            length = _content_length(scope)
            if length is not None and length > limit:
                raise Refused(_too_large(limit))
            found = await self._authenticate(scope, deadline)
            state.update(found)
            caller = _caller_of(found)
            body = await self._read_body(
                receive, limit, caller, deadline, declared=_body_declared(scope)
            )
            places = self._slots if caller is not None else self._anonymous
            waiting = time.perf_counter()
            await places.take(deadline)
            ADMISSION_WAIT.observe(time.perf_counter() - waiting)
        except Refused as refusal:
            await refusal.response(scope, receive, send)
            return
        except Overloaded:
            await self._overloaded()(scope, receive, send)
            return
        await self._admitted(scope, _replay(body, receive), send, places)

    async def _authenticate(self, scope: Scope, deadline: float) -> dict[str, Any]:
        """What the path's authenticator finds (nothing, where there is none), in one short
        transaction on a thread, a few at a time; a refusal is the request's answer."""
        authenticator = next(
            (a for prefix, a in self.authenticators.items() if scope["path"].startswith(prefix)),
            None,
        )
        if authenticator is None:
            return {}
        async with self._authenticating.held(deadline):
            try:
                return await run_in_threadpool(
                    _authenticate, authenticator, scope, scope["state"]["now"]
                )
            except ServiceError as exc:
                raise Refused(service_error_response(exc, language_of_scope(scope))) from None

    async def _read_body(
        self,
        receive: Receive,
        limit: int,
        caller: Hashable | None,
        deadline: float,
        *,
        declared: bool,
    ) -> bytes:
        """The whole body, read within the deadlines and the limit; while it arrives it holds
        one of its caller's body places (or an anonymous one) if it has a body at all."""
        if not declared:  # no Content-Length, no chunks: an empty body, at once
            return await _receive_body(receive, limit, self.limits)
        if caller is None:
            async with self._anonymous_bodies.held(deadline):
                return await _receive_body(receive, limit, self.limits)
        async with self._bodies.held(caller, deadline):
            return await _receive_body(receive, limit, self.limits)

    async def _admitted(self, scope: Scope, receive: Receive, send: Send, places: Places) -> None:
        """Run the application in the place taken; give it back when the response starts
        (the unit of work has committed by then) or ends, whichever comes first."""
        IN_FLIGHT.inc()
        held = True

        def give_back() -> None:
            nonlocal held
            if held:
                held = False
                IN_FLIGHT.dec()
                places.give_back()

        async def send_then_give_back(message: Message) -> None:
            if message["type"] == "http.response.start":
                give_back()
            await send(message)

        try:
            await self.app(scope, receive, send_then_give_back)
        finally:
            give_back()

    def _overloaded(self) -> JSONResponse:
        ADMISSION_REJECTED.inc()
        retry = max(1, round(self.limits.queue_seconds))
        return error_response(
            503,
            ErrorCode.OVERLOADED,
            _said(
                "the service is at capacity: no place was free within {seconds:g} s; "
                "retry after {retry} s",
                seconds=self.limits.queue_seconds,
                retry=retry,
            ),
            {"Retry-After": str(retry)},
        )

    def _body_limit(self, scope: Scope) -> int:
        if scope["method"] == "POST" and scope["path"].endswith(("/batch", "/upload")):
            return self.limits.max_batch_body_bytes
        if scope["method"] == "POST" and scope["path"].endswith("/materials"):
            return max(self.limits.max_upload_body_bytes, self.limits.max_body_bytes)
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


async def _receive_body(receive: Receive, limit: int, limits: Limits) -> bytes:
    """Read the body to its end: ``Refused`` with 408 when it is not all there within
    ``body_read_seconds`` or falls silent for ``body_idle_seconds``, with 413 past
    ``limit``; ``ClientGone`` if the client disconnects."""
    loop = asyncio.get_running_loop()
    ends = loop.time() + limits.body_read_seconds
    chunks: list[bytes] = []
    size = 0
    while True:
        idle_ends = loop.time() + limits.body_idle_seconds
        try:
            async with asyncio.timeout_at(min(ends, idle_ends)):
                message = await receive()
        except TimeoutError:
            raise Refused(_too_slow(limits, whole=loop.time() >= ends)) from None
        if message["type"] == "http.disconnect":
            raise ClientGone
        chunk: bytes = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            raise Refused(_too_large(limit))
        if chunk:
            chunks.append(chunk)
        if not message.get("more_body", False):
            return b"".join(chunks)


def _replay(body: bytes, receive: Receive) -> Receive:
    """A ``receive`` that hands the application the body already read, then goes on to the
    connection's own (which tells of a disconnect)."""
    pending = True

    async def replay() -> Message:
        nonlocal pending
        if pending:
            pending = False
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay


def _caller_of(found: Mapping[str, Any]) -> Hashable | None:
    """Whom a request's body places are counted against: the principal its key or session
    belongs to (an enterprise, a provider, a person of the bureau), or None: anonymous."""
    actor: Actor | None = found.get("actor")
    if actor is None:
        return None
    return actor.principal_id if actor.principal_id is not None else actor.name


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


def _body_declared(scope: Scope) -> bool:
    """Whether the request says it has a body (a positive Content-Length, or chunks)."""
    for name, value in scope["headers"]:
        if name == b"content-length":
            return value.strip() not in (b"0", b"")
        if name == b"transfer-encoding":
            return True
    return False


def _too_large_message(limit: int) -> str:
    return _said(
        "the request body is larger than this route's limit of {limit:,} bytes", limit=limit
    )


def _too_large(limit: int) -> JSONResponse:
    return error_response(413, ErrorCode.BODY_TOO_LARGE, _too_large_message(limit))


def _too_slow(limits: Limits, *, whole: bool) -> JSONResponse:
    message = (
        _said(
            "the request body did not arrive within {seconds:g} s", seconds=limits.body_read_seconds
        )
        if whole
        else _said(
            "no part of the request body arrived for {seconds:g} s",
            seconds=limits.body_idle_seconds,
        )
    )
    # The connection is closed after it: a client this slow does not keep it.
    return error_response(408, ErrorCode.REQUEST_TIMEOUT, message, {"Connection": "close"})
