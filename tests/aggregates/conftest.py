"""A year of books to aggregate, made through the API as the bureau, enterprises and providers
make it: two programs with a 2026 pool each, enterprises in three districts (two approved on
applications with their size classes, one issued a voucher directly), two providers, usage in
May and June, a refund, an enterprise past 80% of its cap, and a revoked voucher."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from sqlalchemy.orm import Session

from tests.conftest import KeyedClient
from tests.factories import make_application, make_enterprise, make_pool, make_program, usage_on
from tests.usage.conftest import redeem, register_provider
from voucher_service.db.tables.applications import SizeClass

HONGSHAN, CITY, WUCHANG = "420111", "420100", "420106"


@dataclass
class Books:
    client: KeyedClient
    small_cap: str  # program code: a 1,000-yuan cap, so an enterprise gets near it
    other: str  # program code: the default cap
    providers: tuple[str, str]
    enterprises: dict[str, str]  # name -> credit code
    vouchers: dict[str, str]  # name -> voucher code

    def post(self, provider: str, record_id: str, voucher: str, fee: str, day: str) -> None:
        holder = self.enterprises[voucher]
        body = usage_on(record_id, self.vouchers[voucher], holder, fee, day)
        response = self.client.post(f"/v1/provider/{provider}/usage-records", json=body)
        assert response.status_code == 201, response.text

    def aggregates(self, program: str, year: int = 2026) -> dict:  # type: ignore[type-arg]
        response = self.client.get(f"/v1/admin/programs/{program}/pools/{year}/aggregates")
        assert response.status_code == 200, response.text
        return response.json()  # type: ignore[no-any-return]


def _voucher(client: KeyedClient, program: str, uscc: str, face: str, valid_from: str) -> str:
    response = client.post(
        "/v1/admin/vouchers",
        json={
            "program_code": program,
            "year": 2026,
            "uscc": uscc,
            "face_value_yuan": face,
            "valid_from": valid_from,
        },
    )
    assert response.status_code == 201, response.text
    return response.json()["code"]  # type: ignore[no-any-return]


@pytest.fixture
def books(client: KeyedClient, session: Session) -> Books:
    small_cap = make_program(session, cap_fen=1_000_00)
    other = make_program(session)
    make_pool(session, small_cap, total_fen=100_000_00)
    make_pool(session, other, total_fen=500_000_00)
    hongshan = make_enterprise(session, name="洪山智能", division=HONGSHAN)
    city = make_enterprise(session, name="光谷数据", division=CITY)
    wuchang = make_enterprise(session, name="武昌模型", division=WUCHANG)
    applied = {
        "hongshan": make_application(
            session, program=small_cap, enterprise=hongshan, requested_fen=900_00
        ),
        "city": make_application(
            session,
            program=small_cap,
            enterprise=city,
            requested_fen=500_00,
            size_class=SizeClass.MICRO,
            headcount=8,
        ),
    }
    session.commit()
    a, b = register_provider(client), register_provider(client)
    vouchers = {}
    for name, application in applied.items():
        approved = client.post(f"/v1/admin/applications/{application.id}/approve", json={})
        assert approved.status_code == 200, approved.text
        vouchers[name] = approved.json()["voucher_code"]
    vouchers["wuchang"] = _voucher(client, small_cap.code, wuchang.uscc, "300.00", "2026-05-01")
    vouchers["wuchang-other"] = _voucher(client, other.code, wuchang.uscc, "2000.00", "2026-05-01")
    vouchers["revoked"] = _voucher(client, other.code, hongshan.uscc, "1000.00", "2026-06-01")
    enterprises = {
        "hongshan": hongshan.uscc,
        "city": city.uscc,
        "wuchang": wuchang.uscc,
        "wuchang-other": wuchang.uscc,
        "revoked": hongshan.uscc,
    }
    for name, provider in (
        ("hongshan", a),
        ("city", b),
        ("wuchang", a),
        ("wuchang", b),
        ("wuchang-other", b),
        ("revoked", a),
    ):
        redeem(client, enterprises[name], vouchers[name], provider)
    books = Books(client, small_cap.code, other.code, (a, b), enterprises, vouchers)
    books.post(a, "hs-1", "hongshan", "1700.00", "2026-06-15")  # 850.00: 85% of the cap
    books.post(b, "gd-1", "city", "201.00", "2026-06-15")  # 100.50
    books.post(a, "wc-1", "wuchang", "100.00", "2026-05-20")  # 50.00
    books.post(b, "wc-2", "wuchang", "80.00", "2026-06-02")  # 40.00
    books.post(b, "wo-1", "wuchang-other", "1000.00", "2026-05-10")  # 500.00
    books.post(a, "rv-1", "revoked", "300.00", "2026-06-10")  # 150.00, then revoked
    refund = client.post(
        f"/v1/provider/{a}/adjustments",
        json={"record_id": "wc-1-r", "adjusts_record_id": "wc-1", "refund_yuan": "40.00"},
    )
    assert refund.status_code == 201, refund.text  # 20.00 given back
    revoked = client.post(
        f"/v1/admin/vouchers/{vouchers['revoked']}/revoke", json={"reason": "deregistered"}
    )
    assert revoked.status_code == 200, revoked.text
    return books
