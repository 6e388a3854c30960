"""The error contract and the OpenAPI schema, as clients depend on them."""

from __future__ import annotations

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from tests.factories import uscc
from voucher_service.config import get_settings
from voucher_service.db.tables.enterprises import Enterprise
from voucher_service.db.tables.ledger import LedgerPosting, PostingKind
from voucher_service.deps import SessionDep
from voucher_service.enterprises import service as enterprises


def assert_error(response, status: int, code: str) -> str:  # type: ignore[no-untyped-def]
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"error"} and set(body["error"]) == {"code", "message"}
    assert body["error"]["code"] == code and body["error"]["message"]
    return body["error"]["message"]


def test_malformed_bodies(client: TestClient) -> None:
    assert_error(
        client.post(
            "/v1/admin/enterprises",
            content=b"{not json",
            headers={"content-type": "application/json"},
        ),
        422,
        "invalid_input",
    )
    assert_error(client.post("/v1/admin/enterprises", json=[]), 422, "invalid_input")
    message = assert_error(
        client.post("/v1/admin/enterprises", json={"uscc": uscc(), "name": "x", "extra": 1}),
        422,
        "invalid_input",
    )
    assert "extra" in message


def test_credit_codes_are_checked_with_the_position(client: TestClient, session: Session) -> None:
    good = uscc()
    bad = good[:17] + ("0" if good[17] != "0" else "1")
    message = assert_error(
        client.post("/v1/admin/enterprises", json={"uscc": bad, "name": "x"}), 422, "invalid_input"
    )
    assert "position 18" in message
    message = assert_error(client.get(f"/v1/admin/enterprises/{bad}"), 422, "invalid_uscc")
    assert "position 18" in message


def test_unknown_routes_and_methods(client: TestClient) -> None:
    # The key is checked before anything else, the route included: without one, 401.
    assert_error(client.get("/v1/nothing-here"), 401, "unauthorized")
    assert_error(client.get("/v1/admin/nothing-here"), 404, "not_found")
    assert_error(client.delete("/v1/admin/programs"), 405, "method_not_allowed")


def test_a_405_names_every_method_the_path_answers(client: TestClient) -> None:
    """RFC 9110: a 405 carries Allow. Starlette named only the first route of the path."""
    response = client.delete("/v1/admin/enterprises")
    assert response.status_code == 405
    assert response.headers["allow"] == "GET, POST"
    response = client.put("/v1/admin/programs")
    assert response.headers["allow"] == "GET, POST"
    # The console answers with its own page, and the same header.
    response = client.delete("/console/sign-in")
    assert response.status_code == 405
    assert response.headers["allow"] == "GET, POST"


def test_health(client: TestClient) -> None:
    assert client.get("/healthz").json() == {"status": "ok"}


def test_openapi_money_is_a_string_with_examples(client: TestClient) -> None:
    schema = client.get("/openapi.json").json()
    issue = schema["components"]["schemas"]["VoucherIssue"]
    assert issue["properties"]["face_value_yuan"]["type"] == "string"
    assert issue["examples"]
    out = schema["components"]["schemas"]["VoucherOut"]["properties"]["balance_yuan"]
    assert out["type"] == "string"
    assert all(
        p.startswith(("/v1/", "/public/v1/", "/healthz", "/readyz")) for p in schema["paths"]
    )


def test_a_unique_key_lost_to_a_concurrent_request_is_409(
    client: TestClient, session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two registrations of one credit code at once both find it free; the second insert
    runs into the unique key and is told the enterprise now exists."""
    real = enterprises.division_code

    def rival_registers_first(code: str) -> str:
        # Between this request's check and its insert, another request writes the same code.
        session.add(Enterprise(uscc=code, name="rival", district_code=real(code)))
        session.flush()
        return real(code)

    monkeypatch.setattr(enterprises, "division_code", rival_registers_first)
    response = client.post("/v1/admin/enterprises", json={"uscc": uscc(), "name": "x"})
    message = assert_error(response, 409, "already_exists")
    assert message.startswith("enterprise with this uscc already exists")


def test_a_broken_check_is_a_bug_not_a_conflict(client: TestClient) -> None:
    """A write the schema forbids (here a posting of zero) surfaces as a server error, never
    as a 409 the client would retry."""
    app: FastAPI = client.app  # type: ignore[assignment]

    @app.post("/test/zero-posting")
    def zero_posting(session: SessionDep) -> None:
        posting = LedgerPosting(
            kind=PostingKind.FUND, from_account="budget:0", to_account="pool:0", amount_fen=0
        )
        session.add(posting)
        session.flush()

    response = TestClient(app, raise_server_exceptions=False).post("/test/zero-posting")
    assert response.status_code == 500


def test_a_page_is_at_most_the_configured_size(client: TestClient) -> None:
    largest = get_settings().page_size_max
    assert client.get("/v1/admin/vouchers", params={"limit": largest}).status_code == 200
    too_many = client.get("/v1/admin/vouchers", params={"limit": largest + 1})
    assert "limit" in assert_error(too_many, 422, "invalid_input")
