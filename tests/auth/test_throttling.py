"""Throttling of failed authentications that cannot be turned against a key's holder (issue
11; the same ``auth/throttle.py`` slows console passwords, tests/accounts/test_signin.py): a
correct key always authenticates; failures are slowed per key prefix and per client
address across prefixes; the counters are bounded and expire; X-Forwarded-For is believed
only from trusted proxies."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from ipaddress import ip_network

import psycopg
import pytest
from prometheus_client import REGISTRY
from sqlalchemy import event, func, select
from sqlalchemy.orm import Session

from tests.factories import NOW, Scene, make_key
from voucher_service.auth.service import _PREFIX_ALPHABET, FAILURE_LIMIT, authenticate
from voucher_service.auth.throttle import ADDRESS_FAILURE_LIMIT, FAILURE_WINDOW, address_source
from voucher_service.db.tables.auth import AuthFailure, Role
from voucher_service.errors import ServiceError, TooManyFailures, Unauthorized
from voucher_service.gate import client_address


def failures(reason: str) -> float:
    return REGISTRY.get_sample_value("voucher_auth_failures_total", {"reason": reason}) or 0.0


def wrong_secret(key: str) -> str:
    return f"vsk_{key.split('_')[1]}_{'x' * 43}"


def random_key() -> str:
    prefix = "".join(secrets.choice(_PREFIX_ALPHABET) for _ in range(8))
    return f"vsk_{prefix}_{secrets.token_urlsafe(32)}"


def outcome(session: Session, key: str, client: str, now: datetime = NOW) -> int:
    """200, 401 or 429, as the gate would answer."""
    try:
        authenticate(session, key, now=now, client=client)
    except ServiceError as exc:
        assert isinstance(exc, Unauthorized | TooManyFailures)
        return exc.status
    return 200


def counters(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(AuthFailure)) or 0


def test_wrong_secrets_on_a_prefix_never_lock_its_holder_out(scene: Scene) -> None:
    """The reproduction: ten wrong secrets for B's (public) prefix from one address, then
    B's correct key from that same address. It used to get 429 for 15 minutes."""
    c = scene.client
    path = f"/v1/provider/{scene.provider}/redemptions"
    real = c.key(Role.PROVIDER, scene.provider)  # type: ignore[attr-defined]
    wrong = {"Authorization": f"Bearer {wrong_secret(real)}"}
    unknown_before, throttled_before = failures("unknown"), failures("throttled")
    for _ in range(FAILURE_LIMIT):
        assert c.get(path, headers=wrong).status_code == 401
    assert failures("unknown") == unknown_before + FAILURE_LIMIT
    # The wrong secret is slowed from now on...
    refused = c.get(path, headers=wrong)
    assert refused.status_code == 429 and refused.json()["error"]["code"] == "too_many_failures"
    assert 0 < int(refused.headers["Retry-After"]) <= FAILURE_WINDOW.total_seconds() + 1
    assert failures("throttled") == throttled_before + 1
    # ... and the correct key, from the same address, is served as ever.
    assert c.get(path, headers={"Authorization": f"Bearer {real}"}).status_code == 200
    # Once the window has passed, the wrong secret is a plain 401 again.
    c.app.state.clock = lambda: NOW + FAILURE_WINDOW + timedelta(seconds=1)  # type: ignore[attr-defined]
    assert c.get(path, headers=wrong).status_code == 401


def test_a_prefix_is_throttled_across_addresses(session: Session) -> None:
    real = make_key(session, Role.AUDITOR, holder="target")
    wrong = wrong_secret(real)
    answers = [outcome(session, wrong, f"203.0.113.{i}") for i in range(FAILURE_LIMIT + 3)]
    assert answers == [401] * FAILURE_LIMIT + [429] * 3
    assert outcome(session, real, "203.0.113.99") == 200  # the holder, from anywhere


def test_rotating_prefixes_from_one_address_is_throttled_and_stores_one_counter(
    session: Session,
) -> None:
    answers = [
        outcome(session, random_key(), "198.51.100.7") for _ in range(ADDRESS_FAILURE_LIMIT + 5)
    ]
    assert answers == [401] * ADDRESS_FAILURE_LIMIT + [429] * 5
    # Unknown prefixes get no counter of their own: one row, the address's.
    assert counters(session) == 1
    # A key of this address's own holder still works.
    assert outcome(session, make_key(session, Role.AUDITOR, holder="me"), "198.51.100.7") == 200
    # Another address is not affected.
    assert outcome(session, random_key(), "198.51.100.8") == 401


def test_an_ipv6_client_is_counted_by_its_network() -> None:
    assert address_source("2001:db8:1:2::1") == address_source("2001:db8:1:2:ffff::9")
    assert address_source("2001:db8:1:2::1") != address_source("2001:db8:1:3::1")
    assert address_source("192.0.2.1") != address_source("192.0.2.2")


def test_counters_expire_and_storage_stays_bounded(session: Session) -> None:
    for i in range(50):
        outcome(session, random_key(), f"192.0.2.{i}")
    assert counters(session) == 50  # one per address that failed in this window
    later = NOW + FAILURE_WINDOW + timedelta(seconds=1)
    outcome(session, random_key(), "192.0.2.200", now=later)
    assert counters(session) == 1  # the expired ones were deleted by the next failure


@contextmanager
def statements(session: Session) -> Iterator[list[str]]:
    """Every statement sent to the database meanwhile: through SQLAlchemy, and on PostgreSQL
    straight through psycopg too (the hot path's fixed queries, ``db.statements.first_row``)."""
    seen: list[str] = []

    def record(_conn, _cursor, statement, *_args) -> None:  # type: ignore[no-untyped-def]
        seen.append(statement)

    sent_directly = psycopg.Cursor.execute

    def execute(cursor, query, *args, **kwargs):  # type: ignore[no-untyped-def]
        if not getattr(cursor, "_through_sqlalchemy", False):
            seen.append(str(query))
        return sent_directly(cursor, query, *args, **kwargs)

    engine = session.get_bind()
    event.listen(engine, "before_cursor_execute", record)
    event.listen(engine, "before_cursor_execute", _mark, retval=False)
    psycopg.Cursor.execute = execute  # type: ignore[method-assign]
    try:
        yield seen
    finally:
        psycopg.Cursor.execute = sent_directly  # type: ignore[method-assign]
        event.remove(engine, "before_cursor_execute", _mark)
        event.remove(engine, "before_cursor_execute", record)


def _mark(_conn, cursor, *_args) -> None:  # type: ignore[no-untyped-def]
    """A cursor SQLAlchemy executes on is counted by its own event, not twice."""
    if isinstance(cursor, psycopg.Cursor):
        cursor._through_sqlalchemy = True


def test_a_correct_key_is_one_query_even_under_attack(session: Session) -> None:
    real = make_key(session, Role.AUDITOR, holder="busy")
    for _ in range(FAILURE_LIMIT + 2):
        outcome(session, wrong_secret(real), "192.0.2.50")
    outcome(session, real, "192.0.2.50")  # the first use stamps last_used_at
    with statements(session) as seen:
        assert outcome(session, real, "192.0.2.50") == 200
    assert len(seen) == 1 and seen[0].lstrip().upper().startswith("SELECT")


def test_missing_and_malformed_keys_are_counted(scene: Scene) -> None:
    missing, malformed = failures("missing"), failures("malformed")
    assert scene.client.get("/v1/admin/vouchers", headers={"Authorization": ""}).status_code == 401
    for nonsense in ("Bearer nonsense", "Bearer vsk_AAAA\x00AAA_" + "x" * 40):
        response = scene.client.get("/v1/admin/vouchers", headers={"Authorization": nonsense})
        assert response.status_code == 401
    assert (failures("missing"), failures("malformed")) == (missing + 1, malformed + 2)


def test_forwarded_for_is_ignored_unless_the_peer_is_a_trusted_proxy(scene: Scene) -> None:
    """Without trusted proxies (the default), X-Forwarded-For changes nothing: an attacker
    rotating it is still one address."""
    c = scene.client
    for i in range(ADDRESS_FAILURE_LIMIT):
        headers = {"Authorization": f"Bearer {random_key()}", "X-Forwarded-For": f"10.9.0.{i}"}
        assert c.get("/v1/admin/vouchers", headers=headers).status_code == 401
    headers = {"Authorization": f"Bearer {random_key()}", "X-Forwarded-For": "10.9.1.1"}
    assert c.get("/v1/admin/vouchers", headers=headers).status_code == 429


@pytest.mark.parametrize(
    ("peer", "forwarded", "seen"),
    [
        ("203.0.113.5", "198.51.100.1", "203.0.113.5"),  # not a proxy: header ignored
        ("10.0.0.2", "198.51.100.1", "198.51.100.1"),  # the proxy's word
        ("10.0.0.2", "6.6.6.6, 198.51.100.1", "198.51.100.1"),  # a forged first hop
        ("10.0.0.2", "198.51.100.1, 10.0.0.3", "198.51.100.1"),  # two proxies
        ("10.0.0.2", "", "10.0.0.2"),
    ],
)
def test_the_client_address_behind_trusted_proxies(peer: str, forwarded: str, seen: str) -> None:
    headers = [(b"x-forwarded-for", forwarded.encode())] if forwarded else []
    scope = {"client": (peer, 4000), "headers": headers}
    assert client_address(scope, (ip_network("10.0.0.0/24"),)) == seen
    assert client_address(scope, ()) == peer  # the default: no proxy trusted
