"""Every endpoint has an access rule, and every rule holds for every role."""

from __future__ import annotations

import re
import secrets
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import delete
from sqlalchemy.orm import Session

from tests.factories import (
    make_enterprise,
    make_pool,
    make_program,
    make_provider,
    make_voucher,
)
from voucher_service.api import create_app
from voucher_service.db.tables.auth import AuthFailure, Role
from voucher_service.openapi import access_rule, routes

PUBLIC = {
    "/healthz",
    "/readyz",
    "/metrics",
    "/openapi.json",
    "/docs",
    "/docs/oauth2-redirect",
    "/redoc",
}


def api_routes() -> list[tuple[str, str, Any]]:
    """(method, full path, route) of every endpoint, included routers flattened."""
    return [(m.upper(), path, route) for m, path, route in routes(create_app())]


def test_every_endpoint_has_an_access_rule() -> None:
    missing = [f"{m} {p}" for m, p, r in api_routes() if p not in PUBLIC and access_rule(r) is None]
    assert missing == [], f"endpoints without an access rule: {missing}"
    assert len(api_routes()) > 40


@pytest.fixture
def world(client: TestClient, session: Session) -> dict[str, Any]:
    program = make_program(session)
    make_pool(session, program)
    mine, other = make_enterprise(session), make_enterprise(session)
    voucher = make_voucher(session, program=program, enterprise=mine)
    provider = make_provider(session, name="P", offerings=())
    rival = make_provider(session, name="Q", offerings=())
    session.commit()
    keys = {
        Role.BUREAU_ADMIN: client.key(Role.BUREAU_ADMIN, "matrix admin"),  # type: ignore[attr-defined]
        Role.BUREAU_REVIEWER: client.key(Role.BUREAU_REVIEWER, "matrix reviewer"),  # type: ignore[attr-defined]
        Role.AUDITOR: client.key(Role.AUDITOR, "matrix auditor"),  # type: ignore[attr-defined]
        Role.ENTERPRISE: client.key(Role.ENTERPRISE, mine.uscc),  # type: ignore[attr-defined]
        Role.PROVIDER: client.key(Role.PROVIDER, provider.uscc),  # type: ignore[attr-defined]
    }
    strangers = {
        "enterprise": client.key(Role.ENTERPRISE, other.uscc),  # type: ignore[attr-defined]
        "provider": client.key(Role.PROVIDER, rival.uscc),  # type: ignore[attr-defined]
    }
    return {
        "program": program.code,
        "voucher": voucher.code,
        "enterprise": mine.uscc,
        "provider": provider.uscc,
        "keys": keys,
        "strangers": strangers,
    }


def concrete(path: str, world: dict[str, Any]) -> str:
    """Fill a route's path parameters with things that exist in the world."""
    owner = "provider" if path.startswith(("/v1/provider", "/v1/admin/providers")) else "enterprise"
    values = {
        "uscc": world[owner],
        "code": world["voucher"] if path.startswith("/v1/admin/vouchers") else world["program"],
        "year": "2026",
        "record_id": "no-such-record",
        "redemption_id": "999999",
        "prefix": "nosuchkey",
        "statement_id": "999999",
        "application_id": "999999",
        "selection_id": "999999",
        "account_id": "999999",
        "fmt": "csv",
    }
    return re.sub(r"\{(\w+)\}", lambda m: values[m.group(1)], path)


def call(client: TestClient, method: str, path: str, key: str | None) -> int:
    headers = {"Authorization": f"Bearer {key}"} if key else {"Authorization": ""}
    body = {"json": {}} if method in ("POST", "PUT", "PATCH") else {}
    return client.request(method, path, headers=headers, **body).status_code


def test_every_rule_for_every_role(client: TestClient, world: dict[str, Any]) -> None:
    outcomes: list[str] = []
    for method, template, route in api_routes():
        if template in PUBLIC:
            continue
        rule = access_rule(route)
        assert rule is not None
        path = concrete(template, world)
        assert call(client, method, path, None) == 401, f"{method} {template} without a key"
        # Failures from this address are throttled past a limit (tests/auth/test_throttling.py):
        # counted afresh for each route, so that each is seen to answer 401.
        client.session.execute(delete(AuthFailure))  # type: ignore[attr-defined]
        unknown = f"vsk_{secrets.token_hex(4)}_{'x' * 40}"
        assert call(client, method, path, unknown) == 401, f"{method} {template} with a bad key"
        for role, key in world["keys"].items():
            status = call(client, method, path, key)
            if role in rule.roles:
                assert status not in (401, 403), (
                    f"{role.value} refused {method} {template}: {status}"
                )
            else:
                assert status == 403, f"{role.value} allowed {method} {template}: {status}"
            outcomes.append(f"{method} {template} {role.value} {status}")
        if rule.owner is not None:
            stranger = world["strangers"][rule.owner]
            assert call(client, method, path, stranger) == 404, f"stranger on {method} {template}"
    assert len(outcomes) == 5 * sum(1 for _, p, _ in api_routes() if p not in PUBLIC)
