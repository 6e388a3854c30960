"""The access log: a line a request from the gate, with its id, principal and latency, as
text or JSON."""

from __future__ import annotations

import json
import logging
import logging.config

import pytest

from tests.factories import KeyedClient
from voucher_service.logs import logging_config


def test_the_access_log_names_request_principal_route_and_latency(
    client: KeyedClient, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO, logger="voucher_service.access"):
        response = client.get("/v1/admin/programs", headers={"x-request-id": "trace-7"})
    assert response.status_code == 200
    [record] = [r for r in caplog.records if r.name == "voucher_service.access"]
    assert record.request_id == "trace-7"  # type: ignore[attr-defined]
    assert record.route == "/v1/admin/programs"  # type: ignore[attr-defined]
    assert record.status == 200  # type: ignore[attr-defined]
    assert record.principal == "bureau_admin:test admin"  # type: ignore[attr-defined]
    assert record.latency_ms >= 0  # type: ignore[attr-defined]


@pytest.mark.parametrize("log_format", ["json", "text"])
def test_each_format_writes_the_access_fields(
    log_format: str, capsys: pytest.CaptureFixture[str]
) -> None:
    logging.config.dictConfig(logging_config(log_format))  # type: ignore[arg-type]
    try:
        logging.getLogger("voucher_service.access").info(
            "GET /v1/x 200",
            extra={
                "request_id": "r-1",
                "method": "GET",
                "route": "/v1/x",
                "status": 200,
                "latency_ms": 1.5,
                "principal": "provider:91420100MA00000011",
            },
        )
    finally:
        logging.config.dictConfig({"version": 1, "disable_existing_loggers": False})
    line = capsys.readouterr().err.strip().splitlines()[-1]
    if log_format == "json":
        entry = json.loads(line)
        assert entry["request_id"] == "r-1" and entry["status"] == 200
        assert entry["principal"] == "provider:91420100MA00000011"
        assert entry["level"] == "info" and entry["message"] == "GET /v1/x 200"
    else:
        assert "request_id=r-1" in line and "latency_ms=1.5" in line and "status=200" in line
