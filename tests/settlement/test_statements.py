"""Monthly settlement, to the fen: close, late records and corrections, approve, pay, export."""

from __future__ import annotations

import io
from datetime import UTC, datetime
from decimal import Decimal

from openpyxl import load_workbook
from sqlalchemy import text
from sqlalchemy.orm import Session

from tests.factories import SECOND, Scene, auditor, post_provider, second_admin
from voucher_service.books import verify_ledger
from voucher_service.db.tables.auth import Role


def at(scene: Scene, moment: datetime) -> None:
    scene.client.app.state.clock = lambda: moment  # type: ignore[attr-defined]


def close(scene: Scene, period: str):  # type: ignore[no-untyped-def]
    return scene.client.post(
        "/v1/admin/statements", json={"provider_uscc": scene.provider, "period": period}
    )


def test_a_month_from_close_to_payment(scene: Scene, session: Session) -> None:
    c = scene.client
    assert scene.post("j-1").json()["subsidy_yuan"] == "50.00"  # fee 100.00, June 15
    assert scene.post("j-2", "20.00").json()["subsidy_yuan"] == "10.00"
    early = close(scene, "2026-06")
    assert (early.status_code, early.json()["error"]["code"]) == (409, "period_open")

    at(scene, datetime(2026, 7, 2, 2, tzinfo=UTC))  # July 2, 10:00 in Wuhan
    june = close(scene, "2026-06")
    assert june.status_code == 201, june.text
    [body] = june.json()["statements"]  # one funding source: the program
    assert (body["status"], body["record_count"], body["fee_yuan"]) == ("closed", 2, "120.00")
    assert (body["subsidy_yuan"], body["enterprise_share_yuan"]) == ("60.00", "60.00")
    again = close(scene, "2026-06")
    assert again.status_code == 200 and again.json()["statements"] == [body]  # unchanged

    # After the close: a late record serviced in June, and a full refund of j-1.
    late = scene.post(
        "j-3", service_start="2026-06-20T08:00:00+08:00", service_end="2026-06-20T09:00:00+08:00"
    )
    assert late.json()["subsidy_yuan"] == "50.00"
    refund = c.post(
        f"/v1/provider/{scene.provider}/adjustments",
        json={"record_id": "j-1-refund", "adjusts_record_id": "j-1", "refund_yuan": "100.00"},
    )
    assert refund.json()["subsidy_yuan"] == "-50.00"
    assert c.get(f"/v1/admin/statements/{body['id']}").json() == body  # June is frozen

    at(scene, datetime(2026, 8, 1, 0, tzinfo=UTC))
    [july] = close(scene, "2026-07").json()["statements"]
    assert (july["record_count"], july["subsidy_yuan"], july["fee_yuan"]) == (2, "0.00", "0.00")
    detail = (
        c.get(f"/v1/admin/statements/{july['id']}/export").content.decode("utf-8-sig").splitlines()
    )
    assert [line.split(",")[3] for line in detail[1:3]] == ["j-3", "j-1-refund"]
    assert all(line.split(",")[6] == "True" for line in detail[1:3])  # both late

    # Two people (docs/access.md): the closer (the default admin) never approves, a reviewer
    # holds no finance duty, a second admin approves and never pays, the closer pays.
    reviewer = {"Authorization": f"Bearer {c.key(Role.BUREAU_REVIEWER, 'reviewer')}"}  # type: ignore[attr-defined]
    checker = second_admin(c)
    sid = body["id"]
    premature = c.post(f"/v1/admin/statements/{sid}/pay", json={"payment_reference": "T-1"})
    assert (premature.status_code, premature.json()["error"]["code"]) == (409, "invalid_state")
    for who, code in (({}, "same_person"), (reviewer, "forbidden")):
        refused = c.post(f"/v1/admin/statements/{sid}/approve", headers=who)
        assert (refused.status_code, refused.json()["error"]["code"]) == (403, code)
    approved = c.post(f"/v1/admin/statements/{sid}/approve", headers=checker).json()
    assert approved["status"] == "approved"
    refused = c.post(
        f"/v1/admin/statements/{sid}/pay", json={"payment_reference": "T-1"}, headers=checker
    )
    assert (refused.status_code, refused.json()["error"]["code"]) == (403, "same_person")
    paid = c.post(
        f"/v1/admin/statements/{sid}/pay", json={"payment_reference": "WH-TREAS-0715-1"}
    ).json()
    assert (paid["status"], paid["payment_reference"]) == ("paid", "WH-TREAS-0715-1")
    assert (
        c.post(f"/v1/admin/statements/{sid}/pay", json={"payment_reference": "again"}).status_code
        == 409
    )
    assert c.post(f"/v1/admin/statements/{sid}/approve", headers=checker).status_code == 409
    trail = c.get(
        "/v1/admin/audit", params={"target_type": "statement", "target_id": sid}, headers=auditor(c)
    )
    entries = {e["action"]: e["after"] for e in trail.json()["items"]}
    assert (
        entries["statement.approve"]["closed_by"],
        entries["statement.approve"]["approved_by"],
    ) == ("test admin", SECOND)
    assert (entries["statement.pay"]["approved_by"], entries["statement.pay"]["paid_by"]) == (
        SECOND,
        "test admin",
    )
    paid_account = session.execute(
        text(
            "SELECT SUM(amount_fen) FROM ledger_posting"
            " WHERE kind = 'settle' AND to_account LIKE 'paid:%'"
        )
    ).scalar()
    assert paid_account == 60_00
    assert verify_ledger(session) == []

    # Exports: Chinese headers; the XLSX sums per enterprise and voucher, in exact yuan.
    zh = c.get(f"/v1/admin/statements/{sid}/export", params={"headers": "zh"}).content.decode(
        "utf-8-sig"
    )
    assert (
        zh.startswith("统一社会信用代码,企业名称,算力券编号")
        and "\n合计," in zh
        and "TOTAL" not in zh
    )
    # ... and Chinese values: the kind and the late flag by name, never a code or a boolean.
    first_line = zh.splitlines()[1].split(",")
    assert (first_line[4], first_line[6]) == ("计量", "否")
    assert not {"usage", "adjustment", "True", "False"} & set(zh.replace("\n", ",").split(","))
    xlsx = c.get(f"/v1/admin/statements/{sid}/export", params={"format": "xlsx", "headers": "zh"})
    book = load_workbook(io.BytesIO(xlsx.content))
    assert book.sheetnames == ["汇总", "明细"]
    summary = list(book["汇总"].iter_rows(values_only=True))
    assert summary[2][2] == scene.voucher and Decimal(str(summary[2][5])) == Decimal("60.00")
    assert summary[0][2] == "已支付"

    # The provider sees its statements; another provider does not.
    mine = c.get(f"/v1/provider/{scene.provider}/statements").json()["items"]
    assert [(s["period"], s["status"]) for s in mine] == [
        ("2026-06", "paid"),
        ("2026-07", "closed"),
    ]
    rival = post_provider(c)
    theirs = c.get(f"/v1/provider/{rival}/statements/{sid}/export")
    assert theirs.status_code == 404

    # A doctored total is caught.
    session.execute(
        text("UPDATE statement SET subsidy_fen = subsidy_fen + 1 WHERE id = :id"),
        {"id": july["id"]},
    )
    assert any(f"statement {july['id']}" in v for v in verify_ledger(session))


def test_bad_periods(scene: Scene) -> None:
    for period in ("2026-13", "2026-6", "june"):
        assert close(scene, period).status_code == 422


def test_a_provider_reads_one_of_its_statements(scene: Scene) -> None:
    c = scene.client
    scene.post("s-1")
    at(scene, datetime(2026, 7, 2, 2, tzinfo=UTC))
    [closed] = close(scene, "2026-06").json()["statements"]
    mine = c.get(f"/v1/provider/{scene.provider}/statements/{closed['id']}")
    assert mine.status_code == 200 and mine.json() == closed
    assert mine.json() == c.get(f"/v1/admin/statements/{closed['id']}").json()
    # ... and the listings name the program that funds it, as the statement itself does
    [listed] = c.get(f"/v1/provider/{scene.provider}/statements").json()["items"]
    assert listed == closed and listed["program_code"] == scene.program
    assert c.get("/v1/admin/statements").json()["items"] == [closed]
    rival = post_provider(c)
    theirs = c.get(f"/v1/provider/{rival}/statements/{closed['id']}")
    assert (theirs.status_code, theirs.json()["error"]["code"]) == (404, "statement_not_found")
