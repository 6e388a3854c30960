"""The provider's pages agree with their API endpoints (the same rows and figures, the same
404 for another provider's data), and their forms change exactly what the API call would."""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime

from openpyxl import load_workbook
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.console.html import Page, yuan_text
from tests.factories import Browser, Month, People, csrf_of, usage_on
from voucher_service.db.tables.audit import AuditEntry
from voucher_service.db.tables.auth import Role

ME = "ops.sun"


def _close_june(month: Month) -> dict[str, object]:
    month.client.app.state.clock = lambda: datetime(2026, 7, 2, 2, tzinfo=UTC)  # type: ignore[attr-defined]
    closed = month.client.post(
        "/v1/admin/statements", json={"provider_uscc": month.provider, "period": "2026-06"}
    )
    assert closed.status_code == 201, closed.text
    [statement] = closed.json()["statements"]
    return statement  # type: ignore[no-any-return]


def test_the_landing_page_lists_the_vouchers_redeemed_with_me(
    month: Month, browser: Browser
) -> None:
    page = Page(browser(ME).get(f"/console/provider/{month.provider}").text)
    api = month.api(f"/v1/provider/{month.provider}/redemptions")["items"]
    assert page.keys("redemptions") == [str(r["id"]) for r in api]
    [row] = page.rows("redemptions").values()
    assert month.voucher in row and month.enterprise in row and "生效中" in row


def test_records_with_refusals_and_their_reasons_agree_with_the_api(
    month: Month, browser: Browser
) -> None:
    person = browser(ME)
    base = f"/console/provider/{month.provider}/records"
    for params in ({}, {"outcome": "refused"}, {"from": "2026-06-11", "to": "2026-06-11"}):
        items = month.api(f"/v1/provider/{month.provider}/usage-records", **params)["items"]
        page = Page(person.get(base, params=params).text)
        assert page.keys("records") == [r["record_id"] for r in items], params
        for record in items:
            cells = page.rows("records")[record["record_id"]]
            assert yuan_text(record["fee_yuan"]) in cells
            assert yuan_text(record["subsidy_yuan"]) in cells
    refused = Page(person.get(base, params={"outcome": "refused"}).text).rows("records")
    assert list(refused) == ["job-3"]
    assert "不予补贴" in refused["job-3"] and "信用代码与持券企业不符" in refused["job-3"]
    english = person.get(base, params={"outcome": "refused", "lang": "en"})
    cells = Page(english.text).rows("records")["job-3"]
    assert "Refused" in cells and "Credit code is not the voucher holder's" in cells


def test_record_downloads_are_the_api_export(month: Month, browser: Browser) -> None:
    person = browser(ME)
    url = f"/console/provider/{month.provider}/records/export"
    csv = person.get(url, params={"outcome": "refused"})
    api = month.client.get(
        f"/v1/provider/{month.provider}/usage-records.csv",
        params={"outcome": "refused", "headers": "zh"},
    )
    assert csv.status_code == 200 and csv.content == api.content
    xlsx = person.get(url, params={"format": "xlsx"})
    rows = list(load_workbook(io.BytesIO(xlsx.content)).worksheets[0].iter_rows(values_only=True))
    assert [r[0] for r in rows[1:]] == ["job-1", "job-2", "job-3"]


def test_statements_list_detail_and_download(
    month: Month, browser: Browser, people: People
) -> None:
    statement = _close_june(month)
    person = browser(ME)
    base = f"/console/provider/{month.provider}/statements"
    listing = Page(person.get(base).text)
    api = month.api(f"/v1/provider/{month.provider}/statements")["items"]
    assert listing.keys("statements") == [str(s["id"]) for s in api]
    [row] = listing.rows("statements").values()
    assert "2026-06" in row and yuan_text(str(statement["subsidy_yuan"])) in row
    assert month.program in row and "已关账" in row

    detail = Page(person.get(f"{base}/{statement['id']}").text)
    one = month.api(f"/v1/provider/{month.provider}/statements/{statement['id']}")
    figures = detail.figures_of()
    assert figures["subsidy"] == yuan_text(one["subsidy_yuan"]) == "¥60.00"
    assert figures["records"] == str(one["record_count"])
    export = month.client.get(f"/v1/provider/{month.provider}/statements/{statement['id']}/export")
    lines = export.content.decode("utf-8-sig").splitlines()[1:-1]  # the total row last
    assert detail.keys("lines") == [line.split(",")[3] for line in lines]
    assert list(detail.rows("groups")) == [month.voucher]

    download = person.get(f"{base}/{statement['id']}/export", params={"format": "xlsx"})
    assert download.status_code == 200
    book = load_workbook(io.BytesIO(download.content))
    assert book.sheetnames == ["汇总", "明细"]
    # another provider's statement: not found, on the page as in the API
    other = browser(ME).get(f"/console/provider/{people.provider.provider_uscc}/statements/999999")
    assert other.status_code == 404


def test_another_provider_is_not_found_on_every_page(
    month: Month, browser: Browser, session: Session
) -> None:
    person = browser(ME)
    for suffix in ("", "/records", "/records/export", "/statements", "/network", "/keys"):
        page = person.get(f"/console/provider/{month.other_provider}{suffix}")
        assert page.status_code == 404, suffix
    key = month.client.key(Role.PROVIDER, month.provider)
    api = month.client.get(
        f"/v1/provider/{month.other_provider}/network",
        headers={"Authorization": f"Bearer {key}"},
    )
    assert api.status_code == 404
    statement = _close_june(month)
    their = month.client.key(Role.PROVIDER, month.other_provider)
    assert (
        month.client.get(
            f"/v1/provider/{month.other_provider}/statements/{statement['id']}",
            headers={"Authorization": f"Bearer {their}"},
        ).status_code
        == 404
    )
    assert browser("finance.chen").get(f"/console/provider/{month.provider}").status_code == 403


def test_the_network_page_shows_the_api_view_and_reports_telemetry(
    month: Month, browser: Browser, session: Session
) -> None:
    person = browser(ME)
    base = f"/console/provider/{month.provider}/network"
    page = person.get(base)
    form = {
        "resource_model": "Ascend 910B",
        "total": "512",
        "available": "64",
        "utilisation_percent": "87",
        "queue_wait_seconds": "300",
        "list_price_yuan": "¥12.50",
        "csrf_token": csrf_of(page.text),
    }
    reported = person.post(
        f"/console/provider/{month.provider}/telemetry", data=form, follow_redirects=False
    )
    assert reported.headers["location"] == f"{base}?done=telemetry"
    api = month.api(f"/v1/provider/{month.provider}/network")
    assert [(c["available"], c["list_price_yuan"]) for c in api["capacity"]] == [(64, "12.50")]
    shown = Page(person.get(reported.headers["location"]).text)
    assert "已报送" in shown.html
    assert shown.figures_of()["score"] == f"{api['quality']['score']:.2f}"
    for part in ("availability", "latency", "freshness", "records"):
        assert shown.figures_of()[part] == f"{api['quality'][part]:.2f}"
    capacity = shown.rows("capacity")["Ascend 910B"]
    assert "¥12.50" in capacity and "87%" in capacity and "64" in capacity
    [entry] = session.scalars(select(AuditEntry).where(AuditEntry.action == "telemetry.post"))
    assert entry.actor == f"provider:{month.provider}/{ME}"
    assert json.loads(entry.after or "{}")["models"] == ["Ascend 910B"]

    impossible = person.post(
        f"/console/provider/{month.provider}/telemetry", data={**form, "available": "600"}
    )
    assert impossible.status_code == 422 and "空闲数不能大于总数" in impossible.text
    assert len(month.api(f"/v1/provider/{month.provider}/network")["capacity"]) == 1
    malformed = person.post(
        f"/console/provider/{month.provider}/telemetry", data={**form, "total": "many"}
    )
    assert malformed.status_code == 422 and "输入有误" in malformed.text


def test_the_provider_creates_a_key_and_posts_with_it(
    month: Month, browser: Browser, session: Session
) -> None:
    person = browser(ME)
    base = f"/console/provider/{month.provider}/keys"
    token = csrf_of(person.get(base).text)
    made = person.post(base, data={"name": "计费系统", "csrf_token": token})
    key = made.text.split('id="new-key">')[1].split("<")[0]
    posted = month.client.post(
        f"/v1/provider/{month.provider}/usage-records",
        json=_body(month, "with-new-key"),
        headers={"Authorization": f"Bearer {key}"},
    )
    assert posted.status_code == 201 and posted.json()["subsidy_yuan"] == "5.00"
    listed = Page(person.get(base).text).rows("keys")
    assert key.split("_")[1] in listed


def _body(month: Month, record_id: str) -> dict[str, object]:
    return usage_on(record_id, month.voucher, month.enterprise, "10.00", "2026-06-12")
