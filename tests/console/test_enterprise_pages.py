"""The enterprise's pages agree with their API endpoints (the same rows and figures, the same
404 for another company's data), and their forms change exactly what the API call would."""

from __future__ import annotations

import io
import re

import pytest
from openpyxl import load_workbook
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.console.html import Page, yuan_text
from tests.factories import (
    Browser,
    Month,
    People,
    csrf_of,
    make_application,
    make_pool,
    make_program,
    make_selection,
    make_top_up,
    usage_on,
)
from voucher_service.db.tables.audit import AuditEntry
from voucher_service.db.tables.auth import Role
from voucher_service.db.tables.programs import Program
from voucher_service.enterprises.service import get_enterprise

ME = "finance.chen"


def _page(browser: Browser, url: str, login: str = ME) -> Page:
    response = browser(login).get(url)
    assert response.status_code == 200, response.text[:500]
    return Page(response.text)


def _audit(session: Session, action: str) -> list[AuditEntry]:
    return list(session.scalars(select(AuditEntry).where(AuditEntry.action == action)))


def test_the_status_page_shows_the_api_figures(month: Month, browser: Browser) -> None:
    base = f"/console/enterprise/{month.enterprise}"
    api = month.api(f"/v1/enterprise/{month.enterprise}/status", program=month.program)
    page = _page(browser, base)
    figures = page.figures_of(f"program-{month.program}")
    assert figures["cap"].startswith(yuan_text(api["cap_yuan"]))
    for name in ("cap_used", "cap_remaining", "outstanding", "issuable"):
        assert figures[name] == yuan_text(api[f"{name}_yuan"]), name
    assert figures["cap_used"] == "¥60.00"  # 50% of 100.00 and of 20.00
    assert figures["rate"] == "50%"
    assert figures["window"] == f"{api['window_start']} – {api['window_end']}"
    vouchers = page.rows(f"vouchers-{month.program}")
    assert list(vouchers) == [v["code"] for v in api["vouchers"]]
    [shown] = vouchers.values()
    [voucher] = api["vouchers"]
    assert yuan_text(voucher["balance_yuan"]) in shown and "¥49,940.00" in shown
    assert yuan_text(voucher["face_value_yuan"]) in shown and "可用" in shown


def test_measure_3_shows_once_selected_and_a_top_up_after_its_base(
    month: Month, browser: Browser, session: Session, people: People
) -> None:
    enterprise = get_enterprise(session, month.enterprise)
    measure_3 = make_program(session, code="WH-AI-M3", requires_selection=True)
    make_pool(session, measure_3)
    top_up = make_program(session, code="WH-TOPUP", region_prefix=enterprise.district_code)
    base = session.scalars(
        select(type(measure_3)).where(type(measure_3).code == month.program)
    ).one()
    make_top_up(session, top_up, base)
    session.commit()
    url = f"/console/enterprise/{month.enterprise}"
    shown = [s for s in _page(browser, url).figures if s.startswith("program-")]
    assert shown == ["program-WH-AI-M2", "program-WH-TOPUP"]
    make_selection(session, program=measure_3, enterprise=enterprise)
    session.commit()
    page = _page(browser, url)
    assert [s for s in page.figures if s.startswith("program-")] == [
        "program-WH-AI-M2",
        "program-WH-TOPUP",
        "program-WH-AI-M3",
    ]
    assert "叠加于 WH-AI-M2，合计不超过费用的 70%" in page.html
    measure_3_figures = page.figures_of("program-WH-AI-M3")
    api = month.api(f"/v1/enterprise/{month.enterprise}/status", program="WH-AI-M3")
    assert measure_3_figures["issuable"] == yuan_text(api["issuable_yuan"])


def test_another_enterprise_is_not_found_on_every_page(
    month: Month, browser: Browser, people: People
) -> None:
    other = people.other_enterprise.enterprise_uscc
    me = browser(ME)
    for suffix in ("", "/usage", "/usage/export", "/applications", "/redemptions", "/keys"):
        page = me.get(f"/console/enterprise/{other}{suffix}")
        assert page.status_code == 404, suffix
        assert "页面不存在" in page.text
    api = month.client.get(
        f"/v1/enterprise/{other}/status",
        params={"program": month.program},
        headers={"Authorization": f"Bearer {month.client.key(Role.ENTERPRISE, month.enterprise)}"},
    )
    assert api.status_code == 404
    # a provider's person is refused the enterprise's pages as its key is refused the API
    assert browser("ops.sun").get(f"/console/enterprise/{month.enterprise}").status_code == 403


def test_the_usage_page_lists_the_api_rows_and_filters_like_it(
    month: Month, browser: Browser
) -> None:
    base = f"/console/enterprise/{month.enterprise}/usage"
    api_base = f"/v1/enterprise/{month.enterprise}/usage-records"
    person = browser(ME)
    for params in (
        {},
        {"outcome": "subsidised"},
        {"from": "2026-06-11"},
        {"provider": month.provider},
        {"provider": month.other_provider},
        {"voucher": month.voucher, "to": "2026-06-10"},
    ):
        # The page lists the newest use first (issue 23): the API's sort=-service_date.
        items = month.api(api_base, sort="-service_date", **params)["items"]
        page = Page(person.get(base, params=params).text)
        assert page.keys("records") == [r["record_id"] for r in items], params
        for record in items:
            cells = page.rows("records")[record["record_id"]]
            assert yuan_text(record["fee_yuan"]) in cells
            assert yuan_text(record["subsidy_yuan"]) in cells
            assert yuan_text(record["enterprise_pays_yuan"]) in cells
    everything = Page(person.get(base).text).rows("records")
    assert "智算" in everything["job-1"]  # the provider, by name
    # blank filters (a GET form left at 全部) are no filters
    blank = person.get(base, params={"outcome": "", "from": "", "to": "", "voucher": ""})
    assert Page(blank.text).keys("records") == list(everything)


def test_usage_downloads_are_the_api_export_in_the_page_language(
    month: Month, browser: Browser
) -> None:
    person = browser(ME)
    url = f"/console/enterprise/{month.enterprise}/usage/export"
    csv = person.get(url, params={"format": "csv", "outcome": "subsidised"})
    assert csv.status_code == 200 and csv.headers["content-type"].startswith("text/csv")
    api = month.client.get(
        f"/v1/enterprise/{month.enterprise}/usage-records.csv",
        params={"outcome": "subsidised", "headers": "zh"},
    )
    assert csv.content == api.content
    assert csv.content.decode("utf-8-sig").startswith("记录编号,类型")
    person.get(url.replace("/export", ""), params={"lang": "en"})
    xlsx = person.get(url, params={"format": "xlsx"})
    book = load_workbook(io.BytesIO(xlsx.content))
    rows = list(book.worksheets[0].iter_rows(values_only=True))
    assert rows[0][0] == "record_id" and [r[0] for r in rows[1:]] == ["job-1", "job-2", "job-3"]
    assert f'filename="usage-{month.enterprise}.xlsx"' in xlsx.headers["content-disposition"]


def _application_form(token: str, **changes: str | list[str]) -> dict[str, str | list[str]]:
    form: dict[str, str | list[str]] = {
        "program_code": "WH-AI-M2",
        "year": "2026",
        "requested_yuan": "¥80,000.00",
        "planned_use": "训练缺陷检测模型",
        "size_class": "small",
        "headcount": "40",
        "revenue_yuan": "12,000,000",
        "declares_no_related_party": "true",
        "csrf_token": token,
    }
    form.update(changes)
    return form


def test_applying_shows_the_checks_and_files_what_the_api_would(
    month: Month, browser: Browser, session: Session
) -> None:
    person = browser(ME)
    base = f"/console/enterprise/{month.enterprise}/applications"
    token = csrf_of(person.get(base).text)
    filed = person.post(
        base,
        data=_application_form(token, intended_providers=[month.provider]),
        follow_redirects=False,
    )
    assert filed.status_code == 303
    detail_url = filed.headers["location"]
    assert detail_url.endswith("?done=submitted")
    application_id = int(detail_url.split("/")[-1].split("?")[0])
    detail = Page(person.get(detail_url).text)
    api = month.api(f"/v1/enterprise/{month.enterprise}/applications/{application_id}")
    assert api["status"] == "submitted" and api["eligible"] is True
    assert api["requested_yuan"] == "80000.00" and api["revenue_yuan"] == "12000000.00"
    assert api["intended_providers"] == [month.provider]
    assert detail.figures_of()["requested"] == "¥80,000.00"
    assert "申请已提交" in detail.html and "审核中" in detail.html
    checks = detail.rows("")
    assert list(checks) == [c["check"] for c in api["checks"]]
    for check in api["checks"]:
        # the API's English message, on the page in Chinese (the check's note)
        assert (
            "通过" in checks[check["check"]][1] and check["message"] not in checks[check["check"]]
        )
        assert re.search("[\u4e00-\u9fff]", checks[check["check"]][2])
    assert detail.figures_of()["no-flags"] == "无"
    [entry] = _audit(session, "application.submit")
    assert entry.actor == f"enterprise:{month.enterprise}/{ME}" and entry.key_id is None

    # the same again: refused as the API refuses it (one open application at a time)
    again = person.post(base, data=_application_form(token))
    assert again.status_code == 409 and "已存在" in again.text
    assert 'value="¥80,000.00"' in again.text  # what was typed is kept
    assert len(_audit(session, "application.submit")) == 1


def test_a_failing_check_and_a_flag_are_shown_and_bad_input_refused(
    month: Month, browser: Browser, people: People
) -> None:
    person = browser(ME)
    base = f"/console/enterprise/{month.enterprise}/applications"
    token = csrf_of(person.get(base).text)
    malformed = person.post(base, data=_application_form(token, requested_yuan="80000.123"))
    assert malformed.status_code == 422 and "申请金额（元）" in malformed.text
    assert month.api(f"/v1/enterprise/{month.enterprise}/applications")["items"] == []
    too_much = person.post(
        base,
        data=_application_form(token, requested_yuan="300000", declares_no_related_party=""),
    )
    assert too_much.status_code == 200 and "/applications/" in str(too_much.url)
    page = Page(too_much.text)
    assert "未通过" in page.rows("")["amount"][1]
    assert "申请企业未声明不存在关联关系" in page.html  # the flag, in Chinese
    [api] = month.api(f"/v1/enterprise/{month.enterprise}/applications")["items"]
    assert api["status"] == "rejected" and api["decided_by"] == "automatic checks"
    # the API's English reason, on the page as the failed check's note in Chinese
    decision = page.figures_of()["decision"]
    assert api["decision_reason"] not in decision and "可申请额度：尚可获得" in decision


def test_a_returned_application_is_resubmitted_from_its_page(
    month: Month, browser: Browser, session: Session
) -> None:
    person = browser(ME)
    base = f"/console/enterprise/{month.enterprise}/applications"
    token = csrf_of(person.get(base).text)
    person.post(base, data=_application_form(token), follow_redirects=False)
    [filed] = month.api(f"/v1/enterprise/{month.enterprise}/applications")["items"]
    returned = month.client.post(
        f"/v1/admin/applications/{filed['id']}/return", json={"reason": "请补充用途"}
    )
    assert returned.status_code == 200
    page = person.get(f"{base}/{filed['id']}")
    assert "修改后重新提交" in page.text and "请补充用途" in page.text
    changed = _application_form(csrf_of(page.text), requested_yuan="60000", planned_use="更具体")
    again = person.post(f"{base}/{filed['id']}/resubmit", data=changed, follow_redirects=False)
    assert again.headers["location"] == f"{base}/{filed['id']}?done=resubmitted"
    after = month.api(f"/v1/enterprise/{month.enterprise}/applications/{filed['id']}")
    assert (after["status"], after["requested_yuan"], after["planned_use"]) == (
        "submitted",
        "60000.00",
        "更具体",
    )
    [entry] = _audit(session, "application.resubmit")
    assert entry.actor.endswith(f"/{ME}")


def test_redeeming_and_ending_through_the_page(
    month: Month, browser: Browser, session: Session
) -> None:
    person = browser(ME)
    base = f"/console/enterprise/{month.enterprise}/redemptions"
    page = person.get(base)
    api = month.api(f"/v1/enterprise/{month.enterprise}/redemptions")["items"]
    assert Page(page.text).keys("redemptions") == [str(r["id"]) for r in api]
    form = {
        "voucher_code": month.voucher,
        "provider_uscc": month.other_provider,
        "csrf_token": csrf_of(page.text),
    }
    done = person.post(base, data=form, follow_redirects=False)
    assert done.headers["location"] == f"{base}?done=redeemed"
    after = month.api(f"/v1/enterprise/{month.enterprise}/redemptions")["items"]
    assert [(r["provider_uscc"], r["status"]) for r in after] == [
        (month.provider, "active"),
        (month.other_provider, "active"),
    ]
    [entry] = [e for e in _audit(session, "redemption.create") if e.actor.endswith(f"/{ME}")]
    assert month.other_provider in (entry.after or "")
    twice = person.post(base, data=form)
    assert twice.status_code == 409 and "已存在" in twice.text
    assert len(month.api(f"/v1/enterprise/{month.enterprise}/redemptions")["items"]) == 2

    end = person.post(f"{base}/{after[1]['id']}/end", data={"csrf_token": form["csrf_token"]})
    assert end.status_code == 200 and "已解除绑定" in end.text
    ended = month.api(f"/v1/enterprise/{month.enterprise}/redemptions")["items"][1]
    assert ended["status"] == "ended"
    # the provider may no longer draw on it
    refused = month.client.post(
        f"/v1/provider/{month.other_provider}/usage-records",
        json={**_record(month, "after-end")},
    )
    assert refused.json()["reason"] == "unknown_voucher"  # as if it never were


def _record(month: Month, record_id: str) -> dict[str, str]:
    return usage_on(record_id, month.voucher, month.enterprise, "10.00", "2026-06-12")


@pytest.mark.parametrize("action", ["redemptions", "applications", "keys"])
def test_forms_without_the_csrf_token_change_nothing(
    month: Month, browser: Browser, session: Session, action: str
) -> None:
    person = browser(ME)
    before = session.scalar(select(AuditEntry.id).order_by(AuditEntry.id.desc()).limit(1))  # type: ignore[attr-defined]
    data = {"voucher_code": month.voucher, "provider_uscc": month.other_provider, "name": "x"}
    refused = person.post(f"/console/enterprise/{month.enterprise}/{action}", data=data)
    assert refused.status_code == 403 and "表单已过期" in refused.text
    after = session.scalar(select(AuditEntry.id).order_by(AuditEntry.id.desc()).limit(1))  # type: ignore[attr-defined]
    assert after == before


def test_keys_are_created_shown_once_listed_and_revoked_as_the_api_does(
    month: Month, browser: Browser, session: Session
) -> None:
    person = browser(ME)
    base = f"/console/enterprise/{month.enterprise}/keys"
    token = csrf_of(person.get(base).text)
    made = person.post(base, data={"name": "财务系统", "expires_on": "", "csrf_token": token})
    assert made.status_code == 201
    key = made.text.split('id="new-key">')[1].split("<")[0]
    assert key.startswith("vsk_")
    # the key works on the API, as the enterprise
    status = month.client.get(
        f"/v1/enterprise/{month.enterprise}/status",
        params={"program": month.program},
        headers={"Authorization": f"Bearer {key}"},
    )
    assert status.status_code == 200
    listed = month.client.get(
        f"/v1/enterprise/{month.enterprise}/keys", headers={"Authorization": f"Bearer {key}"}
    ).json()["items"]
    page = Page(person.get(base).text)
    assert page.keys("keys") == [k["prefix"] for k in listed]
    assert key not in page.html  # shown once, never again
    prefix = key.split("_")[1]
    [entry] = [e for e in _audit(session, "key.create") if e.target_id == prefix]
    assert entry.actor == f"enterprise:{month.enterprise}/{ME}"

    past = person.post(base, data={"name": "x", "expires_on": "2026-06-01", "csrf_token": token})
    assert past.status_code == 422 and "有效期须晚于现在" in past.text
    revoked = person.post(f"{base}/{prefix}/revoke", data={"csrf_token": token})
    assert revoked.status_code == 200 and "密钥已吊销" in revoked.text
    assert "已吊销" in Page(revoked.text).rows("keys")[prefix][2]
    denied = month.client.get(
        f"/v1/enterprise/{month.enterprise}/keys", headers={"Authorization": f"Bearer {key}"}
    )
    assert denied.status_code == 401
    again = person.post(f"{base}/{prefix}/revoke", data={"csrf_token": token})
    assert again.status_code == 409


def test_another_enterprises_application_and_redemption_are_not_found(
    month: Month, browser: Browser, session: Session, people: People
) -> None:
    theirs = get_enterprise(session, people.other_enterprise.enterprise_uscc or "")
    program = session.scalars(select(Program).where(Program.code == month.program)).one()
    application = make_application(session, program=program, enterprise=theirs)
    session.commit()
    me = browser(ME)
    page = me.get(f"/console/enterprise/{month.enterprise}/applications/{application.id}")
    api = month.client.get(f"/v1/enterprise/{month.enterprise}/applications/{application.id}")
    assert (page.status_code, api.status_code) == (404, 404)
    [redemption] = month.api(f"/v1/enterprise/{month.enterprise}/redemptions")["items"]
    stranger = browser("finance.zhou")
    ended = stranger.post(
        f"/console/enterprise/{theirs.uscc}/redemptions/{redemption['id']}/end",
        data={"csrf_token": csrf_of(stranger.get(f"/console/enterprise/{theirs.uscc}/keys").text)},
    )
    assert ended.status_code == 404 and "没有这条核销绑定" in ended.text
    assert month.api(f"/v1/enterprise/{month.enterprise}/redemptions")["items"] == [redemption]
