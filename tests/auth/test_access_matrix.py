"""Every endpoint has an access rule, and every rule holds for every role."""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from tests.factories import (
    make_enterprise,
    make_key,
    make_pool,
    make_program,
    make_provider,
    make_voucher,
)
from voucher_service.api import create_app
from voucher_service.db.tables.audit import AuditEntry
from voucher_service.db.tables.auth import LEGACY_DUTIES, AuthFailure, Duty, Role
from voucher_service.openapi import access_rule, routes

PUBLIC = {
    "/healthz",
    "/readyz",
    "/metrics",
    "/openapi.json",
    "/docs",
    "/docs/oauth2-redirect",
    "/redoc",
    "/redoc/redoc.standalone.js",  # ReDoc's bundle, served without its CDN logo
    # Public notice and open data (notices/router.py): no key, by design.
    "/public/v1/notices",
    "/public/v1/notices/{application_id}/objections",
    "/public/v1/figures/{program_code}/{year}",
}


@dataclass(frozen=True)
class Persona:
    """Whom a key stands for, as the access rules see it."""

    role: Role
    duties: frozenset[Duty] = frozenset()

    def __str__(self) -> str:
        return "+".join(sorted(d.value for d in self.duties)) or self.role.value


def api_routes() -> list[tuple[str, str, Any]]:
    """(method, full path, route) of every endpoint, included routers flattened."""
    return [(m.upper(), path, route) for m, path, route in routes(create_app())]


def test_every_endpoint_has_an_access_rule() -> None:
    missing = [f"{m} {p}" for m, p, r in api_routes() if p not in PUBLIC and access_rule(r) is None]
    assert missing == [], f"endpoints without an access rule: {missing}"
    assert len(api_routes()) > 40


@pytest.fixture
def access_world(client: TestClient, session: Session) -> dict[str, Any]:
    program = make_program(session)
    make_pool(session, program)
    mine, other = make_enterprise(session), make_enterprise(session)
    voucher = make_voucher(session, program=program, enterprise=mine)
    provider = make_provider(session, name="P", offerings=())
    rival = make_provider(session, name="Q", offerings=())
    session.commit()
    # Who asks: a bureau person per duty, the three legacy roles, an enterprise, a provider.
    keys = {
        Persona(Role.BUREAU, frozenset({duty})): make_key(
            session, Role.BUREAU, holder=f"matrix {duty.value}", duties=frozenset({duty})
        )
        for duty in Duty
    }
    for role, duties in LEGACY_DUTIES.items():
        keys[Persona(role, duties)] = make_key(session, role, holder=f"matrix {role.value}")
    keys[Persona(Role.ENTERPRISE)] = make_key(session, Role.ENTERPRISE, holder=mine.uscc)
    keys[Persona(Role.PROVIDER)] = make_key(session, Role.PROVIDER, holder=provider.uscc)
    session.commit()
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


def concrete(path: str, access_world: dict[str, Any]) -> str:
    """Fill a route's path parameters with things that exist in the world."""
    owner = "provider" if path.startswith(("/v1/provider", "/v1/admin/providers")) else "enterprise"
    values = {
        "uscc": access_world[owner],
        "code": access_world["voucher"]
        if path.startswith("/v1/admin/vouchers")
        else access_world["program"],
        "year": "2026",
        "record_id": "no-such-record",
        "redemption_id": "999999",
        "prefix": "nosuchkey",
        "statement_id": "999999",
        "application_id": "999999",
        "selection_id": "999999",
        "document_id": "999999",
        "objection_id": "999999",
        "account_id": "999999",
        "confirmation_id": "999999",
        "dispute_id": "999999",
        "claim_id": "999999",
        "fmt": "csv",
        "endpoint_id": "999999",
        "delivery_id": "999999",
        "grant_id": "999999",
        "milestone_id": "999999",
    }
    return re.sub(r"\{(\w+)\}", lambda m: values[m.group(1)], path)


def call(client: TestClient, method: str, path: str, key: str | None) -> int:
    headers = {"Authorization": f"Bearer {key}"} if key else {"Authorization": ""}
    body = {"json": {}} if method in ("POST", "PUT", "PATCH") else {}
    return client.request(method, path, headers=headers, **body).status_code


def test_every_rule_for_every_role(client: TestClient, access_world: dict[str, Any]) -> None:
    outcomes: list[str] = []
    for method, template, route in api_routes():
        if template in PUBLIC:
            continue
        rule = access_rule(route)
        assert rule is not None
        path = concrete(template, access_world)
        assert call(client, method, path, None) == 401, f"{method} {template} without a key"
        # Failures from this address are throttled past a limit (tests/auth/test_throttling.py):
        # counted afresh for each route, so that each is seen to answer 401.
        client.session.execute(delete(AuthFailure))  # type: ignore[attr-defined]
        unknown = f"vsk_{secrets.token_hex(4)}_{'x' * 40}"
        assert call(client, method, path, unknown) == 401, f"{method} {template} with a bad key"
        for persona, key in access_world["keys"].items():
            status = call(client, method, path, key)
            if rule.allows(persona):
                assert status not in (401, 403), f"{persona} refused {method} {template}: {status}"
            else:
                assert status == 403, f"{persona} allowed {method} {template}: {status}"
            outcomes.append(f"{method} {template} {persona} {status}")
        if rule.owner is not None:
            stranger = access_world["strangers"][rule.owner]
            assert call(client, method, path, stranger) == 404, f"stranger on {method} {template}"
    assert len(outcomes) == len(access_world["keys"]) * sum(
        1 for _, p, _ in api_routes() if p not in PUBLIC
    )


MUTATING = ("POST", "PUT", "PATCH", "DELETE")


def test_an_auditor_reads_everything_and_changes_nothing(
    client: TestClient, access_world: dict[str, Any]
) -> None:
    """The audit duty (and the legacy auditor role): every bureau read answers, every
    change (the audit log's checkpoints included) is refused 403, nothing written."""
    auditors = [k for p, k in access_world["keys"].items() if Duty.AUDIT in p.duties]
    assert len(auditors) == 2
    bureau = [(m, p) for m, p, _ in api_routes() if p.startswith("/v1/admin")]
    assert sum(m in MUTATING for m, _ in bureau) > 25
    entries = select(func.count()).select_from(AuditEntry)
    before = client.session.execute(entries).scalar()  # type: ignore[attr-defined]
    for method, template in bureau:
        path = concrete(template, access_world)
        for key in auditors:
            status = call(client, method, path, key)
            if method in MUTATING:
                assert status == 403, f"an auditor changed {method} {template}: {status}"
            else:
                assert status not in (401, 403), f"an auditor refused {method} {template}"
    assert client.session.execute(entries).scalar() == before  # type: ignore[attr-defined]
