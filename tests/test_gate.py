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

from tests.factories import KeyedClient, uscc
from voucher_service.audit_log import Actor
from voucher_service.db.tables.enterprises import Enterprise
from voucher_service.errors import Unauthorized
from voucher_service.gate import Gate, Limits

NOW = datetime(2026, 6, 15, 4, tzinfo=UTC)


class Harness:
    """A small app behind the gate: ``/v1/slow`` waits until released; every request's body
    reads are counted; the authenticator accepts the keys ``good`` and ``other`` (two
    callers); ``/open/...`` has no authenticator (anonymous requests), ``/healthz`` is not
    gated."""

    def __init__(self, **limits: Any) -> None:
        self.release = asyncio.Event()
        self.authenticated = 0

        async def slow(request: Request) -> JSONResponse:
            await self.release.wait()
            return JSONResponse({"caller": request.state.caller})

        async def echo(request: Request) -> JSONResponse:
            body = await request.body()
            return JSONResponse({"bytes": len(body), "caller": request.state.caller})

        async def anonymous(request: Request) -> JSONResponse:
            body = await request.body()
            if request.url.path == "/open/slow":
                await self.release.wait()
            return JSONResponse({"bytes": len(body), "caller": None})

        async def healthz(_: Request) -> JSONResponse:
            return JSONResponse({"status": "ok"})

        release = self.release

        class Stream:
            """A response whose start is sent at once and whose body is held back."""

            async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
                await send({"type": "http.response.start", "status": 200, "headers": []})
                await release.wait()
                await send({"type": "http.response.body", "body": b"done"})

        app = Starlette(
            routes=[
                Route("/v1/slow", slow),
                Route("/v1/echo", echo, methods=["POST"]),
                Route("/v1/things/batch", echo, methods=["POST"]),
                Route("/open/echo", anonymous, methods=["POST"]),
                Route("/open/slow", anonymous, methods=["GET", "POST"]),
                Route("/healthz", healthz),
                Route("/v1/stream", Stream()),
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
        key = headers.get("authorization", "").removeprefix("Bearer ")
        if key not in ("good", "other"):
            raise Unauthorized("send the good key")
        principal = 1 if key == "good" else 2
        return {"caller": f"tester {principal}", "actor": Actor(principal, None, key)}

    async def request(
        self,
        path: str,
        *,
        method: str = "GET",
        chunks: list[bytes] = (),
        headers: Any = (),
        pause: float = 0.0,
    ) -> tuple[int, dict[str, str], bytes, int]:
        """Status, headers, body, and how many body chunks the application read. Each chunk
        after the first comes ``pause`` seconds after the one before (a slow client)."""
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
            if pause and reads > 1 and pending:
                await asyncio.sleep(pause)
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


def body_headers(size: int, key: str | None = "good") -> dict[str, str]:
    headers = {"content-length": str(size)}
    if key:
        headers["authorization"] = f"Bearer {key}"
    return headers


def test_a_body_that_does_not_arrive_in_time_is_a_408_and_closes_the_connection() -> None:
    harness = Harness(body_read_seconds=0.3, body_idle_seconds=10)
    status, headers, body, _ = asyncio.run(
        harness.request(
            "/v1/echo", method="POST", chunks=[b"x"] * 20, headers=body_headers(20), pause=0.05
        )
    )
    assert status == 408 and b'"code":"request_timeout"' in body
    assert b"within 0.3 s" in body
    assert headers["connection"] == "close", "the client could go on trickling its body"


def test_a_body_that_falls_silent_is_a_408() -> None:
    harness = Harness(body_read_seconds=30, body_idle_seconds=0.2)
    status, _, body, reads = asyncio.run(
        harness.request(
            "/v1/echo", method="POST", chunks=[b"x", b"y"], headers=body_headers(2), pause=1.0
        )
    )
    assert status == 408 and b"no part of the request body arrived for 0.2 s" in body
    assert reads == 2


def test_a_slow_body_holds_no_place_of_work() -> None:
    """The issue: ten slow bodies held the gate's ten places, and every other request (the
    health check included) got 503. Now a body is read before the request is admitted."""
    harness = Harness(queue_seconds=0.5)

    async def scenario() -> None:
        slow = asyncio.create_task(
            harness.request(
                "/v1/echo", method="POST", chunks=[b"x"] * 10, headers=body_headers(10), pause=0.1
            )
        )
        await asyncio.sleep(0.15)  # the slow body is arriving; the one place is free
        status, _, _, _ = await harness.request(
            "/v1/echo", method="POST", chunks=[b"{}"], headers=body_headers(2, "other")
        )
        assert status == 200  # not 503 after the queue time: no place was taken
        assert (await slow)[0] == 200  # and the slow one is served in the end

    asyncio.run(scenario())


def test_one_caller_sends_only_so_many_bodies_at_once() -> None:
    harness = Harness(max_bodies_per_caller=2, queue_seconds=0.3, max_in_flight=10)

    async def scenario() -> None:
        trickles = [
            asyncio.create_task(
                harness.request(
                    "/v1/echo",
                    method="POST",
                    chunks=[b"x"] * 10,
                    headers=body_headers(10),
                    pause=0.1,
                )  # fmt: skip
            )
            for _ in range(3)
        ]
        await asyncio.sleep(0.05)
        # Another caller is not held up by the first one's uploads ...
        other = await harness.request(
            "/v1/echo", method="POST", chunks=[b"{}"], headers=body_headers(2, "other")
        )
        assert other[0] == 200
        # ... while the first caller's third body waited for a place, and was told to retry.
        statuses = sorted([(await t)[0] for t in trickles])
        assert statuses == [200, 200, 503]

    asyncio.run(scenario())


def test_anonymous_requests_have_a_budget_of_their_own() -> None:
    """Unauthenticated work (the console's sign-in) never takes an authenticated caller's
    place, and the other way round."""
    harness = Harness(max_anonymous_in_flight=1)

    async def scenario() -> None:
        anonymous = asyncio.create_task(harness.request("/open/slow"))
        keyed = asyncio.create_task(harness.request("/v1/slow", headers=KEY))
        await asyncio.sleep(0.05)
        # Both budgets are full: one more of each is turned away ...
        assert (await harness.request("/open/slow"))[0] == 503
        assert (await harness.request("/v1/slow", headers=KEY))[0] == 503
        harness.release.set()
        # ... and the two that held them were both served side by side.
        assert [(await anonymous)[0], (await keyed)[0]] == [200, 200]

    asyncio.run(scenario())


def test_anonymous_bodies_are_read_from_their_own_budget_too() -> None:
    harness = Harness(anonymous_bodies=1, queue_seconds=0.2)

    async def scenario() -> None:
        trickle = asyncio.create_task(
            harness.request(
                "/open/echo",
                method="POST",
                chunks=[b"x"] * 5,
                headers=body_headers(5, None),
                pause=0.1,
            )  # fmt: skip
        )
        await asyncio.sleep(0.05)
        refused = await harness.request(
            "/open/echo", method="POST", chunks=[b"{}"], headers=body_headers(2, None)
        )
        assert refused[0] == 503
        keyed = await harness.request(
            "/v1/echo", method="POST", chunks=[b"{}"], headers=body_headers(2)
        )
        assert keyed[0] == 200
        assert (await trickle)[0] == 200

    asyncio.run(scenario())


def test_health_never_waits_behind_the_gate() -> None:
    harness = Harness()

    async def scenario() -> None:
        held = asyncio.create_task(harness.request("/v1/slow", headers=KEY))
        await asyncio.sleep(0.05)
        assert (await harness.request("/v1/slow", headers=KEY))[0] == 503  # the gate is full
        assert (await harness.request("/healthz"))[0] == 200
        harness.release.set()
        await held

    asyncio.run(scenario())


def test_the_place_is_given_back_when_the_response_starts() -> None:
    """The unit of work has committed before a response starts: a client slow to read its
    response holds no place of work."""
    harness = Harness()

    async def scenario() -> None:
        reading = asyncio.create_task(harness.request("/v1/stream", headers=KEY))
        await asyncio.sleep(0.05)
        other = await harness.request(
            "/v1/echo", method="POST", chunks=[b"{}"], headers=body_headers(2)
        )
        assert other[0] == 200
        harness.release.set()
        assert (await reading)[2] == b"done"

    asyncio.run(scenario())


def test_only_a_408_closes_the_connection() -> None:
    """Other refusals given before the body arrived keep it: the HTTP protocol reads the rest
    and drops it (within the body's deadline), so the client reads the answer instead of a
    reset (``tests/test_slow_clients.py``)."""
    harness = Harness()
    status, headers, _, _ = asyncio.run(
        harness.request("/v1/echo", method="POST", chunks=[b"x"], headers=body_headers(1, "bad"))
    )
    assert status == 401 and "connection" not in headers


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
