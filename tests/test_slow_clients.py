"""Slow and stalled clients against one real worker (`voucher-service serve`, as deployed),
over raw sockets (issue 20, item 1).

The issue's attack: connections that send a request's headers with ``Content-Length: 100000``
and then trickle the body a byte a second. Ten of them, on the console's sign-in (no key
needed), made every valid-key request and ``/healthz`` answer 503 for as long as they stayed
open, because each held one of the gate's ten places while its body streamed in. Here 50
such connections on the sign-in and 50 with a provider's key on its batch route are kept up
(each answered connection comes straight back) while a bureau key posts and reads: every
one of its requests is answered within 1 s, and ``/healthz`` stays 200. Request heads have
their own deadline and size bound, in the HTTP protocol."""

from __future__ import annotations

import asyncio
import re
import statistics
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest
from sqlalchemy.orm import Session

from tests.factories import make_key, uscc
from tests.served import served
from voucher_service.db.session import create_db_engine
from voucher_service.db.tables.auth import Role
from voucher_tools import bench

pytestmark = pytest.mark.slow

ATTACKERS = 50  # of each kind
TRICKLE_SECONDS = 1.0  # a byte of body a second: under the 10 s idle deadline
ROUNDS = 24  # measured rounds, half a second apart


async def whole_answer(reader: asyncio.StreamReader, first: bytes = b"") -> bytes:
    """An HTTP answer whole: its head, then as much body as its Content-Length says (one
    read may return the head alone, the body following in a packet of its own)."""
    answer = first or await asyncio.wait_for(reader.read(65536), 10)
    while b"\r\n\r\n" not in answer:
        more = await asyncio.wait_for(reader.read(65536), 10)
        if not more:
            return answer
        answer += more
    head, _, body = answer.partition(b"\r\n\r\n")
    length = re.search(rb"(?im)^content-length:\s*(\d+)", head)
    while length and len(body) < int(length.group(1)):
        more = await asyncio.wait_for(reader.read(65536), 10)
        if not more:
            break
        body += more
    return head + b"\r\n\r\n" + body


@dataclass
class SlowBodies:
    """Connections that each send a request head and then its body a byte a second, and
    connect again as soon as they are answered (or cut off): the attack, kept up."""

    address: tuple[str, int]
    heads: list[bytes]
    answers: Counter[str] = field(default_factory=Counter)
    samples: dict[str, bytes] = field(default_factory=dict)
    open_now: int = 0
    open_seen: list[int] = field(default_factory=list)
    _loop: asyncio.AbstractEventLoop | None = None
    _stop: asyncio.Event | None = None
    _thread: threading.Thread | None = None

    def start(self) -> None:
        started = threading.Event()

        async def main() -> None:
            self._loop, self._stop = asyncio.get_running_loop(), asyncio.Event()
            started.set()
            await asyncio.gather(*(self._attacker(head) for head in self.heads))

        self._thread = threading.Thread(target=asyncio.run, args=(main(),), daemon=True)
        self._thread.start()
        started.wait(10)

    def stop(self) -> None:
        assert self._loop is not None and self._stop is not None and self._thread is not None
        self._loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(30)

    def wait_until_open(self, count: int, seconds: float) -> None:
        deadline = time.monotonic() + seconds
        while self.open_now < count:
            assert time.monotonic() < deadline, f"only {self.open_now} connections open"
            time.sleep(0.1)

    async def _attacker(self, head: bytes) -> None:
        assert self._stop is not None
        while not self._stop.is_set():
            try:
                reader, writer = await asyncio.open_connection(*self.address)
            except OSError:
                self.answers["could not connect"] += 1
                await asyncio.sleep(0.5)
                continue
            self.open_now += 1
            try:
                writer.write(head)
                await writer.drain()
                await self._trickle(reader, writer)
            except ConnectionError:
                self.answers["reset"] += 1
            finally:
                self.open_now -= 1
                writer.close()

    async def _trickle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        assert self._stop is not None
        while not self._stop.is_set():
            try:
                first = await asyncio.wait_for(reader.read(65536), TRICKLE_SECONDS)
            except TimeoutError:
                writer.write(b"x")
                await writer.drain()
                continue
            if not first:
                self.answers["closed unanswered"] += 1
                return
            try:
                rest = await asyncio.wait_for(reader.read(), 2)
            except (TimeoutError, ConnectionError):  # a 408 closes with the body half sent
                rest = b""
            status = first.split(b" ", 2)[1].decode()
            self.answers[status] += 1
            self.samples.setdefault(status, first + rest)
            return


def head(path: str, **headers: str) -> bytes:
    lines = [f"POST {path} HTTP/1.1", "Host: 127.0.0.1", "Content-Length: 100000"]
    lines += [f"{name.replace('_', '-')}: {value}" for name, value in headers.items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


@dataclass
class Timed:
    seconds: list[float] = field(default_factory=list)
    statuses: Counter[int] = field(default_factory=Counter)

    def call(self, request: httpx.Request, http: httpx.Client) -> None:
        started = time.perf_counter()
        response = http.send(request)
        self.seconds.append(time.perf_counter() - started)
        self.statuses[response.status_code] += 1

    def summary(self) -> str:
        ms = sorted(s * 1000 for s in self.seconds)
        return f"{dict(self.statuses)}, median {statistics.median(ms):.0f} ms, max {ms[-1]:.0f} ms"


@contextmanager
def attack(url: str, heads: list[bytes]) -> Iterator[SlowBodies]:
    parts = urlsplit(url)
    bodies = SlowBodies((parts.hostname or "", parts.port or 0), heads)
    bodies.start()
    try:
        yield bodies
    finally:
        bodies.stop()


def test_slow_bodies_cannot_take_the_worker_down(scratch_database: str, tmp_path: Path) -> None:
    provider, _, provider_key, _ = bench.load(scratch_database, 2)
    engine = create_db_engine(scratch_database)
    with Session(engine) as session:
        admin_key = make_key(session, Role.BUREAU_ADMIN, holder="slow-client drill")
        session.commit()
    engine.dispose()
    heads = [
        head("/console/sign-in", content_type="application/x-www-form-urlencoded")
    ] * ATTACKERS + [
        head(
            f"/v1/provider/{provider}/usage-records/batch",
            authorization=f"Bearer {provider_key}",
            content_type="application/json",
        )
    ] * ATTACKERS
    # The whole body within 8 s (the default is 30 s), so that the drill sees the 408s.
    with (
        served(scratch_database, tmp_path, body_read_seconds="8") as url,
        attack(url, heads) as bodies,
        httpx.Client(base_url=url, timeout=30) as http,
    ):
        bodies.wait_until_open(2 * ATTACKERS, 30)
        time.sleep(3)  # past the queue time: the attackers hold all they can get
        writes, reads, own_reads, health = Timed(), Timed(), Timed(), Timed()
        admin = {"authorization": f"Bearer {admin_key}"}
        for _ in range(ROUNDS):
            bodies.open_seen.append(bodies.open_now)
            body = {"uscc": uscc(), "name": "慢客户演练"}
            writes.call(http.build_request("POST", "/v1/admin/enterprises", json=body,
                                           headers=admin), http)  # fmt: skip
            reads.call(http.build_request("GET", "/v1/admin/enterprises?limit=5",
                                          headers=admin), http)  # fmt: skip
            # The attacking provider's own reads (they send no body) are not held up either.
            own_reads.call(http.build_request(
                "GET", f"/v1/provider/{provider}/usage-records?limit=5",
                headers={"authorization": f"Bearer {provider_key}"}), http)  # fmt: skip
            health.call(http.build_request("GET", "/healthz"), http)
            time.sleep(0.5)
        answers = dict(bodies.answers)
        samples = dict(bodies.samples)
    print(
        f"\n{2 * ATTACKERS} slow bodies kept up (open at each round: median "
        f"{statistics.median(bodies.open_seen):.0f}, fewest {min(bodies.open_seen)}); their "
        f"answers {answers}\nbureau key, POST enterprise: {writes.summary()}\nbureau key, "
        f"GET enterprises: {reads.summary()}\nattacking provider's GET records: "
        f"{own_reads.summary()}\n/healthz: {health.summary()}"
    )
    assert writes.statuses == {201: ROUNDS} and reads.statuses == {200: ROUNDS}
    assert own_reads.statuses == {200: ROUNDS} and health.statuses == {200: ROUNDS}
    for timed in (writes, reads, own_reads, health):
        assert max(timed.seconds) < 1.0, timed.summary()
    assert statistics.median(bodies.open_seen) >= 1.8 * ATTACKERS, "the attack was not kept up"
    # The attackers got nothing but 408 (their body's time was up) and prompt 503s (no
    # place for one more of their bodies), in the error shape, their connections closed.
    assert set(answers) <= {"408", "503"}, answers
    assert answers.get("408", 0) > 0
    assert b'"code":"request_timeout"' in samples["408"]
    assert b"connection: close" in samples["408"].lower()


def test_request_heads_have_a_deadline_and_a_size_bound(
    scratch_database: str, tmp_path: Path
) -> None:
    with served(scratch_database, tmp_path, header_read_seconds="2") as url:
        host, port = urlsplit(url).hostname or "", urlsplit(url).port or 0

        async def exchange(data: list[bytes], pause: float) -> tuple[bytes, float]:
            """Send ``data`` a part every ``pause`` seconds until answered; the answer's first
            bytes, and when they came."""
            reader, writer = await asyncio.open_connection(host, port)
            started = time.perf_counter()
            answer = b""
            for part in data:
                writer.write(part)
                try:
                    answer = await asyncio.wait_for(reader.read(65536), max(pause, 0.01))
                    break
                except TimeoutError:
                    continue
            answer = await whole_answer(reader, answer)
            seconds = time.perf_counter() - started
            writer.close()
            return answer, seconds

        async def scenario() -> dict[str, tuple[bytes, float]]:
            silent, slow_head, huge_head = await asyncio.gather(
                exchange([], 0),
                exchange([b"GET /healthz HTTP/1.1\r\n", *[b"X-A: b\r\n"] * 20], 0.5),
                exchange([b"GET /healthz HTTP/1.1\r\nX-Big: " + b"a" * 100_000 + b"\r\n"], 0),
            )
            return {"silent": silent, "slow": slow_head, "huge": huge_head}

        found = asyncio.run(scenario())
        assert httpx.get(f"{url}/healthz").status_code == 200
    for name in ("silent", "slow"):
        answer, seconds = found[name]
        assert answer.startswith(b"HTTP/1.1 408 "), (name, answer)
        assert b'"code":"request_timeout"' in answer
        assert 1.5 < seconds < 5, (name, seconds)
    answer, _ = found["huge"]
    assert answer.startswith(b"HTTP/1.1 431 ") and b'"code":"headers_too_large"' in answer


def test_the_rest_of_a_refused_body_is_read_within_the_bodys_deadline(
    scratch_database: str, tmp_path: Path
) -> None:
    """A 401 given before the body arrived: a client that sends its body regardless reads
    the 401 (no reset) and may use the connection again; one that trickles it is cut off at
    the body's deadline."""
    refused = head("/v1/admin/programs", authorization="Bearer vsk_nobody_nothing")
    with served(scratch_database, tmp_path, body_read_seconds="3") as url:
        host, port = urlsplit(url).hostname or "", urlsplit(url).port or 0

        async def sends_it_all() -> tuple[bytes, bytes]:
            reader, writer = await asyncio.open_connection(host, port)
            writer.write(refused + b"x" * 100_000)
            await writer.drain()
            answer = await whole_answer(reader)
            writer.write(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
            again = await whole_answer(reader)
            writer.close()
            return answer, again

        async def trickles_it() -> tuple[bytes, float]:
            reader, writer = await asyncio.open_connection(host, port)
            started = time.perf_counter()
            writer.write(refused)
            answer = await whole_answer(reader)
            try:
                while time.perf_counter() - started < 20:
                    writer.write(b"x")
                    await writer.drain()
                    try:
                        if await asyncio.wait_for(reader.read(1), 0.5) == b"":
                            break  # closed by the service
                    except TimeoutError:
                        continue
            except ConnectionError:
                pass  # reset by the service
            finally:
                writer.close()
            return answer, time.perf_counter() - started

        async def scenario() -> tuple[tuple[bytes, bytes], tuple[bytes, float]]:
            return await asyncio.gather(sends_it_all(), trickles_it())

        (answer, again), (trickled_answer, seconds) = asyncio.run(scenario())
    assert answer.startswith(b"HTTP/1.1 401 ") and b'"code":"unauthorized"' in answer
    assert again.startswith(b"HTTP/1.1 200 ")
    assert trickled_answer.startswith(b"HTTP/1.1 401 ")
    assert 2.5 < seconds < 10, seconds
