"""Delivery through an outage, to a real receiver (its own process on 127.0.0.1): every
event arrives and is answered exactly once by its id, though the receiver is killed in the
middle of a delivery and restarted; every signature verifies with the provider client's
``verify_webhook``; the delivery log has each attempt; a resend sends the same event id.
Then the drains: several at once never make the same attempt twice; backoff and giving up."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.factories import (
    NOW,
    KeyedClient,
    Scene,
    make_enterprise,
    make_pool,
    make_program,
    make_provider,
    post_provider,
    post_redemption,
    post_voucher,
    second_admin,
)
from tests.served import free_port
from voucher_client import WebhookError, verify_webhook
from voucher_service.config import get_settings
from voucher_service.db.session import create_db_engine, transaction
from voucher_service.db.tables.providers import Provider
from voucher_service.db.tables.webhooks import DeliveryStatus, WebhookAttempt, WebhookDelivery
from voucher_service.db.types import utcnow
from voucher_service.webhooks.delivery import Answer, deliver_due, prune, retry_delay
from voucher_service.webhooks.events import EventType, enqueue
from voucher_service.webhooks.service import create_endpoint

ROOT = Path(__file__).parents[2]


@pytest.fixture
def local_http(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("VOUCHER_WEBHOOK_ALLOW_HTTP_LOCAL", "true")
    monkeypatch.setenv("VOUCHER_WEBHOOK_TIMEOUT_SECONDS", "20")
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


@contextmanager
def receiver(port: int, log: Path, *, hang_on: int = 0) -> Iterator[subprocess.Popen[str]]:
    """The receiver process, ready to take requests; killed at the end if still running."""
    extra = ["--hang-on", str(hang_on)] if hang_on else []
    process = subprocess.Popen(
        [sys.executable, "-m", "tests.webhooks.receiver", str(port), str(log), *extra],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None and process.stdout.readline().strip() == "ready"
        yield process
    finally:
        process.kill()
        process.wait()


def arrivals(log: Path) -> list[dict[str, object]]:
    if not log.exists():
        return []
    return [json.loads(line) for line in log.read_text().splitlines()]


def wait_for(condition, seconds: float = 20) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def test_every_event_arrives_once_through_a_receiver_outage(
    client: KeyedClient, session: Session, local_http: None, tmp_path: Path
) -> None:
    port, log = free_port(), tmp_path / "received.jsonl"
    provider = post_provider(client)
    made = client.post(
        f"/v1/provider/{provider}/webhook-endpoints", json={"url": f"http://127.0.0.1:{port}/h"}
    )
    assert made.status_code == 201, made.text
    secret = made.json()["secret"]

    # Six events, made as users make them.
    program = make_program(session)
    make_pool(session, program, total_fen=1_000_000_00)
    enterprise = make_enterprise(session).uscc
    session.commit()
    voucher = post_voucher(client, program.code, enterprise, "1000.00")
    post_redemption(client, enterprise, voucher, provider)  # redemption.created
    scene = Scene(client, program.code, enterprise, provider, voucher)
    assert scene.post("job-1").status_code == 201
    refused = scene.post("job-2", uscc=make_enterprise(session).uscc)  # usage_record.refused
    assert refused.json()["outcome"] == "refused"
    [redemption] = client.get(f"/v1/enterprise/{enterprise}/redemptions").json()["items"]
    ended = client.post(f"/v1/enterprise/{enterprise}/redemptions/{redemption['id']}/end")
    assert ended.status_code == 200  # redemption.ended
    client.app.state.clock = lambda: datetime(2026, 7, 2, 2, tzinfo=UTC)  # type: ignore[attr-defined]
    closed = client.post(
        "/v1/admin/statements", json={"provider_uscc": provider, "period": "2026-06"}
    )
    [statement] = closed.json()["statements"]  # statement.closed
    sid = statement["id"]
    assert (
        client.post(f"/v1/admin/statements/{sid}/approve", headers=second_admin(client)).status_code
        == 200
    )
    paid = client.post(f"/v1/admin/statements/{sid}/pay", json={"payment_reference": "WH-1"})
    assert paid.status_code == 200  # statement.paid
    pending = list(session.scalars(select(WebhookDelivery).order_by(WebhookDelivery.id)))
    assert [d.event_type for d in pending] == [
        "redemption.created",
        "usage_record.refused",
        "redemption.ended",
        "statement.closed",
        "statement.approved",
        "statement.paid",
    ]
    events = {d.event_id for d in pending}
    assert len(events) == 6

    @contextmanager
    def sessions() -> Iterator[Session]:  # the drain's transactions, in the test's own
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise

    first = utcnow()
    # The receiver answers the first event, then is killed while the second is in flight.
    with receiver(port, log, hang_on=2) as down:
        drain = threading.Thread(target=lambda: deliver_due(sessions, now=first))
        drain.start()
        wait_for(lambda: any(not a["answered"] for a in arrivals(log)))
        down.kill()
        drain.join(30)
        assert not drain.is_alive()
    after_outage = Counter(str(a["event_id"]) for a in arrivals(log) if a["answered"])
    assert sum(after_outage.values()) == 1
    session.expire_all()
    states = Counter(d.status for d in session.scalars(select(WebhookDelivery)))
    assert states == {DeliveryStatus.DELIVERED: 1, DeliveryStatus.PENDING: 5}
    # Nothing is due again before its backoff.
    assert deliver_due(sessions, now=first + timedelta(seconds=5)).attempted == 0

    later = first + timedelta(minutes=10)
    with receiver(port, log):
        done = deliver_due(sessions, now=later)
        assert (done.attempted, done.delivered) == (5, 5)
        assert deliver_due(sessions, now=later + timedelta(days=3)).attempted == 0

    received = arrivals(log)
    answered = Counter(str(a["event_id"]) for a in received if a["answered"])
    assert set(answered) == events and set(answered.values()) == {1}  # each exactly once
    [hung] = [a for a in received if not a["answered"]]
    assert hung["event_id"] in events  # it arrived, unanswered, and came again after
    for arrival in received:
        moment = (first if arrival is received[0] or arrival is hung else later).timestamp()
        event = verify_webhook(secret, str(arrival["signature"]), str(arrival["body"]), now=moment)
        assert event["id"] == arrival["event_id"] and event["provider_uscc"] == provider
        with pytest.raises(WebhookError):
            verify_webhook(
                "whsec_wrong", str(arrival["signature"]), str(arrival["body"]), now=moment
            )
    bodies = {json.loads(str(a["body"]))["type"]: json.loads(str(a["body"])) for a in received}
    assert bodies["statement.paid"]["data"]["subsidy_yuan"] == "50.00"
    assert bodies["statement.paid"]["data"]["payment_reference"] == "WH-1"
    assert bodies["usage_record.refused"]["data"]["record_id"] == "job-2"
    assert bodies["redemption.ended"]["data"]["voucher_code"] == voucher

    # The delivery log: the hung one's two attempts, through the API.
    [hung_delivery] = [d for d in pending if d.event_id == hung["event_id"]]
    detail = client.get(f"/v1/provider/{provider}/webhook-deliveries/{hung_delivery.id}").json()
    assert detail["status"] == "delivered" and detail["attempts"] == 2
    [lost, ok] = detail["attempt_log"]
    assert (lost["response_status"], ok["response_status"]) == (None, 200)
    assert lost["error"] and ok["latency_ms"] >= 0
    listed = client.get(
        f"/v1/provider/{provider}/webhook-deliveries", params={"status": "delivered"}
    )
    assert len(listed.json()["items"]) == 6

    # A resend: the same event id again; the receiver can tell it has it.
    resent = client.post(f"/v1/provider/{provider}/webhook-deliveries/{hung_delivery.id}/resend")
    assert resent.json()["status"] == "pending"
    with receiver(port, log):
        assert deliver_due(sessions, now=utcnow()).delivered == 1
    again = Counter(str(a["event_id"]) for a in arrivals(log) if a["answered"])
    assert again[str(hung["event_id"])] == 2 and sum(again.values()) == 7


def test_a_rotation_signs_with_both_secrets(client: KeyedClient, session: Session) -> None:
    provider = post_provider(client)
    path = f"/v1/provider/{provider}/webhook-endpoints"
    old = client.post(path, json={"url": "https://ops.example.cn/h"}).json()
    new = client.post(f"{path}/{old['id']}/rotate-secret", json={"keep_previous_hours": 1}).json()
    pid = session.scalar(select(Provider.id).where(Provider.uscc == provider))
    assert pid is not None
    enqueue(session, pid, [(EventType.STATEMENT_CLOSED, {"statement_id": 1})], now=NOW)
    sent: list[tuple[bytes, dict[str, str]]] = []

    def send(url: str, body: bytes, headers: dict[str, str]) -> Answer:
        sent.append((body, headers))
        return Answer(204, 3)

    @contextmanager
    def sessions() -> Iterator[Session]:
        yield session
        session.flush()

    now = NOW + timedelta(minutes=1)  # the rotation was at NOW (the suite's clock)
    assert deliver_due(sessions, now=now, send=send).delivered == 1
    [(body, headers)] = sent
    header = headers["Voucher-Signature"]
    assert header.count("v1=") == 2
    for secret in (old["secret"], new["secret"]):
        assert (
            verify_webhook(secret, header, body, now=now.timestamp())["type"] == "statement.closed"
        )
    with pytest.raises(WebhookError):  # replayed much later
        verify_webhook(new["secret"], header, body, now=now.timestamp() + 301)
    # After the old secret expires, only the new one signs.
    enqueue(session, pid, [(EventType.STATEMENT_PAID, {"statement_id": 1})], now=NOW)
    deliver_due(sessions, now=now + timedelta(hours=2), send=send)
    assert sent[1][1]["Voucher-Signature"].count("v1=") == 1


def test_backoff_then_failed_after_a_day(client: KeyedClient, session: Session) -> None:
    assert [retry_delay(n).total_seconds() for n in (1, 2, 3, 4, 8, 9, 30)] == [
        30,
        60,
        120,
        240,
        3600,
        3600,
        3600,
    ]
    provider = make_provider(session)
    create_endpoint(session, provider, url="https://down.example.cn/h", now=utcnow())
    start = utcnow()
    assert provider.id is not None
    enqueue(session, provider.id, [(EventType.REDEMPTION_CREATED, {})], now=start)

    @contextmanager
    def sessions() -> Iterator[Session]:
        yield session
        session.flush()

    def refuse(url: str, body: bytes, headers: dict[str, str]) -> Answer:
        return Answer(503, 12)

    moment, rounds = start, 0
    while True:
        done = deliver_due(sessions, now=moment, send=refuse)
        rounds += done.attempted
        [delivery] = session.scalars(select(WebhookDelivery))
        if delivery.status != DeliveryStatus.PENDING:
            break
        moment = delivery.next_attempt_at
    assert delivery.status == DeliveryStatus.FAILED
    assert 20 <= rounds <= 40 and moment - start <= timedelta(hours=24)
    assert moment - start > timedelta(hours=22)  # retried for (nearly) the whole day


def test_concurrent_drains_make_each_attempt_once(scratch_database: str) -> None:
    """Four drains on one database (their own connections, committed rows): every due
    delivery is posted by exactly one of them."""
    engine = create_db_engine(scratch_database)
    try:
        with transaction(engine) as session:
            provider = make_provider(session)
            assert provider.id is not None
            for n in range(2):
                create_endpoint(session, provider, url=f"https://r{n}.example.cn/h", now=utcnow())
            enqueue(
                session,
                provider.id,
                [(EventType.STATEMENT_CLOSED, {"n": n}) for n in range(30)],
            )
        posted: list[tuple[str, str]] = []
        lock = threading.Lock()

        def send(url: str, body: bytes, headers: dict[str, str]) -> Answer:
            time.sleep(0.01)
            with lock:
                posted.append((url, headers["Voucher-Event-Id"]))
            return Answer(200, 10)

        def drain() -> None:
            while deliver_due(lambda: transaction(engine), limit=5, send=send).attempted:
                pass

        threads = [threading.Thread(target=drain) for _ in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(120)
        assert len(posted) == 60 and len(set(posted)) == 60
        with transaction(engine) as session:
            statuses = set(session.scalars(select(WebhookDelivery.status)))
        assert statuses == {DeliveryStatus.DELIVERED}
    finally:
        engine.dispose()


def test_the_command_delivers_what_is_due(
    cli_database: str, local_http: None, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """``voucher-service webhooks deliver --once`` on its own: one round, then it stops."""
    from voucher_service.cli import main

    port, log = free_port(), tmp_path / "received.jsonl"
    engine = create_db_engine(cli_database)
    try:
        with transaction(engine) as session:
            provider = make_provider(session)
            assert provider.id is not None
            made = create_endpoint(session, provider, url=f"http://127.0.0.1:{port}/", now=utcnow())
            enqueue(session, provider.id, [(EventType.REDEMPTION_ENDED, {"redemption_id": 7})])
    finally:
        engine.dispose()
    with receiver(port, log):
        assert main(["webhooks", "deliver", "--once"]) == 0
    assert "attempted 1, delivered 1, failed 0" in capsys.readouterr().out
    [arrival] = arrivals(log)
    event = verify_webhook(made.secret, str(arrival["signature"]), str(arrival["body"]))
    assert event["data"] == {"redemption_id": 7}
    assert main(["webhooks", "deliver", "--once"]) == 0
    assert "attempted 0" in capsys.readouterr().out


def test_finished_deliveries_are_pruned_pending_ones_kept(
    client: KeyedClient, session: Session
) -> None:
    """The outbox does not grow without bound: delivered and failed deliveries older than
    the retention go with their attempts; a pending one stays whatever its age."""
    provider = make_provider(session)
    create_endpoint(session, provider, url="https://up.example.cn/h", now=utcnow())
    assert provider.id is not None
    start = utcnow() - timedelta(days=60)
    events = [(EventType.REDEMPTION_CREATED, {}), (EventType.REDEMPTION_ENDED, {})]
    enqueue(session, provider.id, events, now=start)

    @contextmanager
    def sessions() -> Iterator[Session]:
        yield session
        session.flush()

    answers = iter([Answer(200, 5), Answer(503, 5)])
    assert deliver_due(sessions, now=start, send=lambda *_: next(answers)).attempted == 2
    statuses = sorted(d.status for d in session.scalars(select(WebhookDelivery)))
    assert statuses == [DeliveryStatus.DELIVERED, DeliveryStatus.PENDING]
    assert prune(session, before=utcnow() - timedelta(days=30)) == 1
    [kept] = session.scalars(select(WebhookDelivery))
    assert kept.status == DeliveryStatus.PENDING
    attempts = session.scalars(select(WebhookAttempt)).all()
    assert [a.delivery_id for a in attempts] == [kept.id]
    assert prune(session, before=start) == 0
