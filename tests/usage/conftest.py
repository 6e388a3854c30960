"""A metering scene: a program, its 2026 pool, an enterprise with a redeemed voucher, and
a provider, built through the API as users would."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from tests.factories import make_enterprise, make_pool, make_program, uscc


@dataclass
class Scene:
    client: TestClient
    program: str
    enterprise: str
    provider: str
    voucher: str

    def record(self, record_id: str, fee: str = "100.00", **changes: Any) -> dict[str, Any]:
        """A valid usage record: 8 card-hours at 12.50 = 100.00 on the morning of June 15."""
        quantity, price = {"100.00": ("8", "12.50")}.get(fee, ("1", fee))
        body = {
            "record_id": record_id,
            "voucher_code": self.voucher,
            "uscc": self.enterprise,
            "resource_kind": "accelerator",
            "resource_model": "Ascend 910B",
            "quantity": quantity,
            "unit": "card_hour",
            "unit_price_yuan": price,
            "fee_yuan": fee,
            "service_start": "2026-06-15T08:00:00+08:00",
            "service_end": "2026-06-15T09:00:00+08:00",
            "attributes": {"job_id": record_id},
        }
        body.update(changes)
        return body

    def post(self, record_id: str, fee: str = "100.00", **changes: Any):  # type: ignore[no-untyped-def]
        return self.client.post(
            f"/v1/provider/{self.provider}/usage-records",
            json=self.record(record_id, fee, **changes),
        )

    def status(self) -> dict[str, Any]:
        response = self.client.get(
            f"/v1/enterprise/{self.enterprise}/status", params={"program": self.program}
        )
        return response.json()  # type: ignore[no-any-return]

    def voucher_state(self) -> dict[str, Any]:
        return self.client.get(f"/v1/admin/vouchers/{self.voucher}").json()  # type: ignore[no-any-return]


def register_provider(client: TestClient, code: str | None = None) -> str:
    code = code or uscc(division="420100")
    response = client.post(
        "/v1/admin/providers",
        json={
            "uscc": code,
            "name": "武汉智算中心",
            "offerings": [
                {
                    "resource_kind": "accelerator",
                    "resource_model": "Ascend 910B",
                    "unit": "card_hour",
                    "list_price_yuan": "12.50",
                }
            ],
        },
    )
    assert response.status_code == 201, response.text
    return code


def new_voucher(client: TestClient, program: str, enterprise: str, face: str) -> str:
    response = client.post(
        "/v1/admin/vouchers",
        json={
            "program_code": program,
            "year": 2026,
            "uscc": enterprise,
            "face_value_yuan": face,
            "valid_from": "2026-06-01",
        },
    )
    assert response.status_code == 201, response.text
    return response.json()["code"]  # type: ignore[no-any-return]


def redeem(client: TestClient, enterprise: str, voucher: str, provider: str) -> None:
    response = client.post(
        f"/v1/enterprise/{enterprise}/redemptions",
        json={"voucher_code": voucher, "provider_uscc": provider},
    )
    assert response.status_code == 201, response.text


@pytest.fixture
def scene(client: TestClient, session: Session) -> Scene:
    program = make_program(session)
    make_pool(session, program, total_fen=1_000_000_00)
    enterprise = make_enterprise(session).uscc
    session.commit()
    provider = register_provider(client)
    voucher = new_voucher(client, program.code, enterprise, "1000.00")
    redeem(client, enterprise, voucher, provider)
    return Scene(client, program.code, enterprise, provider, voucher)
