"""Batches: each record has its own outcome; a bad one never blocks or rolls back the others."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from tests.factories import Scene, uscc
from voucher_service.books import verify_ledger


def batch(scene: Scene, records: list[Any]):  # type: ignore[no-untyped-def]
    return scene.client.post(
        f"/v1/provider/{scene.provider}/usage-records/batch", json={"records": records}
    )


def test_mixed_batch(scene: Scene, session: Session) -> None:
    assert scene.post("old-1").status_code == 201
    records = [
        scene.record("b-1"),
        scene.record("b-2", "10.00"),
        {**scene.record("b-3"), "fee_yuan": "abc"},  # invalid
        scene.record("b-1"),  # the same record again in the same batch: a replay
        scene.record("b-2", "20.00"),  # same id, other body, same batch: a conflict
        scene.record("old-1", "30.00"),  # same id as a stored record, other body
        scene.record("b-4", uscc=uscc()),  # refused, stored
        "not even an object",
        scene.record("old-1"),  # a replay of a stored record
    ]
    response = batch(scene, records)
    assert response.status_code == 200, response.text
    body = response.json()
    statuses = [(r["index"], r["record_id"], r["status"]) for r in body["results"]]
    assert statuses == [
        (0, "b-1", "created"),
        (1, "b-2", "created"),
        (2, "b-3", "invalid"),
        (3, "b-1", "replayed"),
        (4, "b-2", "conflict"),
        (5, "old-1", "conflict"),
        (6, "b-4", "created"),
        (7, None, "invalid"),
        (8, "old-1", "replayed"),
    ]
    assert (body["created"], body["replayed"], body["conflicts"], body["invalid"]) == (3, 2, 2, 2)
    assert body["subsidy_yuan"] == "55.00"  # 50.00 + 5.00; b-4 refused
    assert "fee_yuan" in body["results"][2]["error"]["message"]
    assert (body["results"][6]["outcome"], body["results"][6]["reason"]) == (
        "refused",
        "uscc_mismatch",
    )
    first = body["results"][0]
    assert (
        first["outcome"],
        first["fee_yuan"],
        first["subsidy_yuan"],
        first["enterprise_share_yuan"],
    ) == (
        "subsidised",
        "100.00",
        "50.00",
        "50.00",
    )
    assert body["results"][2]["subsidy_yuan"] is None  # invalid: nothing priced
    assert scene.voucher_state()["balance_yuan"] == "895.00"  # 1000 - 50 (old-1) - 50 - 5

    again = batch(scene, records).json()
    assert (again["created"], again["replayed"], again["subsidy_yuan"]) == (0, 5, "0.00")
    assert scene.voucher_state()["balance_yuan"] == "895.00"
    assert verify_ledger(session) == []


def test_malformed_batches_are_refused_whole(scene: Scene) -> None:
    url = f"/v1/provider/{scene.provider}/usage-records/batch"
    for body in (
        {"records": "x"},
        {"records": []},
        [scene.record("a")],
        {"rows": []},
        {"records": [scene.record("a")] * 10_001},
    ):
        response = scene.client.post(url, json=body)
        assert response.status_code == 422, body if not isinstance(body, dict) else list(body)
        assert response.json()["error"]["code"] == "invalid_input"
    assert scene.client.get(f"/v1/provider/{scene.provider}/usage-records").json()["items"] == []


def test_a_full_batch_of_ten_thousand(scene: Scene, session: Session) -> None:
    # 0.02 yuan each: 0.01 of subsidy per record, 100.00 in all.
    records = [scene.record(f"n-{i}", "0.02") for i in range(10_000)]
    body = batch(scene, records).json()
    assert (body["created"], body["subsidy_yuan"]) == (10_000, "100.00")
    assert scene.voucher_state()["balance_yuan"] == "900.00"
    assert scene.status()["cap_used_yuan"] == "100.00"
    page = scene.client.get(
        f"/v1/provider/{scene.provider}/usage-records", params={"limit": 500}
    ).json()
    assert len(page["items"]) == 500 and page["next_cursor"]
    assert verify_ledger(session) == []


def test_csv_export(scene: Scene) -> None:
    scene.post("c-1")
    scene.post("c-2", uscc=uscc())
    english = scene.client.get(f"/v1/provider/{scene.provider}/usage-records.csv")
    assert english.status_code == 200 and english.headers["content-type"].startswith("text/csv")
    lines = english.content.decode("utf-8-sig").splitlines()
    assert lines[0].startswith("record_id,kind,adjusts_record_id,service_date")
    assert lines[1].split(",")[11:14] == ["100.00", "50.00", "50.00"]
    assert "uscc_mismatch" in lines[2]
    chinese = scene.client.get(
        f"/v1/provider/{scene.provider}/usage-records.csv", params={"headers": "zh"}
    )
    zh_lines = chinese.content.decode("utf-8-sig").splitlines()
    assert zh_lines[0].startswith("记录编号,类型")
    assert zh_lines[1].split(",")[1] == "计量" and "全额补贴" in zh_lines[1]
    assert "不予补贴" in zh_lines[2] and "信用代码与持券企业不符" in zh_lines[2]
    refused = scene.client.get(
        f"/v1/provider/{scene.provider}/usage-records", params={"outcome": "refused"}
    ).json()
    assert [r["record_id"] for r in refused["items"]] == ["c-2"]


def test_listing_filters(scene: Scene) -> None:
    scene.post("f-1")
    scene.post(
        "f-2", service_start="2026-06-14T08:00:00+08:00", service_end="2026-06-14T09:00:00+08:00"
    )
    url = f"/v1/provider/{scene.provider}/usage-records"

    def ids(**params: str) -> list[str]:
        return [r["record_id"] for r in scene.client.get(url, params=params).json()["items"]]

    assert ids() == ["f-1", "f-2"]
    assert ids(**{"from": "2026-06-15"}) == ["f-1"]
    assert ids(to="2026-06-14") == ["f-2"]
    assert ids(voucher=scene.voucher.lower()) == ["f-1", "f-2"]
    bad = scene.client.get(url, params={"voucher": "0000"})
    assert (bad.status_code, bad.json()["error"]["code"]) == (422, "invalid_voucher_code")
    mine = scene.client.get(
        f"/v1/enterprise/{scene.enterprise}/usage-records", params={"to": "2026-06-14"}
    )
    assert [r["record_id"] for r in mine.json()["items"]] == ["f-2"]
