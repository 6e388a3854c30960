"""Usage records as files (CSV and XLSX) for providers and enterprises, and the enterprise's
listing narrowed to one provider."""

from __future__ import annotations

import io
from decimal import Decimal

from openpyxl import load_workbook
from sqlalchemy.orm import Session

from tests.factories import Scene, make_provider, post_provider, post_redemption, uscc


def _sheet_rows(content: bytes) -> list[list[object]]:
    """The first sheet's values; numbers as the decimals written in the file (a spreadsheet
    holds numbers as text such as ``0.03``: openpyxl reads them back as floats)."""
    book = load_workbook(io.BytesIO(content))
    return [
        [Decimal(str(v)) if isinstance(v, float | int) else v for v in row]
        for row in book.worksheets[0].iter_rows(values_only=True)
    ]


def test_the_provider_downloads_its_records_as_xlsx_with_exact_yuan(scene: Scene) -> None:
    scene.post("x-1")
    scene.post("x-2", fee="0.03", quantity="1", unit_price_yuan="0.03")
    response = scene.client.get(
        f"/v1/provider/{scene.provider}/usage-records.xlsx", params={"headers": "zh"}
    )
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/vnd.openxmlformats")
    assert f'filename="usage-{scene.provider}.xlsx"' in response.headers["content-disposition"]
    header, first, second = _sheet_rows(response.content)
    assert header[:2] == ["记录编号", "类型"]
    fee, subsidy, share = (header.index(h) for h in ("费用(元)", "补贴(元)", "企业自付(元)"))
    assert (first[fee], first[subsidy], first[share]) == (
        Decimal("100.00"),
        Decimal("50.00"),
        Decimal("50.00"),
    )
    # 0.03 yuan: the subsidy is rounded down to the fen; the cells show two places
    assert (second[fee], second[subsidy], second[share]) == (
        Decimal("0.03"),
        Decimal("0.01"),
        Decimal("0.02"),
    )
    assert first[1] == "计量" and "全额补贴" in first
    cell = load_workbook(io.BytesIO(response.content)).worksheets[0].cell(row=3, column=fee + 1)
    assert cell.number_format == "#,##0.00"


def test_an_unknown_format_is_refused(scene: Scene) -> None:
    response = scene.client.get(f"/v1/provider/{scene.provider}/usage-records.pdf")
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "invalid_input"


def test_the_enterprise_exports_its_records_and_narrows_them_to_a_provider(
    scene: Scene, session: Session
) -> None:
    second = post_provider(scene.client)
    post_redemption(scene.client, scene.enterprise, scene.voucher, second)
    scene.post("first-1")
    other = scene.client.post(
        f"/v1/provider/{second}/usage-records", json=scene.record("second-1", fee="20.00")
    )
    assert other.status_code == 201, other.text
    base = f"/v1/enterprise/{scene.enterprise}/usage-records"

    def ids(**params: str) -> list[str]:
        return [r["record_id"] for r in scene.client.get(base, params=params).json()["items"]]

    assert ids() == ["first-1", "second-1"]
    assert ids(provider=second) == ["second-1"]
    assert ids(provider=scene.provider) == ["first-1"]
    stranger = make_provider(session)  # registered, but never drew on the voucher
    session.commit()
    assert ids(provider=stranger.uscc) == []
    missing = scene.client.get(base, params={"provider": uscc(division="420100")})
    assert missing.status_code == 404
    assert missing.json()["error"]["code"] == "provider_not_found"

    csv = scene.client.get(f"{base}.csv", params={"provider": second})
    lines = csv.content.decode("utf-8-sig").splitlines()
    assert len(lines) == 2 and lines[1].startswith("second-1,usage,")
    xlsx = scene.client.get(f"{base}.xlsx", params={"outcome": "subsidised"})
    assert [row[0] for row in _sheet_rows(xlsx.content)[1:]] == ["first-1", "second-1"]


def test_exports_page_like_their_listing(scene: Scene) -> None:
    for i in range(3):
        scene.post(f"p-{i}")
    first = scene.client.get(
        f"/v1/enterprise/{scene.enterprise}/usage-records.csv", params={"limit": 2}
    )
    assert len(first.content.decode("utf-8-sig").splitlines()) == 3  # header + 2
    rest = scene.client.get(
        f"/v1/enterprise/{scene.enterprise}/usage-records.csv",
        params={"limit": 2, "cursor": first.headers["x-next-cursor"]},
    )
    assert rest.content.decode("utf-8-sig").splitlines()[1].startswith("p-2,")
    assert "x-next-cursor" not in rest.headers
