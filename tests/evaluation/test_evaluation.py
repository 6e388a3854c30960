"""The yearly evaluation of a program, to the fen: applications, vouchers, the pool, subsidies
by district, provider, size class and month, the capped, the time to first usage, and next
year's pool; as JSON and as a workbook with Chinese headers."""

from __future__ import annotations

import io
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook
from sqlalchemy.orm import Session

from tests.factories import (
    make_enterprise,
    make_pool,
    make_program,
    make_provider,
    make_redemption,
    usage_on,
)
from voucher_service.applications.service import ApplicationInput, approve, reject, submit
from voucher_service.db.tables.applications import SizeClass
from voucher_service.db.tables.enterprises import Enterprise
from voucher_service.db.tables.programs import Program
from voucher_service.db.tables.providers import Provider
from voucher_service.db.tables.vouchers import Voucher
from voucher_service.vouchers.service import issue_voucher


def dec(cell: Any) -> Decimal:
    """A number read back from the workbook (a float there) as the decimal it was written."""
    return Decimal(str(cell))


def at(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, 2, 0, tzinfo=UTC)  # 10:00 in Wuhan


def applied(
    session: Session,
    program: Program,
    enterprise: Enterprise,
    size: SizeClass,
    on: date,
    amount_fen: int = 100_00,
) -> Any:
    return submit(
        session,
        enterprise,
        ApplicationInput(
            program=program,
            year=2026,
            requested_fen=amount_fen,
            planned_use="training",
            intended_providers=[],
            size_class=size,
            headcount=20,
            revenue_fen=1_000_000_00,
            declares_no_related_party=True,
        ),
        today=on,
        now=at(on),
    )


class Scene:
    """Measure 2 with a cap of 800.00 yuan, three subsidised enterprises in three divisions,
    two providers, and applications approved, rejected and waiting."""

    def __init__(self, client: TestClient, session: Session) -> None:
        self.client, self.session = client, session
        self.program = make_program(session, cap_fen=800_00, pool_minimum_fen=10_000_000_00)
        make_pool(session, self.program, total_fen=10_000_000_00)
        self.hongshan = make_enterprise(session, name="洪山企业", division="420111")
        self.wuchang = make_enterprise(session, name="武昌企业", division="420106")
        self.optics_valley = make_enterprise(session, name="光谷企业", division="420100")
        self.p1 = make_provider(session, name="P1")
        self.p2 = make_provider(session, name="P2")
        first = applied(
            session, self.program, self.hongshan, SizeClass.SMALL, date(2026, 1, 3), 600_00
        )
        self.v1 = self.approve(first, date(2026, 1, 5))
        second = applied(
            session, self.program, self.wuchang, SizeClass.MEDIUM, date(2026, 2, 1), 800_00
        )
        self.v2 = self.approve(second, date(2026, 2, 3))
        self.v3 = issue_voucher(
            session,
            program=self.program,
            year=2026,
            enterprise=self.optics_valley,
            face_value_fen=500_00,
            today=date(2026, 3, 1),
        )
        turned_down = applied(
            session, self.program, make_enterprise(session), SizeClass.MEDIUM, date(2026, 3, 2)
        )
        reject(session, turned_down, reason="vague", now=at(date(2026, 3, 3)))
        applied(session, self.program, make_enterprise(session), SizeClass.MICRO, date(2026, 6, 1))
        make_redemption(session, voucher=self.v1, provider=self.p1)
        make_redemption(session, voucher=self.v2, provider=self.p2)
        make_redemption(session, voucher=self.v3, provider=self.p1)
        session.commit()

    def approve(self, application: Any, on: date) -> Voucher:
        approve(self.session, application, amount_fen=None, reason="", today=on, now=at(on))
        voucher = self.session.get(Voucher, application.voucher_id)
        assert voucher is not None
        return voucher

    def post(
        self, provider: Provider, record_id: str, voucher: Voucher, fee: str, day: str
    ) -> dict[str, Any]:
        holder = self.session.get(Enterprise, voucher.enterprise_id)
        assert holder is not None
        response = self.client.post(
            f"/v1/provider/{provider.uscc}/usage-records",
            json=usage_on(record_id, voucher.code, holder.uscc, fee, day),
        )
        assert response.status_code == 201, response.text
        return response.json()  # type: ignore[no-any-return]

    def usage(self) -> None:
        self.post(self.p1, "e1-jan", self.v1, "100.00", "2026-01-10")
        self.post(self.p1, "e1-feb", self.v1, "200.00", "2026-02-10")
        self.post(self.p1, "e1-mar", self.v1, "300.00", "2026-03-10")
        self.post(self.p2, "e2-feb", self.v2, "1000.00", "2026-02-20")
        capped = self.post(self.p2, "e2-apr", self.v2, "1000.01", "2026-04-15")
        assert (capped["subsidy_yuan"], capped["reason"]) == ("300.00", "cap_reached")
        refund = self.client.post(
            f"/v1/provider/{self.p2.uscc}/adjustments",
            json={
                "record_id": "e2-apr-refund",
                "adjusts_record_id": "e2-apr",
                "refund_yuan": "400.00",
            },
        )
        assert refund.json()["subsidy_yuan"] == "0.00"  # 600.01 still earns the 300.00
        exhausted = self.post(self.p1, "e3-may", self.v3, "2000.00", "2026-05-05")
        assert exhausted["subsidy_yuan"] == "500.00"

    def report(self, year: int = 2026) -> dict[str, Any]:
        response = self.client.get(
            f"/v1/admin/programs/{self.program.code}/evaluation", params={"year": year}
        )
        assert response.status_code == 200, response.text
        return response.json()  # type: ignore[no-any-return]


@pytest.fixture
def evaluation_scene(client: TestClient, session: Session) -> Scene:
    built = Scene(client, session)
    built.usage()
    return built


def lines(report: dict[str, Any], part: str) -> list[tuple[Any, ...]]:
    return [
        (x["key"], x["label"], x["enterprises"], x["records"], x["fee_yuan"], x["subsidy_yuan"])
        for x in report[part]
    ]


def test_the_year_in_figures(evaluation_scene: Scene) -> None:
    report = evaluation_scene.report()
    assert report["applications"] == {
        "by_status": {"approved": 2, "rejected": 1, "submitted": 1},
        "total": 4,
        "rate_bp": 6666,
    }
    assert report["selections"] is None
    assert report["vouchers"] == {
        "issued": 3,
        "issued_yuan": "1900.00",
        "redeemed": 3,
        "active": 3,
        "expired": 0,
        "expired_released_yuan": "0.00",
        "revoked": 0,
        "revoked_released_yuan": "0.00",
    }
    assert report["pool"] == {
        "total_yuan": "10000000.00",
        "available_yuan": "9998100.00",
        "outstanding_yuan": "300.00",
        "consumed_yuan": "1600.00",
        "issued_yuan": "1900.00",
        "released_yuan": "0.00",
        "utilisation_bp": 1,
        "commitment_bp": 1,
    }
    assert report["subsidies"] == {
        "key": "total",
        "label": "合计",
        "enterprises": 3,
        "records": 6,
        "fee_yuan": "4200.01",
        "subsidy_yuan": "1600.00",
    }
    assert lines(report, "by_district") == [
        ("420100", "武汉市市级登记(含功能区)", 1, 1, "2000.00", "500.00"),
        ("420106", "武昌区", 1, 2, "1600.01", "800.00"),
        ("420111", "洪山区", 1, 3, "600.00", "300.00"),
    ]
    assert sorted(lines(report, "by_provider"), key=lambda x: x[1]) == [
        (evaluation_scene.p1.uscc, "P1", 2, 4, "2600.00", "800.00"),
        (evaluation_scene.p2.uscc, "P2", 1, 2, "1600.01", "800.00"),
    ]
    assert lines(report, "by_size_class") == [
        ("medium", "medium", 1, 2, "1600.01", "800.00"),
        ("small", "small", 1, 3, "600.00", "300.00"),
        ("undeclared", "undeclared", 1, 1, "2000.00", "500.00"),
    ]
    assert [(x[0], x[5]) for x in lines(report, "by_month")] == [
        ("2026-01", "50.00"),
        ("2026-02", "600.00"),
        ("2026-03", "150.00"),
        ("2026-04", "300.00"),
        ("2026-05", "500.00"),
    ]
    assert report["capped"] == [
        {
            "uscc": evaluation_scene.wuchang.uscc,
            "name": "武昌企业",
            "district": "武昌区",
            "used_yuan": "800.00",
            "cap_yuan": "800.00",
        }
    ]
    # Hongshan applied on Jan 3 and first used on Jan 10 (7 days); Wuchang Feb 1 -> Feb 20
    # (19 days); the city-level enterprise had no application and is not measured.
    assert (report["average_days_to_first_usage"], report["first_usage_measured"]) == ("13.0", 2)


def test_next_year_s_pool_and_its_method(evaluation_scene: Scene) -> None:
    advice = evaluation_scene.report()["recommendation"]
    # 1,600.00 yuan in the 166 days to June 15, annualised: 1600 x 365 / 166 = 3,518.07.
    # Complete months Jan-May (50, 600, 150, 300, 500): the trend rises 60 a month, at the
    # middle of 2027 it reads 1,250, 3.9 times the average month: held at 2. The program
    # runs 77 days of 2027: 3,518.07 x 2 x 77/365 = 1,484.33, far below the minimum.
    assert {k: v for k, v in advice.items() if not k.startswith("method")} == {
        "year": 2027,
        "recommended_yuan": "10000000.00",
        "minimum_yuan": "10000000.00",
        "annualised_yuan": "3518.07",
        "growth": "2.0000",
        "months_in_trend": 5,
        "next_year_share": "0.2110",
        "estimate_yuan": "1484.33",
    }
    assert "最小二乘" in advice["method_zh"] and "least-squares" in advice["method_en"]


def test_the_workbook_opens_with_chinese_headers_and_adds_up(evaluation_scene: Scene) -> None:
    response = evaluation_scene.client.get(
        f"/v1/admin/programs/{evaluation_scene.program.code}/evaluation.xlsx", params={"year": 2026}
    )
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/vnd.openxmlformats")
    book = load_workbook(io.BytesIO(response.content))
    assert book.sheetnames == [
        "概览",
        "按区",
        "按服务商",
        "按企业规模",
        "按月",
        "达到上限企业",
        "下年度券池建议",
    ]
    overview = {row[0]: row[1] for row in book["概览"].iter_rows(min_row=2, values_only=True)}
    assert dec(overview["补贴金额(元)"]) == Decimal("1600.00")
    assert dec(overview["批准率"]) == Decimal("0.6666")
    assert dec(overview["2027年度建议券池(元)"]) == Decimal("10000000.00")
    for title in ("按区", "按服务商", "按企业规模", "按月"):
        rows = list(book[title].iter_rows(values_only=True))
        assert rows[0][2:] == ("企业数", "计量记录数", "服务费用(元)", "补贴金额(元)")
        body, total = rows[1:-1], rows[-1]
        assert total[0] == "合计" and dec(total[5]) == Decimal("1600.00")
        for column in (4, 5):  # fee and subsidy: the lines add up to the total, to the fen
            assert sum(dec(r[column]) for r in body) == dec(total[column])
    sizes = [r[1] for r in book["按企业规模"].iter_rows(min_row=2, max_row=4, values_only=True)]
    assert sizes == ["中型", "小型", "未申报"]
    capped = list(book["达到上限企业"].iter_rows(values_only=True))
    assert capped[1][:3] == (evaluation_scene.wuchang.uscc, "武昌企业", "武昌区")


def test_a_year_without_a_pool_and_years_outside_the_program(
    client: TestClient, session: Session
) -> None:
    program = make_program(session)
    session.commit()
    empty = client.get(f"/v1/admin/programs/{program.code}/evaluation", params={"year": 2025})
    assert empty.status_code == 200, empty.text
    assert (empty.json()["pool"], empty.json()["subsidies"]["subsidy_yuan"]) == (None, "0.00")
    for year in (2024, 2028):
        outside = client.get(f"/v1/admin/programs/{program.code}/evaluation", params={"year": year})
        assert (outside.status_code, outside.json()["error"]["code"]) == (422, "invalid_year")
    # 2027 is the program's last year: no recommendation for 2028.
    last = client.get(f"/v1/admin/programs/{program.code}/evaluation", params={"year": 2027})
    assert last.json()["recommendation"] is None
    missing = client.get("/v1/admin/programs/NOPE/evaluation", params={"year": 2026})
    assert missing.status_code == 404
    assert client.get(f"/v1/admin/programs/{program.code}/evaluation").status_code == 422
