"""The OpenAPI document, made to describe the API as it behaves (issue 11).

FastAPI's own document knows neither the gate nor the access rules: it has no security
scheme (so ``/docs`` has no Authorize button), documents 422 with its ``{"detail": [...]}``
shape while the service answers ``{"error": {...}}``, and nothing else. Here every operation
gets, derived from what the route *is* rather than written per route:

* the HTTP bearer scheme, when its path is behind the gate's key check (``/v1``);
* the error responses it can give, each with the one error schema and an example:

  ==========  ==========================================================================
  401, 429    every ``/v1`` operation: the key is checked (and failures throttled) first
  403         its access rule admits some roles only (every rule does)
  400         it takes a body (one that cannot be parsed as JSON)
  404         it names something (in its path, query or body), or its rule is an owner's
  409         it changes state (POST, PUT, PATCH, DELETE): a business rule may refuse it
  413         it takes a body (the gate bounds bodies; batches have their own limit)
  422         it takes parameters or a body
  500, 503    every gated operation: the request id to quote; the database, or capacity
  ==========  ==========================================================================

A router added later gets all of this by declaring its access rule, as every router must.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from fastapi import FastAPI
from fastapi.routing import APIRoute

from voucher_service.auth.access import Access
from voucher_service.errors import ErrorCode

GATED_PREFIX = "/v1/"
PUBLIC_PREFIX = "/public/v1/"  # behind the gate, without a key (notices/router.py)
SCHEME = "apiKey"  # the name Swagger UI shows by its Authorize button
ERROR_SCHEMA = "Error"
_WRITES = {"post", "put", "patch", "delete"}

_ERRORS: dict[int, tuple[str, ErrorCode, str]] = {
    400: (
        "A body that is not JSON.",
        ErrorCode.BAD_REQUEST,
        "There was an error parsing the body",
    ),
    401: (
        "No API key, or a malformed, unknown, revoked or expired one.",
        ErrorCode.UNAUTHORIZED,
        "send an API key: Authorization: Bearer vsk_...",
    ),
    403: (
        "A valid key whose role may not do this.",
        ErrorCode.FORBIDDEN,
        "the role provider may not GET /v1/admin/programs",
    ),
    404: (
        "Unknown, or not the caller's to see (answered exactly as unknown).",
        ErrorCode.NOT_FOUND,
        "no voucher 7KQ3-MZ8D-R2XW-HT4T",
    ),
    409: (
        "A business rule refuses the request; nothing was written.",
        ErrorCode.CONFLICT,
        "the enterprise's cap leaves 0.00 yuan",
    ),
    413: (
        "The body is larger than this route's limit (refused while it streams).",
        ErrorCode.BODY_TOO_LARGE,
        "the request body is larger than this route's limit of 1,048,576 bytes",
    ),
    422: (
        "A malformed value: the message names each one and why.",
        ErrorCode.INVALID_INPUT,
        "year: Input should be less than or equal to 2100",
    ),
    429: (
        "Too many failed authentications from this address or for this key prefix: wait "
        "Retry-After seconds. A correct key is never refused.",
        ErrorCode.TOO_MANY_FAILURES,
        "too many failed authentications; try again after 2026-06-15T12:15:00+00:00",
    ),
    500: (
        "An unexpected error: quote the request id.",
        ErrorCode.INTERNAL,
        "an unexpected error; quote request id 3f2a... when you report it",
    ),
    503: (
        "At capacity (retry after Retry-After seconds), or the database is unavailable.",
        ErrorCode.OVERLOADED,
        "the service is at capacity: no place was free within 2 s; retry after 2 s",
    ),
}

_ERROR_COMPONENT = {
    "type": "object",
    "title": "Error",
    "description": "Every error the service answers: clients program against `code`.",
    "required": ["error"],
    "properties": {
        "error": {
            "type": "object",
            "required": ["code", "message"],
            "properties": {
                "code": {"type": "string", "enum": [code.value for code in ErrorCode]},
                "message": {"type": "string"},
                "request_id": {
                    "type": "string",
                    "description": "On 500 only: the id to quote (also in X-Request-ID).",
                },
            },
        }
    },
}
_RETRY_AFTER = {"Retry-After": {"description": "Seconds to wait.", "schema": {"type": "integer"}}}


def install(app: FastAPI) -> None:
    """Make ``app.openapi()`` return the document described above."""
    generate: Callable[[], dict[str, Any]] = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            describe(generate(), routes(app))
        return app.openapi_schema  # type: ignore[return-value]

    app.openapi = openapi  # type: ignore[method-assign]


def routes(app: FastAPI) -> Iterator[tuple[str, str, APIRoute]]:
    """(method, full path, route) of every endpoint, included routers flattened."""
    for route in app.routes:
        contexts = (
            [route]
            if isinstance(route, APIRoute)
            else list(getattr(route, "effective_route_contexts", lambda: [])())
        )
        for context in contexts:
            for method in sorted(context.methods or ()):
                yield method.lower(), context.path, context


def access_rule(route: APIRoute) -> Access | None:
    """The access rule a route declares (among its dependencies, at any depth)."""

    def walk(dependant: Any) -> Access | None:
        for dependency in dependant.dependencies:
            if isinstance(dependency.call, Access):
                return dependency.call
            found = walk(dependency)
            if found is not None:
                return found
        return None

    return walk(route.dependant)


def error_statuses(method: str, path: str, route: APIRoute, operation: dict[str, Any]) -> list[int]:
    """The error statuses an operation can answer with (the table in the module)."""
    public = path.startswith(PUBLIC_PREFIX)
    if not path.startswith(GATED_PREFIX) and not public:
        return [422] if operation.get("parameters") else []
    rule = access_rule(route)
    statuses = {429, 500, 503} if public else {401, 429, 500, 503}
    if rule is not None:
        statuses.add(403)
        if rule.owner is not None:
            statuses.add(404)
    if operation.get("parameters") or "requestBody" in operation:
        statuses.add(404)
    if method in _WRITES:
        statuses.add(409)
    if "requestBody" in operation:
        statuses |= {400, 413}
    if operation.get("parameters") or "requestBody" in operation:
        statuses.add(422)
    return sorted(statuses)


def describe(doc: dict[str, Any], found: Iterator[tuple[str, str, APIRoute]]) -> None:
    """Add the security scheme, the error responses and their schema to ``doc``."""
    components = doc.setdefault("components", {})
    schemas = components.setdefault("schemas", {})
    schemas[ERROR_SCHEMA] = _ERROR_COMPONENT
    for unused in ("HTTPValidationError", "ValidationError"):
        schemas.pop(unused, None)
    components["securitySchemes"] = {
        SCHEME: {
            "type": "http",
            "scheme": "bearer",
            "description": "An API key, `vsk_<prefix>_<secret>` (see docs/access.md).",
        }
    }
    for method, path, route in found:
        operation = doc["paths"].get(path, {}).get(method)
        if operation is None:
            continue
        if path.startswith(GATED_PREFIX):
            operation["security"] = [{SCHEME: []}]
        responses = operation.setdefault("responses", {})
        for status in error_statuses(method, path, route, operation):
            responses[str(status)] = _error_response(status)
        for status, declared in list(responses.items()):
            # An error a route declares itself (a GET's 409) answers in the one shape too.
            if status[:1] in "45" and "content" not in declared:
                responses[status] = {**_error_response(int(status)), **declared}
        operation["responses"] = dict(sorted(responses.items()))
    _integral_bounds(doc)


def _error_response(status: int) -> dict[str, Any]:
    description, code, message = _ERRORS[status]
    response: dict[str, Any] = {
        "description": description,
        "content": {
            "application/json": {
                "schema": {"$ref": f"#/components/schemas/{ERROR_SCHEMA}"},
                "example": {"error": {"code": code.value, "message": message}},
            }
        },
    }
    if status in (429, 503):
        response["headers"] = _RETRY_AFTER
    return response


def _integral_bounds(node: Any) -> None:
    """FastAPI's document model holds ``minimum``/``maximum`` as floats: an integer's bound
    is written back as an integer (``9007199254740991``, not ``9.007199254740991e15``)."""
    if isinstance(node, dict):
        if node.get("type") == "integer":
            for bound in ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"):
                value = node.get(bound)
                if isinstance(value, float) and value.is_integer():
                    node[bound] = int(value)
        for value in node.values():
            _integral_bounds(value)
    elif isinstance(node, list):
        for value in node:
            _integral_bounds(value)
