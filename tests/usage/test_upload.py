"""Spreadsheet uploads: a CSV or XLSX of usage records goes through the batch path, each row
with the outcome the batch endpoint gives it; the same file again is a replay; a file that
cannot be read as a whole is refused and nothing of it is posted."""

from __future__ import annotations

import io
import zipfile
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from openpyxl import Workbook
from sqlalchemy.orm import Session

from tests.factories import Scene, audit_count, uscc
from voucher_service.books import verify_ledger
from voucher_service.usage import upload
from voucher_service.usage.batches import InvalidReport

TZ = ZoneInfo("Asia/Shanghai")
ZH = [zh for _, zh in upload.COLUMNS]
EN = [en for en, _ in upload.COLUMNS]


def row(scene: Scene, record_id: str, fee: str = "100.00", **changes: str) -> list[str]:
    values = {
        "record_id": record_id,
        "voucher_code": scene.voucher,
        "redemption_id": "",
        "uscc": scene.enterprise,
        "resource_kind": "加速卡",
        "resource_model": "Ascend 910B",
        "quantity": "1",
        "unit": "卡时",
        "unit_price_yuan": fee,
        "fee_yuan": fee,
        "service_start": "2026-06-15 08:00",
        "service_end": "2026-06-15 09:00",
        **changes,
    }
    return [values[name] for name in EN]


def csv_of(headers: list[str], rows: list[list[str]], encoding: str = "utf-8-sig") -> bytes:
    lines = [",".join(headers)] + [",".join(r) for r in rows]
    return ("\r\n".join(lines) + "\r\n").encode(encoding)


def xlsx_of(headers: list[str], rows: list[list[Any]]) -> bytes:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(headers)
    for r in rows:
        sheet.append(r)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def send(scene: Scene, body: bytes, name: str = "records.csv"):  # type: ignore[no-untyped-def]
    return scene.client.post(
        f"/v1/provider/{scene.provider}/usage-records/upload",
        files={"file": (name, body, "application/octet-stream")},
    )


def test_a_csv_in_chinese_with_one_refused_and_one_invalid_row(
    scene: Scene, session: Session
) -> None:
    body = csv_of(
        ZH,
        [
            row(scene, "sheet-1"),
            row(scene, "sheet-2", "10.00"),
            row(scene, "sheet-3", uscc=uscc()),  # another enterprise: refused, stored
            row(scene, "sheet-4", fee_yuan="一百"),  # invalid: posted nowhere
        ],
    )
    response = send(scene, body)
    assert response.status_code == 200, response.text
    result = response.json()
    assert [(r["record_id"], r["status"], r["outcome"]) for r in result["results"]] == [
        ("sheet-1", "created", "subsidised"),
        ("sheet-2", "created", "subsidised"),
        ("sheet-3", "created", "refused"),
        ("sheet-4", "invalid", None),
    ]
    assert result["results"][2]["reason"] == "uscc_mismatch"
    assert result["results"][3]["error"]["code"] == "invalid_amount"
    assert result["results"][3]["error"]["message"].startswith("row 5: fee_yuan")
    assert result["subsidy_yuan"] == "55.00"
    stored = scene.client.get(f"/v1/provider/{scene.provider}/usage-records/sheet-1").json()
    assert stored["service_start"] == "2026-06-15T00:00:00Z"  # read as Beijing time
    assert (
        scene.client.get(f"/v1/provider/{scene.provider}/usage-records/sheet-4").status_code == 404
    )

    entries = audit_count(session)
    again = send(scene, body).json()  # the same file again: every row replayed
    assert [r["status"] for r in again["results"]] == ["replayed"] * 3 + ["invalid"]
    assert again["subsidy_yuan"] == "0.00" and audit_count(session) == entries
    assert verify_ledger(session) == []


def test_the_same_records_from_xlsx_with_number_cells_are_replays(scene: Scene) -> None:
    assert send(scene, csv_of(EN, [row(scene, "x-1", "12.50")])).json()["created"] == 1
    cells: list[Any] = row(scene, "x-1", "12.50")
    cells[EN.index("quantity")] = 1  # numbers as Excel stores them
    cells[EN.index("unit_price_yuan")] = 12.5
    cells[EN.index("fee_yuan")] = 12.5
    result = send(scene, xlsx_of(ZH, [cells]), "records.xlsx").json()
    assert result["replayed"] == 1, result


def test_gb18030_csv_as_chinese_excel_writes_it(scene: Scene) -> None:
    body = csv_of(ZH, [row(scene, "gb-1")], encoding="gb18030")
    assert send(scene, body).json()["created"] == 1


def test_the_template_reads_back() -> None:
    for fmt in ("csv", "xlsx"):
        for chinese in (True, False):
            parsed = upload.parse_upload(upload.template(fmt, chinese=chinese), tz=TZ)
            assert parsed.kind == fmt
            [report] = parsed.entries
            assert not isinstance(report, InvalidReport)
            assert (report.fee_fen, report.unit) == (10000, "card_hour")


def _zip(names: list[str]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for name in names:
            archive.writestr(name, "x")
    return out.getvalue()


@pytest.mark.parametrize(
    ("body", "says"),
    [
        (b"", "empty"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100, ".xls"),
        (_zip(["word/document.xml", "[Content_Types].xml"]), "not an XLSX"),
        (b"PK\x03\x04 broken", "not a readable zip"),
        (b"%PDF-1.7\x00\x00binary", "neither a CSV nor an XLSX"),
        ("记录编号,金额\nx,1\n".encode(), "unknown columns: 金额"),
        ("记录编号\nx\n".encode(), "missing columns"),
        (",".join(ZH).encode(), "no records"),
    ],
)
def test_a_file_that_cannot_be_read_is_refused_whole(
    scene: Scene, session: Session, body: bytes, says: str
) -> None:
    scene.client.auth_for(f"/v1/provider/{scene.provider}/")  # its key, made beforehand
    entries = audit_count(session)
    response = send(scene, body)
    assert response.status_code == 422, response.text
    error = response.json()["error"]
    assert error["code"] == "invalid_upload" and says in error["message"], error
    assert audit_count(session) == entries


def test_size_and_row_limits(scene: Scene, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(upload, "MAX_UPLOAD_ROWS", 2)
    body = csv_of(ZH, [row(scene, f"r-{i}") for i in range(3)])
    error = send(scene, body).json()["error"]
    assert "3 records; at most 2" in error["message"]
    monkeypatch.setattr(upload, "MAX_UPLOAD_BYTES", 100)
    error = send(scene, body).json()["error"]
    assert error["code"] == "invalid_upload" and "at most 100 are taken" in error["message"]


def test_another_providers_upload_is_not_found(scene: Scene) -> None:
    other = scene.client.post(
        f"/v1/provider/{scene.provider}/usage-records/upload",
        files={"file": ("r.csv", csv_of(ZH, [row(scene, "y-1")]), "text/csv")},
        headers={"Authorization": "Bearer nope"},
    )
    assert other.status_code == 401
