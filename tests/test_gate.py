"""The gate: admission with a bounded queue, bodies bounded while they stream, credentials
checked before any body is read, a request id on every response; and the unit of work
committed before the response is sent."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from tests.conftest import KeyedClient
from tests.factories import uscc
from voucher_service.db.tables.enterprises import Enterprise
from voucher_service.errors import Unauthorized
from voucher_service.gate import Gate, Limits

NOW = datetime(2026, 6, 15, 4, tzinfo=UTC)


class Harness:
    """A small app behind the gate: ``/v1/slow`` waits until released; every request's body
    reads are counted; the authenticator accepts the key ``good``."""

    def __init__(self, **limits: Any) -> None:
        self.release = asyncio.Event()
        self.authenticated = 0

        async def slow(request: Request) -> JSONResponse:
            await self.release.wait()
            return JSONResponse({"caller": request.state.caller})

        async def echo(request: Request) -> JSONResponse:
            body = await request.body()
            return JSONResponse({"bytes": len(body), "caller": request.state.caller})

        app = Starlette(
            routes=[
                Route("/v1/slow", slow),
                Route("/v1/echo", echo, methods=["POST"]),
                Route("/v1/things/batch", echo, methods=["POST"]),
            ]
        )

        @contextmanager
        def sessions() -> Iterator[None]:
            yield None

        app.state.sessions = app.state.auth_sessions = sessions
        app.state.clock = lambda: NOW
        settings = {
            "max_in_flight": 1,
            "queue_seconds": 0.2,
            "max_body_bytes": 1000,
            "max_batch_body_bytes": 5000,
        }
        self.gate = Gate(
            app, limits=Limits(**(settings | limits)), authenticators={"/v1/": self.authenticate}
        )

    def authenticate(self, _: Any, headers: dict[str, str], **__: Any) -> dict[str, Any]:
        self.authenticated += 1
        if headers.get("authorization") != "Bearer good":
            raise Unauthorized("send the good key")
        return {"caller": "tester"}

    async def request(
        self, path: str, *, method: str = "GET", chunks: list[bytes] = (), headers: Any = ()
    ) -> tuple[int, dict[str, str], bytes, int]:
        """Status, headers, body, and how many body chunks the application read."""
        scope = {
            "type": "http",
            "method": method,
            "path": path,
            "headers": [(k.encode(), v.encode()) for k, v in dict(headers).items()],
            "client": ("127.0.0.1", 5000),
            "app": self.gate.app,
        }
        pending = list(chunks) or [b""]
        reads = 0

        async def receive() -> dict[str, Any]:
            nonlocal reads
            reads += 1
            body = pending.pop(0) if pending else b""
            return {"type": "http.request", "body": body, "more_body": bool(pending)}

        sent: list[dict[str, Any]] = []

        async def send(message: dict[str, Any]) -> None:
            sent.append(message)

        await self.gate(scope, receive, send)
        start = next(m for m in sent if m["type"] == "http.response.start")
        body = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
        found = {k.decode(): v.decode() for k, v in start["headers"]}
        return start["status"], found, body, reads


KEY = {"authorization": "Bearer good"}


def test_no_request_waits_longer_than_the_queue_time() -> None:
    harness = Harness()

    async def scenario() -> None:
        first = asyncio.create_task(harness.request("/v1/slow", headers=KEY))
        await asyncio.sleep(0.05)
        started = time.perf_counter()
        status, headers, body, _ = await harness.request("/v1/slow", headers=KEY)
        waited = time.perf_counter() - started
        assert status == 503 and b'"code":"overloaded"' in body
        assert headers["retry-after"] == "1"
        assert 0.15 <= waited < 1.0
        harness.release.set()
        assert (await first)[0] == 200
        # the place is free again: the next request is admitted at once
        assert (await harness.request("/v1/slow", headers=KEY))[0] == 200

    asyncio.run(scenario())


def test_a_request_that_finds_a_place_in_time_is_served() -> None:
    harness = Harness(queue_seconds=2.0)

    async def scenario() -> None:
        first = asyncio.create_task(harness.request("/v1/slow", headers=KEY))
        second = asyncio.create_task(harness.request("/v1/slow", headers=KEY))
        await asyncio.sleep(0.3)
        harness.release.set()
        assert [(await first)[0], (await second)[0]] == [200, 200]

    asyncio.run(scenario())


def test_credentials_are_checked_before_the_body_is_read() -> None:
    harness = Harness()
    huge = [b"x" * 1000] * 50
    status, headers, body, reads = asyncio.run(
        harness.request("/v1/echo", method="POST", chunks=huge, headers={"content-length": "1"})
    )
    assert status == 401 and headers["www-authenticate"] == "Bearer"
    assert reads == 0, "the body was read before the caller was refused"


def test_a_declared_body_over_the_limit_is_refused_before_anything_else() -> None:
    harness = Harness()
    status, _, body, reads = asyncio.run(
        harness.request(
            "/v1/echo",
            method="POST",
            chunks=[b"x"],
            headers={**KEY, "content-length": str(200 * 1024 * 1024)},
        )
    )
    assert status == 413 and b'"code":"body_too_large"' in body
    assert reads == 0 and harness.authenticated == 0


def test_a_streamed_body_is_cut_off_at_the_limit() -> None:
    harness = Harness()
    chunks = [b"x" * 400] * 100  # 40,000 bytes, no Content-Length
    status, _, body, reads = asyncio.run(
        harness.request("/v1/echo", method="POST", chunks=chunks, headers=KEY)
    )
    assert status == 413 and b"1,000 bytes" in body
    assert reads == 3, "reading went on past the limit"


def test_batches_have_their_own_larger_limit() -> None:
    harness = Harness()
    chunks = [b"x" * 1000] * 4
    ok = asyncio.run(harness.request("/v1/things/batch", method="POST", chunks=chunks, headers=KEY))
    assert ok[0] == 200 and b'"bytes":4000' in ok[2]
    refused = asyncio.run(harness.request("/v1/echo", method="POST", chunks=chunks, headers=KEY))
    assert refused[0] == 413


@pytest.mark.parametrize(
    ("offered", "kept"),
    [("trace-42.a:b", True), ("", False), ("x" * 65, False), ("bad id", False)],
)
def test_every_response_carries_a_request_id(offered: str, kept: bool) -> None:
    harness = Harness()
    harness.release.set()
    headers = {**KEY, "x-request-id": offered} if offered else KEY
    _, found, _, _ = asyncio.run(harness.request("/v1/slow", headers=headers))
    assert (found["x-request-id"] == offered) is kept
    assert len(found["x-request-id"]) >= 1


def test_the_unit_of_work_commits_before_the_response_is_sent(
    client: KeyedClient, session: Session
) -> None:
    """A commit that fails must fail the request: the client never sees 201 for a change
    that was not stored (FastAPI's own dependencies commit after the response)."""

    @contextmanager
    def commit_fails() -> Iterator[Session]:
        savepoint = session.begin_nested()
        yield session
        savepoint.rollback()
        raise OperationalError("COMMIT", {}, Exception("server closed the connection"))

    client.app.state.sessions = commit_fails  # type: ignore[attr-defined]
    code = uscc()
    response = client.post("/v1/admin/enterprises", json={"uscc": code, "name": "测试"})
    assert response.status_code == 503, response.text
    assert response.json()["error"]["code"] == "database_unavailable"
    assert session.scalar(select(Enterprise).where(Enterprise.uscc == code)) is None


def test_a_database_that_cannot_authenticate_the_key_is_a_503_to_retry(
    client: KeyedClient,
) -> None:
    """While the database is down or restarting (tests/test_faults.py), the gate's key
    look-up fails: the caller gets 503 in the error shape with Retry-After, not a 500."""

    @contextmanager
    def unreachable() -> Iterator[Session]:
        raise OperationalError("SELECT", {}, Exception("connection refused"))
        yield  # pragma: no cover

    client.app.state.auth_sessions = unreachable  # type: ignore[attr-defined]
    response = client.get("/v1/admin/enterprises")
    assert response.status_code == 503, response.text
    assert response.json()["error"]["code"] == "database_unavailable"
    assert response.headers["retry-after"] == "1"


def test_the_service_refuses_an_oversized_stream_in_the_error_shape(client: KeyedClient) -> None:
    def stream() -> Iterator[bytes]:
        yield b'{"uscc": "'
        for _ in range(300):
            yield b"x" * 4096  # 1.2 MB in all, past the 1 MiB limit; no Content-Length

    response = client.post(
        "/v1/admin/enterprises", content=stream(), headers={"content-type": "application/json"}
    )
    assert response.status_code == 413, response.text
    assert response.json()["error"]["code"] == "body_too_large"
    assert response.headers["x-request-id"]


def test_the_service_refuses_a_caller_without_a_key_before_its_body(client: KeyedClient) -> None:
    response = client.post(
        "/v1/provider/91420100MA00000011/usage-records/batch",
        content=b"[" + b" " * 1000,
        headers={"content-type": "application/json"},
    )
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "unauthorized"
