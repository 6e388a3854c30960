"""The demo: measure 2 and measure 3 side by side, a district top-up declared on measure 2,
and the demo year's evaluation as a workbook that opens with Chinese headers and adds up."""

from __future__ import annotations

import io
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook
from sqlalchemy.orm import Session

from tests.factories import TODAY
from voucher_service.books import verify_ledger
from voucher_service.demo import (
    MEASURE_3_CODE,
    PROGRAM_CODE,
    TOP_UP_CODE,
    DemoResult,
    load_demo,
)


@pytest.fixture
def demo_data(session: Session) -> DemoResult:
    loaded = load_demo(session, today=TODAY)
    session.commit()
    return loaded


def get(client: TestClient, path: str, **params: Any) -> Any:
    response = client.get(path, params=params)
    assert response.status_code == 200, response.text
    return response.json()


def test_the_programs_side_by_side(
    client: TestClient, session: Session, demo_data: DemoResult
) -> None:
    programs = {p["code"]: p for p in get(client, "/v1/admin/programs")["items"]}
    assert set(programs) == {PROGRAM_CODE, MEASURE_3_CODE, TOP_UP_CODE}
    m2, m3, top_up = programs[PROGRAM_CODE], programs[MEASURE_3_CODE], programs[TOP_UP_CODE]
    assert (m2["rules"][0]["cap_yuan"], m3["rules"][0]["cap_yuan"]) == ("200000.00", "5000000.00")
    assert (m2["requires_selection"], m3["requires_selection"]) == (False, True)
    assert top_up["tops_up"] == {"program_code": PROGRAM_CODE, "stack_order": 1, "ceiling_bp": 7000}
    assert m2["topped_up_by"] == [
        {"program_code": TOP_UP_CODE, "stack_order": 1, "ceiling_bp": 7000}
    ]
    assert top_up["region_prefix"] == "420111"
    # Measure 3: one selected with a voucher, one waiting for the batch.
    selections = [
        s
        for status in ("selected", "submitted")
        for s in get(client, "/v1/admin/selections", status=status, program=MEASURE_3_CODE)["items"]
    ]
    assert [(s["sector"], s["status"]) for s in selections] == [
        ("healthcare", "selected"),
        ("remote_sensing", "submitted"),
    ]
    voucher = get(client, f"/v1/admin/vouchers/{demo_data.measure_3_voucher}")
    assert (voucher["program_code"], voucher["uscc"]) == (MEASURE_3_CODE, selections[0]["uscc"])
    # The top-up has its own pool, and a voucher of it went to a Hongshan enterprise.
    top_up_voucher = get(client, f"/v1/admin/vouchers/{demo_data.top_up_voucher}")
    assert top_up_voucher["uscc"][2:8] == "420111"
    pool = get(client, f"/v1/admin/programs/{TOP_UP_CODE}/pools/2026")
    assert (pool["total_yuan"], pool["issued_yuan"]) == ("2000000.00", "20000.00")
    # and a second application of that enterprise stands in public notice (公示): its
    # amount reserved from the district's pool, nothing issued yet.
    [listed] = get(client, "/public/v1/notices")["items"]
    assert (listed["program_code"], listed["uscc"], listed["amount_yuan"]) == (
        TOP_UP_CODE,
        top_up_voucher["uscc"],
        "10000.00",
    )
    assert pool["available_yuan"] == "1970000.00"
    assert len(demo_data.vouchers) == 4 and len(demo_data.enterprises) == 13
    assert verify_ledger(session) == []


def test_the_demo_year_s_evaluation_opens_with_chinese_headers(
    client: TestClient, demo_data: DemoResult
) -> None:
    response = client.get(
        f"/v1/admin/programs/{PROGRAM_CODE}/evaluation.xlsx", params={"year": 2026}
    )
    assert response.status_code == 200
    book = load_workbook(io.BytesIO(response.content))
    assert book.sheetnames[:5] == ["概览", "按区", "按服务商", "按企业规模", "按月"]
    overview = {r[0]: r[1] for r in book["概览"].iter_rows(min_row=2, values_only=True)}
    consumed = get(client, f"/v1/admin/programs/{PROGRAM_CODE}/pools/2026")["consumed_yuan"]
    # Jan-May: 35,625.00 + 31,625.00 + 25,781.25 of the three enterprises approved early.
    assert consumed == "93031.25"
    assert Decimal(str(overview["补贴金额(元)"])) == Decimal(consumed)
    assert overview["发放算力券(张)"] == 7 and overview["计量记录数"] == 12
    districts = list(book["按区"].iter_rows(values_only=True))
    assert districts[0] == (
        "区划代码",
        "区",
        "企业数",
        "计量记录数",
        "服务费用(元)",
        "补贴金额(元)",
    )
    assert [row[1] for row in districts[1:-1]] == ["武昌区", "蔡甸区", "新洲区"]
    assert districts[-1][0] == "合计"
    assert sum(Decimal(str(r[5])) for r in districts[1:-1]) == Decimal(consumed)
    months = [r[0] for r in book["按月"].iter_rows(min_row=2, values_only=True)]
    assert months == ["2026-01", "2026-02", "2026-03", "2026-04", "2026-05", "合计"]
    report = get(client, f"/v1/admin/programs/{PROGRAM_CODE}/evaluation", year=2026)
    assert report["recommendation"]["recommended_yuan"] == "10000000.00"  # the minimum holds
    assert report["applications"]["by_status"] == {"approved": 3, "submitted": 1}
    m3 = get(client, f"/v1/admin/programs/{MEASURE_3_CODE}/evaluation", year=2026)
    assert m3["selections"]["by_status"] == {"selected": 1, "submitted": 1}
    assert m3["subsidies"]["subsidy_yuan"] == "575000.00"


def test_the_demo_loads_on_any_day(session: Session) -> None:
    """Its pools and the top-up's declaration are history, opened when the programs began;
    vouchers and usage come only within the demo year."""
    after_the_policy = load_demo(session, today=date(2027, 5, 1))
    assert after_the_policy.loaded and after_the_policy.vouchers == []
    assert after_the_policy.measure_3_voucher is None and after_the_policy.top_up_voucher is None
