"""The request model: one unit of work per request, on one thread, committed before the
response is sent.

With FastAPI's defaults, every synchronous dependency and the handler run on a thread of
the pool, each on whichever thread is free: a session opened by one dependency and used by
the next holds its database connection across those hops, so under a burst requests holding
connections wait for threads while threads wait for connections (a stall until the pool's
time-out). And a dependency's code after ``yield`` runs after the response has been sent: a
commit that failed there would have been answered 201.

Here, instead:

* dependencies that do no I/O (settings, the clock, paging, filters, access rules) are
  ``async``: they run in the event loop, with no thread hop;
* authentication happens in the gate (``gate.py``), in a short transaction of its own;
* a route's handler, with everything it does in the database, runs in one call on one
  thread (``DatabaseRoute``): the session is opened, the handler runs, the transaction
  commits — or rolls back on any error — and only then is the response built and sent.

So a request holds a connection only while its one thread works, never while waiting; with
at most ``max_in_flight`` requests admitted per process and a pool of that size, no
admitted request waits for a connection.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Coroutine
from typing import Any

from fastapi import Request, Response
from fastapi.routing import APIRoute
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool
from starlette.routing import Match

from voucher_service import audit_log
from voucher_service.fields import parse_json


class _PendingSession(Session):
    """Stands for the request's session until the handler's thread opens the real one."""


PENDING_SESSION = _PendingSession()


async def request_session() -> Session:
    """The ``SessionDep`` dependency: the handler receives the request's real session."""
    return PENDING_SESSION


class DatabaseRoute(APIRoute):
    """A route whose synchronous handler runs as one unit of work (see the module), and
    whose JSON body is read by ``fields.parse_json``."""

    def __init__(self, path: str, endpoint: Callable[..., Any], **kwargs: Any) -> None:
        if not inspect.iscoroutinefunction(endpoint):
            endpoint = unit_of_work(endpoint)
        super().__init__(path, endpoint, **kwargs)

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def with_json_numbers(request: Request) -> Response:
            return await handler(_JsonRequest(request.scope, request.receive))

        return with_json_numbers


class _JsonRequest(Request):
    """A request whose ``json()`` is ``fields.parse_json`` (FastAPI parses bodies with it)."""

    async def json(self) -> Any:
        if not hasattr(self, "_json"):
            self._json = parse_json(await self.body())
        return self._json


_REQUEST = "_unit_of_work_request"


def unit_of_work(endpoint: Callable[..., Any]) -> Callable[..., Any]:
    """An async endpoint with ``endpoint``'s parameters (and the request) that runs
    ``endpoint`` in one transaction on one thread of the pool."""
    signature = inspect.signature(endpoint, eval_str=True)
    parameters = list(signature.parameters.values())
    request_name = next((p.name for p in parameters if p.annotation is Request), None)
    if request_name is None:
        parameters.append(
            inspect.Parameter(_REQUEST, inspect.Parameter.KEYWORD_ONLY, annotation=Request)
        )

    async def run(**kwargs: Any) -> Any:
        request: Request = kwargs[request_name] if request_name else kwargs.pop(_REQUEST)
        return await run_in_threadpool(_in_one_transaction, endpoint, request, kwargs)

    run.__signature__ = signature.replace(parameters=parameters)  # type: ignore[attr-defined]
    for attribute in ("__name__", "__qualname__", "__doc__", "__module__"):
        setattr(run, attribute, getattr(endpoint, attribute))
    return run


def _in_one_transaction(
    endpoint: Callable[..., Any], request: Request, kwargs: dict[str, Any]
) -> Any:
    """Open the request's session (from the gate's session factory), name who acts in the
    audit log, run the handler, and commit — or roll back on any error."""
    with request.state.sessions() as session:
        actor: audit_log.Actor | None = getattr(request.state, "actor", None)
        if actor is not None:
            audit_log.set_actor(session, actor)
        for name, value in kwargs.items():
            if value is PENDING_SESSION:
                kwargs[name] = session
        # The page's own session, for what its layout reads (the menu's counts), only while
        # the handler runs: an error page rendered later opens no connection.
        request.state.session = session
        try:
            return endpoint(**kwargs)
        finally:
            request.state.session = None


CSV = "text/csv"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def downloads(*media_types: str, json: bool = False) -> dict[int | str, dict[str, Any]]:
    """``responses=`` for a route answering a file: its 200 in each of these media types
    (and JSON too, when the route can answer that), so the OpenAPI document says so."""
    content: dict[str, Any] = {media: {"schema": {"type": "string"}} for media in media_types}
    if json:
        content["application/json"] = {}
    return {200: {"description": "The file.", "content": content}}


_METHODS = ("DELETE", "GET", "HEAD", "OPTIONS", "PATCH", "POST", "PUT")


def allowed_methods(request: Request) -> str:
    """The ``Allow`` of a 405: every method some route of this application answers at the
    request's path, asked of the routes themselves. (Starlette names only the first route
    that matched the path, one of several for most paths.)"""
    routes = request.app.router.routes
    return ", ".join(
        method
        for method in _METHODS
        if any(
            route.matches({**request.scope, "method": method})[0] == Match.FULL for route in routes
        )  # fmt: skip
    )
