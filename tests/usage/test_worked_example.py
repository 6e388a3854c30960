"""A whole story, to the fen: redeem, post usage, replay, exhaust the voucher, refund, verify."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tests.factories import Scene
from voucher_service.books import verify_ledger
from voucher_service.db.tables.ledger import LedgerPosting
from voucher_service.db.tables.usage import UsageRecord


def counts(session: Session) -> tuple[int, int]:
    return (
        session.scalar(select(func.count()).select_from(UsageRecord)) or 0,
        session.scalar(select(func.count()).select_from(LedgerPosting)) or 0,
    )


def test_the_story_of_one_voucher(scene: Scene, session: Session) -> None:
    # 1. 8 card-hours at 12.50 = 100.00: the city pays 50.00, the enterprise 50.00.
    first = scene.post("job-1")
    assert first.status_code == 201, first.text
    body = first.json()
    assert (
        body["outcome"],
        body["subsidy_yuan"],
        body["enterprise_share_yuan"],
        body["reason"],
    ) == (
        "subsidised",
        "50.00",
        "50.00",
        None,
    )
    assert body["rule_version"] == 1 and body["service_date"] == "2026-06-15"
    assert scene.voucher_state()["balance_yuan"] == "950.00"

    # 2. A retry of the same record returns the first outcome and writes nothing.
    before = counts(session)
    replay = scene.post("job-1")
    assert replay.status_code == 200 and replay.headers["Idempotent-Replay"] == "true"
    assert replay.json() == body
    assert counts(session) == before

    # 3. The same id with another body is refused; nothing changes.
    conflict = scene.post("job-1", "200.00")
    assert conflict.status_code == 409 and conflict.json()["error"]["code"] == "record_id_conflict"
    assert counts(session) == before and scene.voucher_state()["balance_yuan"] == "950.00"

    # 4. A 1,960.01 fee earns 980.00 at the full rate (rounded down), but 950.00 is left.
    partial = scene.post("job-2", "1960.01").json()
    assert (
        partial["full_subsidy_yuan"],
        partial["subsidy_yuan"],
        partial["enterprise_share_yuan"],
    ) == (
        "980.00",
        "950.00",
        "1010.01",
    )
    assert (partial["outcome"], partial["reason"]) == ("partial", "voucher_exhausted")
    refused = scene.post("job-3", "10.00").json()
    assert (refused["outcome"], refused["reason"], refused["subsidy_yuan"]) == (
        "refused",
        "voucher_exhausted",
        "0.00",
    )
    assert scene.voucher_state()["balance_yuan"] == "0.00"
    assert scene.status()["cap_used_yuan"] == "1000.00"

    # 5. 960.01 of job-2's fee is refunded: the remaining 1,000.00 earns 500.00, so 450.00 of
    #    the 950.00 goes back to the voucher and the cap.
    refund = scene.client.post(
        f"/v1/provider/{scene.provider}/adjustments",
        json={
            "record_id": "refund-2",
            "adjusts_record_id": "job-2",
            "refund_yuan": "960.01",
            "reason": "pre-empted",
        },
    )
    assert refund.status_code == 201, refund.text
    adj = refund.json()
    assert (adj["kind"], adj["adjusts_record_id"], adj["fee_yuan"], adj["subsidy_yuan"]) == (
        "adjustment",
        "job-2",
        "-960.01",
        "-450.00",
    )
    assert scene.voucher_state()["balance_yuan"] == "450.00"
    assert scene.status()["cap_used_yuan"] == "550.00"
    # Refunding more than is left of the fee is refused.
    too_much = scene.client.post(
        f"/v1/provider/{scene.provider}/adjustments",
        json={
            "record_id": "refund-2b",
            "adjusts_record_id": "job-2",
            "refund_yuan": "1000.01",
        },
    )
    assert too_much.status_code == 409 and too_much.json()["error"]["code"] == "refund_exceeds_fee"

    # 6. Both parties see the same records; the books hold.
    mine = scene.client.get(f"/v1/enterprise/{scene.enterprise}/usage-records").json()["items"]
    theirs = scene.client.get(f"/v1/provider/{scene.provider}/usage-records").json()["items"]
    assert (
        [r["record_id"] for r in mine]
        == [r["record_id"] for r in theirs]
        == ["job-1", "job-2", "job-3", "refund-2"]
    )
    assert sum(int(r["subsidy_yuan"].replace(".", "")) for r in mine) == 550_00
    assert verify_ledger(session) == []
