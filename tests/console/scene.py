"""An SME's and a provider's month for the console's page tests: measure 2 with its 2026
pool, the enterprise of ``finance.chen`` holding a voucher redeemed with the provider of
``ops.sun``, a second provider, and usage posted through the API (one record refused)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from sqlalchemy.orm import Session

from tests.accounts.conftest import People
from tests.conftest import KeyedClient
from tests.factories import make_pool, make_program, make_provider, make_voucher, usage_on
from voucher_service.enterprises.service import get_enterprise
from voucher_service.providers.service import get_provider
from voucher_service.redemptions.service import redeem


@dataclass
class Month:
    client: KeyedClient
    program: str
    enterprise: str
    provider: str
    other_provider: str
    voucher: str

    def post(self, record_id: str, fee: str, day: str = "2026-06-10", **changes: Any) -> Any:
        body = {**usage_on(record_id, self.voucher, self.enterprise, fee, day), **changes}
        response = self.client.post(f"/v1/provider/{self.provider}/usage-records", json=body)
        assert response.status_code in (200, 201), response.text
        return response.json()

    def api(self, path: str, **params: Any) -> Any:
        response = self.client.get(path, params=params)
        assert response.status_code == 200, response.text
        return response.json()


@pytest.fixture
def month(client: KeyedClient, session: Session, people: People) -> Month:
    program = make_program(session, code="WH-AI-M2")
    make_pool(session, program)
    enterprise = get_enterprise(session, people.enterprise.enterprise_uscc or "")
    voucher = make_voucher(
        session, program=program, enterprise=enterprise, face_value_fen=50_000_00
    )
    provider = get_provider(session, people.provider.provider_uscc or "")
    other = make_provider(session, name="光谷智算")
    redeem(session, enterprise=enterprise, voucher_code=voucher.code, provider=provider)
    session.commit()
    scene = Month(client, program.code, enterprise.uscc, provider.uscc, other.uscc, voucher.code)
    scene.post("job-1", "100.00")
    scene.post("job-2", "20.00", day="2026-06-11")
    scene.post("job-3", "30.00", uscc=people.other_enterprise.enterprise_uscc)  # refused
    return scene
