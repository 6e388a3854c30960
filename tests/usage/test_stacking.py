"""Worked example: a district top-up stacked on the city's program (鼓励各区因地制宜出台…增强
政策协同效应). One usage record is priced by the city's measure first, then by the district's,
each from its own voucher, cap and pool; together never above the fee's combined ceiling.
Refunds give each layer back exactly; each funder gets its own statement; the books hold."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

from sqlalchemy import text
from sqlalchemy.orm import Session

from tests.factories import (
    KeyedClient,
    Scene,
    make_enterprise,
    make_pool,
    make_program,
    make_top_up,
    post_provider,
    post_redemption,
    post_voucher,
)
from voucher_service.books import verify_ledger
from voucher_service.db.tables.programs import Program

CITY_RATE, DISTRICT_RATE, CEILING = 5000, 2000, 6000  # 50%, 20%, together at most 60%


def stacked(client: KeyedClient, session: Session) -> tuple[Scene, str, Program]:
    city = make_program(session, rate_bp=CITY_RATE)
    make_pool(session, city, total_fen=1_000_000_00)
    district = make_program(session, rate_bp=DISTRICT_RATE, cap_fen=150_00)
    make_pool(session, district, total_fen=1_000_000_00)
    make_top_up(session, district, city, ceiling_bp=CEILING, today=date(2026, 1, 1))
    enterprise = make_enterprise(session, division="420111").uscc  # 洪山区
    session.commit()
    provider = post_provider(client)
    voucher = post_voucher(client, city.code, enterprise, "1000.00")
    top_up = post_voucher(client, district.code, enterprise, "150.00")
    for code in (voucher, top_up):
        post_redemption(client, enterprise, code, provider)
    scene = Scene(client, city.code, enterprise, provider, voucher)
    return scene, top_up, district


def test_a_stacked_record_is_paid_by_each_program_within_the_ceiling(
    client: KeyedClient, session: Session
) -> None:
    scene, top_up, district = stacked(client, session)
    first = scene.post("s-1", fee="1000.00")
    assert first.status_code == 201, first.text
    body = first.json()
    # The city's 50% (500.00); the district's 20% would be 200.00, but together they may
    # pay 60% of the fee: 100.00 is left for it under the ceiling.
    assert (body["subsidy_yuan"], body["enterprise_share_yuan"]) == ("500.00", "500.00")
    [layer] = body["top_ups"]
    assert (layer["voucher_code"], layer["subsidy_yuan"]) == (top_up, "100.00")
    assert (layer["outcome"], layer["reason"]) == ("partial", "stack_ceiling")
    assert body["enterprise_pays_yuan"] == "400.00"

    # The second: the city's voucher has 500.00 left (its 50% exactly); the district's cap
    # is 150.00, of which 100.00 is used: 50.00 more, short of the ceiling's 100.00.
    second = scene.post("s-2", fee="1000.00").json()
    assert second["subsidy_yuan"] == "500.00"
    assert [(t["subsidy_yuan"], t["reason"]) for t in second["top_ups"]] == [
        ("50.00", "cap_reached")
    ]
    assert second["enterprise_pays_yuan"] == "450.00"
    # A replay reads exactly like the first reply, layers included.
    replay = scene.post("s-1", fee="1000.00")
    assert (replay.status_code, replay.json()) == (200, body)
    assert verify_ledger(session) == []

    balances = {
        code: client.get(f"/v1/admin/vouchers/{code}").json()["balance_yuan"]
        for code in (scene.voucher, top_up)
    }
    assert balances == {scene.voucher: "0.00", top_up: "0.00"}

    # Half the first fee refunded: each layer keeps what the fee left earns it under its own
    # rate and the ceiling (domain/stacking.py): the city 250.00 of its 500.00, the district
    # 50.00 of its 100.00 (the ceiling on 500.00 is 300.00, after the city's 250.00).
    refund = client.post(
        f"/v1/provider/{scene.provider}/adjustments",
        json={"record_id": "s-1-r", "adjusts_record_id": "s-1", "refund_yuan": "500.00"},
    )
    assert refund.status_code == 201, refund.text
    refunded = refund.json()
    assert refunded["subsidy_yuan"] == "-250.00"
    # The reply shows every layer's reversal, and what the enterprise's payment really falls
    # by: the 500.00 refunded less the 250.00 and 50.00 of subsidy given back.
    [reversal] = refunded["top_ups"]
    assert (reversal["voucher_code"], reversal["subsidy_yuan"]) == (top_up, "-50.00")
    assert refunded["enterprise_pays_yuan"] == "-200.00"
    records = client.get(f"/v1/provider/{scene.provider}/usage-records?limit=50").json()["items"]
    layer_refunds = [r for r in records if r["kind"] == "adjustment" and "+" in r["record_id"]]
    assert [(r["subsidy_yuan"], r["fee_yuan"]) for r in layer_refunds] == [("-50.00", "0.00")]
    assert [r["record_id"] for r in layer_refunds] == [reversal["record_id"]]
    # The refund reads back as it was answered, from the list and by its id.
    [listed] = [r for r in records if r["record_id"] == "s-1-r"]
    assert listed == refunded
    assert client.get(f"/v1/provider/{scene.provider}/usage-records/s-1-r").json() == refunded
    # A layer's record is readable by its id, "+" and all.
    for layer_id in (layer["record_id"], reversal["record_id"]):
        read = client.get(f"/v1/provider/{scene.provider}/usage-records/{layer_id}")
        assert (read.status_code, read.json()["record_id"]) == (200, layer_id), read.text
    assert layer["record_id"] == f"s-1+{district.code}"
    # Ids a provider may not send are still refused when read back.
    bad = client.get(f"/v1/provider/{scene.provider}/usage-records/+s-1")
    assert bad.status_code == 422, bad.text
    assert verify_ledger(session) == []

    # Each funder is billed apart: the city's statement and the district's.
    client.app.state.clock = lambda: datetime(2026, 7, 2, 2, tzinfo=UTC)  # type: ignore[attr-defined]
    closed = client.post(
        "/v1/admin/statements", json={"provider_uscc": scene.provider, "period": "2026-06"}
    )
    assert closed.status_code == 201, closed.text
    billed = {s["program_code"]: s["subsidy_yuan"] for s in closed.json()["statements"]}
    assert billed == {scene.program: "750.00", district.code: "100.00"}
    assert verify_ledger(session) == []


def test_no_top_up_voucher_redeemed_with_the_provider_means_no_layer(
    client: KeyedClient, session: Session
) -> None:
    scene, top_up, _ = stacked(client, session)
    # Isolation: the provider may draw only on vouchers redeemed with it. With the district's
    # redemption ended, the record is the city's alone.
    [redemption] = [
        r
        for r in client.get(f"/v1/enterprise/{scene.enterprise}/redemptions").json()["items"]
        if r["voucher_code"] == top_up
    ]
    ended = client.post(f"/v1/enterprise/{scene.enterprise}/redemptions/{redemption['id']}/end")
    assert ended.status_code == 200, ended.text
    body = scene.post("n-1", fee="100.00").json()
    assert body["top_ups"] == [] and body["enterprise_pays_yuan"] == "50.00"


def test_a_batch_prices_every_stacked_record_and_reports_the_top_ups(
    client: KeyedClient, session: Session
) -> None:
    scene, _, _ = stacked(client, session)
    reply = client.post(
        f"/v1/provider/{scene.provider}/usage-records/batch",
        json={"records": [scene.record(f"b-{i}", "100.00") for i in range(3)]},
    ).json()
    assert [(r["subsidy_yuan"], r["top_up_yuan"]) for r in reply["results"]] == [
        ("50.00", "10.00"),
        ("50.00", "10.00"),
        ("50.00", "10.00"),
    ]
    assert reply["subsidy_yuan"] == "180.00"
    assert Decimal(reply["subsidy_yuan"]) == 3 * (Decimal("50.00") + Decimal("10.00"))
    assert verify_ledger(session) == []


def test_verify_names_a_top_up_above_its_rate_or_the_ceiling(
    client: KeyedClient, session: Session
) -> None:
    scene, _, _ = stacked(client, session)
    assert scene.post("t-1", fee="100.00").status_code == 201
    # A forged layer written past the service (records are append-only, but an INSERT can
    # slip in): 90.00 on a 100.00 fee is above the district's 20% and the stack's 60%.
    session.execute(
        text(
            "INSERT INTO usage_record (provider_id, record_id, body_hash, kind, original_id,"
            " voucher_id, enterprise_id, enrolment_id, cap_period, voucher_code, uscc,"
            " resource_kind, resource_model, quantity, unit, unit_price_fen, fee_fen,"
            " full_subsidy_fen, subsidy_fen, enterprise_share_fen, outcome, rule_version,"
            " ceiling_bp, stack_layer, service_start, service_end, service_date, attributes,"
            " created_at)"
            " SELECT provider_id, 'forged', body_hash, 'topup', original_id, voucher_id,"
            " enterprise_id, enrolment_id, cap_period, voucher_code, uscc, resource_kind,"
            " resource_model, quantity, unit, unit_price_fen, 0, full_subsidy_fen, 9000, -9000,"
            " outcome, rule_version, ceiling_bp, 2, service_start, service_end, service_date,"
            " attributes, created_at FROM usage_record WHERE kind = 'topup'"
        )
    )
    violations = verify_ledger(session)
    assert any("'forged'" in v and "above its rate" in v for v in violations), violations
    assert any("'t-1'" in v and "combined ceiling" in v for v in violations), violations
