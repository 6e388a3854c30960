"""The provider's spreadsheet upload and disputes in the console, and the bureau's dispute
queue: the same service calls as the API, the same outcomes, and the same refusals (another
provider's record is not found, a second open dispute is refused, only a reviewer decides)."""

from __future__ import annotations

import io

from openpyxl import load_workbook

from tests.console.html import Page
from tests.factories import AUDITOR, REVIEWER, Browser, Month, csrf_of, post_form
from voucher_service.usage import upload

ME = "ops.sun"


def _csv(month: Month, *rows: tuple[str, str, str]) -> bytes:
    lines = [",".join(zh for _, zh in upload.COLUMNS)]
    for record_id, fee, holder in rows:
        lines.append(
            f"{record_id},{month.voucher},,{holder},加速卡,Ascend 910B,1,卡时,{fee},{fee},"
            "2026-06-12 09:00,2026-06-12 10:00"
        )
    return "\r\n".join(lines).encode("utf-8-sig")


def _upload(person, url: str, body: bytes, name: str = "六月.csv"):  # type: ignore[no-untyped-def]
    token = csrf_of(person.get(url).text)
    return person.post(
        f"{url}/upload",
        data={"csrf_token": token},
        files={"file": (name, body, "text/csv")},
    )


def test_an_upload_shows_each_rows_outcome_and_a_second_is_a_replay(
    month: Month, browser: Browser
) -> None:
    person = browser(ME)
    url = f"/console/provider/{month.provider}/records"
    body = _csv(
        month,
        ("up-1", "40.00", month.enterprise),
        ("up-2", "10.00", "91420106MA4K00005Y"),  # not the holder: refused
        ("up-3", "abc", month.enterprise),  # invalid
    )
    first = _upload(person, url, body)
    assert first.status_code == 200, first.text
    rows = Page(first.text).rows("upload-outcomes")
    assert list(rows) == ["2", "3", "4"]
    assert "已入账" in rows["2"] and "全额补贴" in rows["2"] and "¥20.00" in rows["2"]
    assert "不予补贴" in rows["3"] and "信用代码与持券企业不符" in rows["3"]
    assert "无效" in rows["4"] and "fee_yuan" in " ".join(rows["4"])
    assert 'id="upload-unchanged"' not in first.text
    summary = first.text.split('id="upload-summary"')[1].split("</p>")[0]
    assert 'data-created="2"' in summary and "新记录 2 条" in summary and "无效 1 条" in summary
    api = month.api(f"/v1/provider/{month.provider}/usage-records/up-1")
    assert api["subsidy_yuan"] == "20.00"
    # the records below the result show the new ones
    assert "up-1" in Page(first.text).keys("records")

    again = _upload(person, url, body)
    assert [r[2] for r in Page(again.text).rows("upload-outcomes").values()] == [
        "重复提交",
        "重复提交",
        "无效",
    ]
    assert 'id="upload-unchanged"' in again.text

    refused = _upload(person, url, b"\x00\x01binary", "x.csv")
    assert refused.status_code == 422 and "无法读取该文件" in refused.text


def test_templates_in_both_formats(month: Month, browser: Browser) -> None:
    person = browser(ME)
    url = f"/console/provider/{month.provider}/records/template"
    xlsx = person.get(url, params={"format": "xlsx"})
    header = next(load_workbook(io.BytesIO(xlsx.content)).worksheets[0].iter_rows(values_only=True))
    assert header[0] == "记录编号"
    csv = person.get(url, params={"format": "csv", "lang": "en"})
    assert csv.content.decode("utf-8-sig").startswith("record_id,voucher_code")


def test_a_dispute_from_the_record_to_the_bureaus_decision(month: Month, browser: Browser) -> None:
    person = browser(ME)
    records_url = f"/console/provider/{month.provider}/records"
    page = person.get(records_url).text
    assert f"{records_url}/job-3/dispute" in page
    dispute_url = f"{records_url}/job-3/dispute"
    raised = post_form(person, dispute_url, dispute_url, reason="企业信用代码已更正")
    assert raised.status_code == 303
    mine = person.get(raised.headers["location"])
    assert "异议已提交" in mine.text
    [(dispute_id, cells)] = Page(mine.text).rows("disputes").items()
    assert "job-3" in cells and "待处理" in cells

    # a second open dispute of the record: refused on the page
    token = csrf_of(person.get(records_url).text)
    second = person.post(dispute_url, data={"reason": "again", "csrf_token": token})
    assert second.status_code in (200, 409)
    assert 'id="dispute-form"' not in person.get(dispute_url).text  # no form while open

    # another provider's record is not found
    other = person.get(f"/console/provider/{month.other_provider}/records/job-3/dispute")
    assert other.status_code == 404

    # the bureau's queue; the reviewer declines
    reviewer = browser(REVIEWER)
    queue = reviewer.get("/console/bureau/disputes", params={"status": "open"})
    assert dispute_id in Page(queue.text).keys("disputes")
    one = f"/console/bureau/disputes/{dispute_id}"
    declined = post_form(reviewer, one, f"{one}/decline", reason="更正日期晚于服务日期，原记录维持")
    assert declined.status_code == 303
    shown = reviewer.get(declined.headers["location"]).text
    assert "已不予采纳该异议" in shown and "未采纳" in shown

    after = Page(person.get(f"/console/provider/{month.provider}/disputes").text)
    cells = after.rows("disputes")[dispute_id]
    assert "未采纳" in cells and "更正日期晚于服务日期，原记录维持" in cells
    api = month.api(f"/v1/provider/{month.provider}/disputes/{dispute_id}")
    assert api["status"] == "declined"


def test_only_a_reviewer_decides(month: Month, browser: Browser) -> None:
    dispute = month.client.post(
        f"/v1/provider/{month.provider}/usage-records/job-1/disputes", json={"reason": "计量有误"}
    ).json()
    auditor = browser(AUDITOR)
    page = auditor.get(f"/console/bureau/disputes/{dispute['id']}")
    assert page.status_code == 200 and 'id="accept-dispute"' not in page.text
    token = csrf_of(page.text)
    refused = auditor.post(
        f"/console/bureau/disputes/{dispute['id']}/accept",
        data={"correction": "none", "resolution": "ok", "csrf_token": token},
    )
    assert refused.status_code == 403
