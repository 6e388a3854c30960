"""Audit samples for the third-party auditor: the same seed draws the same records (on either
database: the draw is Python's, over the ids in order), each with its evidence; as JSON, CSV
and XLSX."""

from __future__ import annotations

import csv
import io
import random
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook
from sqlalchemy.orm import Session

from tests.factories import (
    auditor,
    make_enterprise,
    make_pool,
    make_program,
    make_voucher,
    post_provider,
    post_redemption,
    usage_on,
    uscc,
)
from voucher_service.audit import commands, sampling
from voucher_service.audit.sample_export import RECORD_COLUMNS
from voucher_service.domain.codes import new_voucher_code

DAYS = ["2026-06-0" + str(d) for d in range(1, 9)]


class Scene:
    """Eight priced records (job-0 .. job-7) on two programs' vouchers, one refused record
    (never drawn: it was not priced), and a refund of job-1."""

    def __init__(self, client: TestClient, session: Session) -> None:
        self.client = client
        self.program = make_program(session)
        self.other = make_program(session)
        for program in (self.program, self.other):
            make_pool(session, program)
        holder = make_enterprise(session)
        self.vouchers = [
            make_voucher(session, program=p, enterprise=holder, today=date(2026, 6, 1))
            for p in (self.program, self.other)
        ]
        self.holder = holder.uscc
        session.commit()
        self.provider = post_provider(client, uscc(division="420100"))
        for voucher in self.vouchers:
            post_redemption(client, self.holder, voucher.code, self.provider)
        for i, day in enumerate(DAYS):
            voucher = self.vouchers[0] if i < 6 else self.vouchers[1]
            self.post(f"job-{i}", voucher.code, day)
        refused = self.post("job-refused", new_voucher_code(), DAYS[0])
        assert (refused["outcome"], refused["reason"]) == ("refused", "unknown_voucher")
        refund = client.post(
            f"/v1/provider/{self.provider}/adjustments",
            json={"record_id": "refund-1", "adjusts_record_id": "job-1", "refund_yuan": "40.00"},
        )
        assert refund.status_code == 201, refund.text

    def post(self, record_id: str, code: str, day: str) -> dict[str, Any]:
        response = self.client.post(
            f"/v1/provider/{self.provider}/usage-records",
            json=usage_on(record_id, code, self.holder, "100.00", day),
        )
        assert response.status_code == 201, response.text
        return response.json()  # type: ignore[no-any-return]

    def sample(self, **params: Any) -> Any:
        return self.client.get(
            "/v1/admin/audit/sample", params=params, headers=auditor(self.client)
        )


@pytest.fixture
def sampling_scene(client: TestClient, session: Session) -> Scene:
    return Scene(client, session)


def test_the_same_seed_draws_the_same_records(sampling_scene: Scene, session: Session) -> None:
    first = sampling_scene.sample(seed=42, n=3).json()
    assert first == sampling_scene.sample(seed=42, n=3).json()
    # random.Random(42).sample(range(8), 3) == [1, 0, 5]: positions in id order, so the same
    # records on SQLite and PostgreSQL whatever ids the database gave them.
    assert [i["record_id"] for i in first["items"]] == ["job-1", "job-0", "job-5"]
    assert [i["draw"] for i in first["items"]] == [1, 2, 3]
    assert first["population"] == 8
    ids = sampling.population(session, sampling.SampleSpec(42, 3))
    assert [i["id"] for i in first["items"]] == random.Random(42).sample(ids, 3)
    other = sampling_scene.sample(seed=7, n=3).json()
    assert [i["record_id"] for i in other["items"]] == ["job-5", "job-1", "job-3"]
    everything = sampling_scene.sample(seed=1, n=100).json()
    assert sorted(i["record_id"] for i in everything["items"]) == [f"job-{i}" for i in range(8)]


def test_each_record_comes_with_its_evidence(sampling_scene: Scene) -> None:
    [item] = [
        i for i in sampling_scene.sample(seed=42, n=3).json()["items"] if i["record_id"] == "job-1"
    ]
    assert (item["fee_yuan"], item["subsidy_yuan"], item["program_code"]) == (
        "100.00",
        "50.00",
        sampling_scene.program.code,
    )
    assert item["voucher"]["code"] == sampling_scene.vouchers[0].code
    assert item["redemption"]["status"] == "active"
    assert item["rule_version"]["version"] == 1 and item["rule_version"]["rate_bp"] == 5000
    # 40.00 of the 100.00 refunded: 60.00 still earns 30.00, so 20.00 went back.
    assert item["adjustments"] == [
        {
            "record_id": "refund-1",
            "fee_yuan": "-40.00",
            "subsidy_yuan": "-20.00",
            "created_at": item["adjustments"][0]["created_at"],
        }
    ]
    assert [(p["kind"], p["amount_yuan"]) for p in item["postings"]] == [
        ("subsidy", "50.00"),
        ("reversal", "20.00"),
    ]
    assert [e["action"] for e in item["audit_entries"]] == [
        "voucher.issue",
        "redemption.create",
        "usage.post",
        "usage.adjust",
    ]
    post = item["audit_entries"][2]
    assert "job-1" in post["after"]["records"]


def test_filters_and_refusals(sampling_scene: Scene) -> None:
    by_program = sampling_scene.sample(seed=3, n=10, program=sampling_scene.other.code).json()
    assert sorted(i["record_id"] for i in by_program["items"]) == ["job-6", "job-7"]
    by_days = sampling_scene.sample(
        seed=3, n=10, **{"from": "2026-06-02", "to": "2026-06-03"}
    ).json()
    assert sorted(i["record_id"] for i in by_days["items"]) == ["job-1", "job-2"]
    for params, status, code in (
        ({"seed": 1, "n": 0}, 422, "invalid_input"),
        ({"seed": 1, "n": 1001}, 422, "invalid_input"),
        ({"seed": -1, "n": 1}, 422, "invalid_input"),
        ({"n": 1}, 422, "invalid_input"),
        ({"seed": 1, "n": 1, "program": "NOPE"}, 404, "program_not_found"),
        ({"seed": 1, "n": 1, "from": "2026-06-05", "to": "2026-06-01"}, 422, "invalid_period"),
        ({"seed": 1, "n": 1, "format": "pdf"}, 422, "invalid_input"),
    ):
        response = sampling_scene.sample(**params)
        assert (response.status_code, response.json()["error"]["code"]) == (status, code), params


def test_csv_and_xlsx(sampling_scene: Scene) -> None:
    as_csv = sampling_scene.sample(seed=42, n=3, format="csv")
    assert as_csv.status_code == 200 and as_csv.headers["x-sample-population"] == "8"
    rows = list(csv.reader(io.StringIO(as_csv.content.decode("utf-8-sig"))))
    assert rows[0] == RECORD_COLUMNS
    assert [r[4] for r in rows[1:]] == ["job-1", "job-0", "job-5"]
    assert "subsidy" in rows[1][RECORD_COLUMNS.index("会计分录")]
    as_xlsx = sampling_scene.sample(seed=42, n=3, format="xlsx")
    book = load_workbook(io.BytesIO(as_xlsx.content))
    assert book.sheetnames == ["抽样说明", "样本记录", "会计分录", "审计日志"]
    terms = {r[0]: r[1] for r in book["抽样说明"].iter_rows(min_row=2, values_only=True)}
    assert (terms["随机种子 seed"], terms["总体记录数"], terms["抽中记录数"]) == (42, 8, 3)
    postings = list(book["会计分录"].iter_rows(min_row=2, values_only=True))
    assert [(p[1], p[3]) for p in postings] == [
        ("job-1", "subsidy"),
        ("job-1", "reversal"),
        ("job-0", "subsidy"),
        ("job-5", "subsidy"),
    ]
    entries = list(book["审计日志"].iter_rows(min_row=2, values_only=True))
    assert {e[6] for e in entries} == {
        "voucher.issue",
        "redemption.create",
        "usage.post",
        "usage.adjust",
    }


def test_the_command_line_function_writes_the_file(
    sampling_scene: Scene, session: Session, tmp_path: Path
) -> None:
    out = tmp_path / "sample.xlsx"
    said = commands.sample(session, seed=42, n=3, out_path=out)
    assert said.endswith("3 of 8 priced records, seed 42")
    assert load_workbook(out).sheetnames[0] == "抽样说明"
    csv_out = tmp_path / "sample.csv"
    commands.sample(session, seed=42, n=3, out_path=csv_out, program=sampling_scene.program.code)
    assert csv_out.read_bytes().startswith(b"\xef\xbb\xbf")  # opens in a spreadsheet as UTF-8
