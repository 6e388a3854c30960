"""Hostile input (issue 11): every reproduction of the issue gets a clean 4xx in the error
shape (or, in a batch, that record's own refusal while the rest is priced), never a 500 or
503; anything unexpected is a 500 ``internal`` with its request id; every response carries
``X-Request-ID``."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from tests.factories import KeyedClient, Scene, auditor, sysadmin
from voucher_service.db.tables.auth import Role
from voucher_service.db.tables.usage import UsageRecord

TOO_BIG = str(2**63)  # one past the largest 64-bit integer
OUT_OF_RANGE = ["9999-12-31T22:00:00-10:00", "0001-01-01T00:30:00+14:00"]


def refused(response: Any, status: int = 422, code: str | None = None) -> dict[str, Any]:
    assert response.status_code == status, response.text
    error = response.json()["error"]
    assert set(error) >= {"code", "message"}
    if code is not None:
        assert error["code"] == code, error
    assert response.headers["x-request-id"]
    return error  # type: ignore[no-any-return]


def stored(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(UsageRecord)) or 0


@pytest.mark.parametrize("start", OUT_OF_RANGE)
def test_an_unpriceable_instant_is_that_records_refusal(
    scene: Scene, session: Session, start: str
) -> None:
    batch = [scene.record("ok-1"), scene.record("bad", service_start=start), scene.record("ok-2")]
    before = stored(session)
    response = scene.client.post(
        f"/v1/provider/{scene.provider}/usage-records/batch", json={"records": batch}
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["created"], body["invalid"]) == (2, 1)
    bad = body["results"][1]
    assert bad["status"] == "invalid" and bad["error"]["code"] == "invalid_time"
    assert "years 0001 to 9999" in bad["error"]["message"]
    assert stored(session) == before + 2
    # A single post of it: 422, nothing stored.
    refused(scene.post("single", service_start=start), 422, "invalid_input")
    refused(scene.post("single-end", service_end=start), 422, "invalid_input")
    assert stored(session) == before + 2


@pytest.mark.parametrize(
    "changes",
    [
        {"resource_model": "Ascend\x00910B"},
        {"resource_model": "Ascend\x1b[2J"},
        {"attributes": {"job": "a\x00b"}},
        {"attributes": {"a\x00": "b"}},
        {"attributes": {"n": 10**30}},
        {"quantity": "0"},
        {"quantity": "8\n"},
        {"fee_yuan": "100000000000.01", "unit_price_yuan": "1"},
        {"service_start": 0},
    ],
    ids=["nul", "escape", "nul-value", "nul-key", "huge-int", "zero", "newline", "huge", "epoch"],
)
def test_hostile_strings_and_magnitudes_refuse_one_record(
    scene: Scene, session: Session, changes: dict[str, Any]
) -> None:
    before = stored(session)
    batch = [scene.record("h-1"), scene.record("h-bad", **changes), scene.record("h-2")]
    response = scene.client.post(
        f"/v1/provider/{scene.provider}/usage-records/batch", json={"records": batch}
    )
    assert response.status_code == 200, response.text
    assert [r["status"] for r in response.json()["results"]] == ["created", "invalid", "created"]
    assert stored(session) == before + 2
    refused(scene.post("h-single", **changes))


def cursor_of(text: str) -> str:
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


def test_integers_past_the_database_range_are_refused(scene: Scene) -> None:
    c, provider = scene.client, f"/v1/provider/{scene.provider}"
    for path in [
        f"/v1/admin/statements/{TOO_BIG}",
        f"/v1/admin/applications?year={TOO_BIG}",
        f"/v1/admin/vouchers?program={scene.program}&year={TOO_BIG}",
        f"/v1/admin/programs/{scene.program}/pools/{TOO_BIG}",
        f"/v1/admin/audit?principal_id={TOO_BIG}",
        f"/v1/admin/applications/{TOO_BIG}",
        f"{provider}/statements/{TOO_BIG}/export",
        f"/v1/enterprise/{scene.enterprise}/applications/{TOO_BIG}",
        f"/v1/admin/vouchers?cursor={cursor_of('id:' + '9' * 30)}",
        f"/v1/admin/vouchers?cursor={cursor_of('id:' + TOO_BIG)}",
    ]:
        refused(c.get(path, headers=auditor(c) if path.startswith("/v1/admin/audit") else {}))
    refused(c.post("/v1/admin/applications/approve-bulk", json={"ids": [int(TOO_BIG)]}))
    # Past the 32-bit id columns: PostgreSQL refused a list of them (503), found by fuzzing.
    refused(c.post("/v1/admin/applications/approve-bulk", json={"ids": [2**31]}))
    refused(c.get(f"/v1/admin/statements/{2**31}"))
    refused(
        c.post(
            "/v1/admin/selections/decide-bulk", json={"ids": [int(TOO_BIG)], "decision": "selected"}
        )
    )
    refused(c.post(f"/v1/admin/accounts/{TOO_BIG}/disable", headers=sysadmin(c)))
    refused(c.post(f"/v1/enterprise/{scene.enterprise}/redemptions/{TOO_BIG}/end"))
    refused(scene.post("r-big", voucher_code=None, redemption_id=int(TOO_BIG)))
    refused(c.get(f"/v1/admin/vouchers?cursor={cursor_of('id:1')}x!"))


@pytest.mark.parametrize("cursor", ["80000000", "1a6e1db6bd22a7", "1fffffffffffff"])
def test_a_cursor_past_a_32_bit_id_column_is_the_end_of_the_list(scene: Scene, cursor: str) -> None:
    """Found by fuzzing: on PostgreSQL such a cursor was a 503 on every list of 32-bit ids."""
    for path in [
        "/v1/admin/applications",
        "/v1/admin/enterprises",
        "/v1/admin/statements",
        f"/v1/admin/programs/{scene.program}/pools",
    ]:
        response = scene.client.get(path, params={"cursor": cursor})
        assert response.status_code == 200, response.text
        assert response.json() == {"items": [], "next_cursor": None, "total": None, "page": None}
    records = f"/v1/provider/{scene.provider}/usage-records"  # 64-bit ids
    assert scene.client.get(records, params={"cursor": cursor}).json()["items"] == []


def test_control_characters_in_paths_queries_and_bodies_are_refused(scene: Scene) -> None:
    c = scene.client
    refused(c.get(f"/v1/provider/{scene.provider}/usage-records/a%00b"))
    refused(c.get("/v1/admin/audit?actor=a%00b", headers=auditor(c)))
    refused(c.get("/v1/admin/audit?target_id=%1b", headers=auditor(c)))
    refused(c.post("/v1/admin/enterprises", json={"uscc": scene.enterprise, "name": "a\x00b"}))
    refused(c.post(f"/v1/admin/vouchers/{scene.voucher}/revoke", json={"reason": "bad\x00reason"}))


def test_dates_are_refused_unless_written_as_dates(scene: Scene) -> None:
    """``GET /v1/admin/audit?to=0`` was accepted (as 1970-01-01): the schema says a date."""
    c = scene.client
    refused(c.get("/v1/admin/audit?to=0", headers=auditor(c)), 422, "invalid_time")
    refused(
        c.get("/v1/admin/audit/sample?seed=1&n=1&from=20260101", headers=auditor(c)),
        422,
        "invalid_time",
    )
    refused(c.get(f"/v1/provider/{scene.provider}/usage-records?from=1"), 422, "invalid_time")
    assert c.get("/v1/admin/audit?to=2026-06-15", headers=auditor(c)).status_code == 200


def test_anything_unexpected_is_a_500_in_the_error_shape(
    client: KeyedClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    from voucher_service.programs import router

    def broken(*_: Any, **__: Any) -> Any:
        raise RuntimeError("a bug")

    monkeypatch.setattr(router.service, "list_programs", broken)
    response = client.get("/v1/admin/programs", headers={"X-Request-ID": "trace-1"})
    error = refused(response, 500, "internal")
    assert error["request_id"] == "trace-1" == response.headers["x-request-id"]
    assert "trace-1" in error["message"]


def test_a_database_failure_at_the_gate_is_a_503_in_the_error_shape(client: KeyedClient) -> None:
    """Authentication runs before the application: the database failing there used to be
    answered outside the error handlers."""

    @contextmanager
    def unreachable() -> Iterator[Session]:
        raise OperationalError("SELECT", {}, Exception("connection refused"))
        yield  # pragma: no cover

    key = client.key(Role.BUREAU_ADMIN)
    client.app.state.auth_sessions = unreachable  # type: ignore[attr-defined]
    response = client.get("/v1/admin/programs", headers={"Authorization": f"Bearer {key}"})
    refused(response, 503, "database_unavailable")


def test_a_body_integer_is_a_json_integer(scene: Scene) -> None:
    """Found by fuzzing: ``false`` was taken for 0 and ``"2026"`` for 2026, though the schema
    says integer. And the other way (issue 20): ``2026.0`` *is* an integer to JSON Schema,
    so where the schema says integer it is taken; ``2.5`` is not."""
    c = scene.client
    snapshot = {
        "observed_at": "2026-06-15T09:00:00+08:00",
        "resource_model": "Ascend 910B",
        "total": 8,
        "available": 2,
        "utilisation_percent": 75,
        "queue_wait_seconds": 30,
        "list_price_yuan": "12.50",
    }
    telemetry = f"/v1/provider/{scene.provider}/telemetry"
    for wrong in ({"queue_wait_seconds": False}, {"total": "8"}, {"available": 2.5}):
        refused(c.post(telemetry, json={"snapshots": [{**snapshot, **wrong}]}))
    assert c.post(telemetry, json={"snapshots": [snapshot]}).status_code == 200
    integral = {**snapshot, "available": 2.0, "total": 8e0, "queue_wait_seconds": 3.0e1}
    assert c.post(telemetry, json={"snapshots": [integral]}).status_code == 200
    voucher = {
        "program_code": scene.program,
        "year": "2026",
        "uscc": scene.enterprise,
        "face_value_yuan": "10.00",
    }
    refused(c.post("/v1/admin/vouchers", json=voucher))
    issued = c.post("/v1/admin/vouchers", json={**voucher, "year": 2026.0})
    assert issued.status_code == 201, issued.text
    refused(scene.post("s-1", voucher_code=None, redemption_id=True))


def test_an_integer_too_long_to_convert_is_that_records_refusal(
    scene: Scene, session: Session
) -> None:
    """Python converts at most 4,300 digits to an int: a longer literal made the whole body
    unparseable, a 400 for the batch. Now it is a value no field takes, where it stands."""
    huge = "9" * 5000
    before = stored(session)
    batch = [
        scene.record("long-1"),
        {**scene.record("long-bad"), "attributes": "HUGE"},
        {**scene.record("long-bad-2"), "redemption_id": "HUGE", "voucher_code": None},
        scene.record("long-2"),
    ]
    body = json.dumps({"records": batch}).replace('"HUGE"', huge)
    response = scene.client.post(
        f"/v1/provider/{scene.provider}/usage-records/batch",
        content=body,
        headers={"content-type": "application/json"},
    )
    assert response.status_code == 200, response.text
    results = response.json()["results"]
    assert [r["status"] for r in results] == ["created", "invalid", "invalid", "created"]
    assert results[1]["error"]["code"] == "invalid_record"
    assert stored(session) == before + 2
    single = json.dumps({**scene.record("long-single"), "attributes": {"n": "HUGE"}})
    refused(
        scene.client.post(
            f"/v1/provider/{scene.provider}/usage-records",
            content=single.replace('"HUGE"', "-" + huge),
            headers={"content-type": "application/json"},
        ),
        422,
        "invalid_input",
    )
