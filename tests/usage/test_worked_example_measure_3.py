"""Measure 3, a whole story to the fen: 对遴选的垂直行业模型…每年50%、最长三年、累计最高500万元.

A model developer applies for selection (遴选), is selected in the 2025 batch, is issued a
voucher, redeems it and posts usage; in 2026 it must be selected again before a voucher is
issued, reaches the 5,000,000-yuan cap across the two years, has usage refunded, and only
when the refunded subsidy returns to the pool (expiry) may a 2027 voucher carry it on.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from tests.factories import (
    make_enterprise,
    make_pool,
    post_provider,
    post_redemption,
    usage_on,
    uscc,
)
from voucher_service.books import verify_ledger
from voucher_service.deps import now
from voucher_service.programs.service import get_program
from voucher_service.vouchers.service import expire_vouchers

MEASURE_3 = {
    "code": "WH-AI-M3",
    "name": "垂直行业模型算力补助",
    "valid_from": "2025-03-19",
    "valid_to": "2027-03-18",
    "rules": {
        "effective_from": "2025-03-19",
        "rate_bp": 5000,
        "cap_yuan": "5000000.00",
        "cap_scope": "lifetime",
        "window_months": 36,
        "pool_minimum_yuan": "0",
    },
    "requires_selection": True,
    "sme_max_headcount": 100000,
    "sme_max_revenue_yuan": "100000000000.00",
}


class Story:
    """The API at a moment of the story (the clock is moved as the years pass)."""

    def __init__(self, client: TestClient, enterprise: str, provider: str) -> None:
        self.client, self.enterprise, self.provider = client, enterprise, provider

    def at(self, moment: datetime) -> None:
        self.client.app.dependency_overrides[now] = lambda: moment  # type: ignore[attr-defined]

    def ok(self, response: Any, status: int = 200) -> dict[str, Any]:
        assert response.status_code == status, response.text
        return response.json()  # type: ignore[no-any-return]

    def refused(self, response: Any, status: int, code: str) -> str:
        assert (response.status_code, response.json()["error"]["code"]) == (status, code)
        return str(response.json()["error"]["message"])

    def apply_and_select(self, year: int) -> dict[str, Any]:
        applied = self.ok(
            self.client.post(
                f"/v1/enterprise/{self.enterprise}/selections",
                json={
                    "program_code": "WH-AI-M3",
                    "year": year,
                    "model_name": "钢铁表面缺陷检测大模型",
                    "sector": "manufacturing",
                    "filing_reference": "Hubei-SteelVision-20250301",
                },
            ),
            201,
        )
        assert applied["status"] == "submitted" and applied["eligible"], applied
        batch = self.ok(
            self.client.post(
                "/v1/admin/selections/decide-bulk",
                json={"ids": [applied["id"]], "decision": "selected", "reason": f"{year} batch"},
            )
        )
        assert [(r["ok"], r["selection"]["status"]) for r in batch] == [(True, "selected")]
        return applied

    def issue(self, year: int, face: str, valid_from: str) -> Any:
        return self.client.post(
            "/v1/admin/vouchers",
            json={
                "program_code": "WH-AI-M3",
                "year": year,
                "uscc": self.enterprise,
                "face_value_yuan": face,
                "valid_from": valid_from,
            },
        )

    def post(self, record_id: str, voucher: str, fee: str, day: str) -> dict[str, Any]:
        return self.ok(
            self.client.post(
                f"/v1/provider/{self.provider}/usage-records",
                json=usage_on(record_id, voucher, self.enterprise, fee, day),
            ),
            201,
        )

    def refund(self, record_id: str, adjusts: str, amount: str) -> dict[str, Any]:
        return self.ok(
            self.client.post(
                f"/v1/provider/{self.provider}/adjustments",
                json={"record_id": record_id, "adjusts_record_id": adjusts, "refund_yuan": amount},
            ),
            201,
        )

    def cap_used(self) -> str:
        status = self.ok(
            self.client.get(
                f"/v1/enterprise/{self.enterprise}/status", params={"program": "WH-AI-M3"}
            )
        )
        return str(status["cap_used_yuan"])

    def voucher(self, code: str) -> dict[str, Any]:
        return self.ok(self.client.get(f"/v1/admin/vouchers/{code}"))


def test_measure_3_from_selection_to_the_cap_across_years(
    client: TestClient, session: Session
) -> None:
    program = client.post("/v1/admin/programs", json=MEASURE_3)
    assert program.status_code == 201, program.text
    m3 = get_program(session, "WH-AI-M3")
    for year in (2025, 2026, 2027):
        make_pool(session, m3, year=year, total_fen=100_000_000_00, today=date(2025, 4, 1))
    developer = make_enterprise(session, name="武汉钢铁视觉智能有限公司", division="420111").uscc
    session.commit()
    provider = post_provider(client, uscc(division="420100"))
    story = Story(client, developer, provider)

    # 2025. Not selected yet: no voucher, and nothing written.
    story.at(datetime(2025, 4, 1, 2, 0, tzinfo=UTC))
    message = story.refused(story.issue(2025, "3000000.00", "2025-04-01"), 409, "not_selected")
    assert "not selected for WH-AI-M3 in 2025" in message
    assert story.ok(client.get("/v1/admin/programs/WH-AI-M3/pools/2025"))["issued_yuan"] == "0.00"
    story.apply_and_select(2025)
    v2025 = story.ok(story.issue(2025, "3000000.00", "2025-04-01"), 201)["code"]
    post_redemption(client, developer, v2025, provider)
    story.at(datetime(2025, 6, 1, 2, 0, tzinfo=UTC))
    # 4,000,000.01 yuan of compute: half, rounded down to the fen.
    first = story.post("m3-2025-05", v2025, "4000000.01", "2025-05-10")
    assert (first["subsidy_yuan"], first["enterprise_share_yuan"]) == ("2000000.00", "2000000.01")
    # 2,400,000.00 more would earn 1,200,000.00, but 1,000,000.00 is left on the voucher.
    second = story.post("m3-2025-05b", v2025, "2400000.00", "2025-05-20")
    assert (second["outcome"], second["reason"], second["subsidy_yuan"]) == (
        "partial",
        "voucher_exhausted",
        "1000000.00",
    )
    assert story.cap_used() == "3000000.00"

    # 2026. Selection is yearly: the 2025 batch does not carry a 2026 voucher.
    story.at(datetime(2026, 2, 1, 2, 0, tzinfo=UTC))
    story.refused(story.issue(2026, "1000000.00", "2026-02-01"), 409, "not_selected")
    story.apply_and_select(2026)
    # The cap is cumulative across years: 5,000,000 - 3,000,000 used = 2,000,000.00 at most.
    message = story.refused(story.issue(2026, "2000000.01", "2026-02-01"), 409, "cap_exceeded")
    assert "at most 2000000.00 yuan more" in message
    v2026 = story.ok(story.issue(2026, "2000000.00", "2026-02-01"), 201)["code"]
    post_redemption(client, developer, v2026, provider)
    story.at(datetime(2026, 3, 1, 2, 0, tzinfo=UTC))
    third = story.post("m3-2026-02", v2026, "5000000.00", "2026-02-15")
    assert (third["full_subsidy_yuan"], third["subsidy_yuan"], third["reason"]) == (
        "2500000.00",
        "2000000.00",
        "cap_reached",
    )
    assert story.cap_used() == "5000000.00"
    after_cap = story.post("m3-2026-02b", v2026, "100.00", "2026-02-20")
    assert (after_cap["outcome"], after_cap["subsidy_yuan"]) == ("refused", "0.00")

    # Refunds: 1,000,000.00 back leaves a 4,000,000.00 fee that still earns the 2,000,000.00
    # paid; 1,000,000.02 more leaves 2,999,999.98, which earns 1,499,999.99: 500,000.01
    # returns to the voucher and to the cap.
    assert story.refund("m3-refund-1", "m3-2026-02", "1000000.00")["subsidy_yuan"] == "0.00"
    assert story.refund("m3-refund-2", "m3-2026-02", "1000000.02")["subsidy_yuan"] == "-500000.01"
    assert story.voucher(v2026)["balance_yuan"] == "500000.01"
    assert story.cap_used() == "4499999.99"

    # 2027. The unspent 500,000.01 is still promised by the 2026 voucher: no 2027 voucher yet.
    story.at(datetime(2027, 1, 5, 2, 0, tzinfo=UTC))
    story.apply_and_select(2027)
    story.refused(story.issue(2027, "500000.01", "2027-01-05"), 409, "cap_exceeded")
    # The 2026 voucher expires after its grace period; its balance returns to the 2026 pool,
    # and the cap room it held can be issued from the 2027 pool.
    assert (
        expire_vouchers(session, today=date(2027, 2, 1), grace_days=30).released_fen == 500_000_01
    )
    session.commit()
    story.at(datetime(2027, 2, 1, 2, 0, tzinfo=UTC))
    v2027 = story.ok(story.issue(2027, "500000.01", "2027-02-01"), 201)
    assert (v2027["valid_from"], v2027["valid_to"]) == ("2027-02-01", "2027-03-18")
    story.refused(story.issue(2027, "0.01", "2027-02-01"), 409, "cap_exceeded")

    pools = {
        year: story.ok(client.get(f"/v1/admin/programs/WH-AI-M3/pools/{year}"))
        for year in (2025, 2026, 2027)
    }
    assert [(p["consumed_yuan"], p["outstanding_yuan"]) for p in pools.values()] == [
        ("3000000.00", "0.00"),
        ("1499999.99", "0.00"),
        ("0.00", "500000.01"),
    ]
    assert pools[2026]["released_yuan"] == "500000.01"
    assert verify_ledger(session) == []
