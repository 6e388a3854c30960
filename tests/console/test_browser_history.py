"""Measure 3, history and districts in a real browser (Debian's chromium, Playwright) on the
demo's data: an SME puts its model up for selection, a reviewer selects it and declines
another applicant's with a reason, both see the outcome; a history section reads in Chinese
with people by name (never a login); a district's top-up spending. No script error, no
request leaving 127.0.0.1; the pages are photographed for docs/images."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Browser

from tests.console.test_browser import (  # noqa: F401 (fixtures)
    Session,
    browse,
    chromium,
    screenshot,
)
from tests.console.test_browser_bureau import served_demo, service_url  # noqa: F401 (fixtures)
from voucher_service.db.tables.auth import Role
from voucher_service.demo import DemoResult

pytestmark = pytest.mark.browser

LOGINS = ("demo.admin", "demo.enterprise", "bureau_admin:", "enterprise:")


def _signed_in(session: Session, demo: DemoResult, role: Role) -> Session:
    person = next(a for a in demo.accounts if a.role is role)
    session.page.on("dialog", lambda dialog: dialog.accept())
    session.sign_in(person.login, person.password)
    session.page.wait_for_url("**/console/**")
    return session


def test_the_selection_queue_from_submission_to_outcome(
    browse: Session,  # noqa: F811 (the fixture)
    chromium: Browser,  # noqa: F811
    served_demo: tuple[str, DemoResult],  # noqa: F811 (the fixture)
    tmp_path: Path,
) -> None:
    url, demo = served_demo
    sme = _signed_in(Session(chromium, url), demo, Role.ENTERPRISE)
    clerk = _signed_in(browse, demo, Role.BUREAU_ADMIN)
    try:
        page = sme.page
        page.click("nav >> text=模型遴选申报")
        page.wait_for_selector("#selection-form")
        page.select_option("#program_code", "WH-AI-M3")
        page.fill("#year", "2027")
        page.fill("#model_name", "工业质检大模型")
        page.select_option("#sector", "manufacturing")
        page.fill("#filing_reference", "Hubei-manufacturing-20270101")
        page.click("#selection-form button[type=submit]")
        assert "申报已提交" in page.locator("[role=status]").inner_text()
        mine = page.locator("#my-selections li[data-key]", has_text="工业质检大模型")
        assert mine.get_attribute("data-status") == "submitted" and "待审核" in mine.inner_text()
        screenshot(page, "enterprise-selections.png", tmp_path)

        desk = clerk.page
        desk.click("nav >> text=模型遴选")
        desk.wait_for_selector("#selections tbody tr[data-key]")
        screenshot(desk, "bureau-selections.png", tmp_path)
        desk.locator("#selections tbody tr", has_text="工业质检大模型").locator("a").first.click()
        desk.wait_for_selector("#select-form")
        desk.click("#select-form button[type=submit]")
        assert "已入选" in desk.locator("h1 .badge").inner_text()
        assert "确定入选" in desk.locator("#history").inner_text()
        desk.goto("/console/bureau/selections")
        desk.locator("#selections tbody tr", has_text="农业遥感作物识别大模型").locator(
            "a"
        ).first.click()
        desk.wait_for_selector("#decline-form")
        desk.fill("#decline-reason", "备案材料不全")
        desk.click("#decline-form button[type=submit]")
        assert "未入选" in desk.locator("h1 .badge").inner_text()
        screenshot(desk, "bureau-selection.png", tmp_path)
        history = desk.locator("#history").inner_text()
        assert "不予入选" in history and "备案材料不全" in history and "演示管理员" in history
        assert not any(login in history for login in LOGINS)
        desk.goto("/console/bureau/selections?status=all")
        assert desk.locator("#selections tbody tr", has_text="未入选").count() >= 1

        page.reload()
        mine = page.locator("#my-selections li[data-key]", has_text="工业质检大模型")
        assert mine.get_attribute("data-status") == "selected"
        shown = mine.inner_text()
        assert "已入选" in shown and "演示管理员" in shown
        assert not any(login in shown for login in LOGINS)
        assert sme.errors == [] and clerk.errors == []
    finally:
        sme.context.close()
    assert sme.outside == []


def test_a_history_section_reads_in_chinese_without_logins(
    browse: Session,  # noqa: F811 (the fixture)
    served_demo: tuple[str, DemoResult],  # noqa: F811 (the fixture)
    tmp_path: Path,
) -> None:
    clerk = _signed_in(browse, served_demo[1], Role.BUREAU_ADMIN)
    page = clerk.page
    page.goto("/console/bureau/applications?status=approved")
    page.locator("#applications tbody tr[data-key] a").first.click()
    page.wait_for_selector("#history li")
    history = page.locator("#history").inner_text()
    assert "提交申请" in history and "批准申请" in history and "批准金额" in history
    assert "¥" in history and "→" in history
    assert not any(code in history for code in ("application.", "_fen", *LOGINS))
    screenshot(page, "bureau-application-history.png", tmp_path)
    code = served_demo[1].vouchers[0]
    page.goto(f"/console/bureau/vouchers/{code}")
    page.wait_for_selector("#history li")
    assert "发放算力券" in page.locator("#history").inner_text()
    postings = page.locator("#postings").inner_text()
    assert "年度资金池" in postings and "pool:" not in postings
    assert clerk.errors == []


def test_a_programs_layers_and_its_districts_spending(
    browse: Session,  # noqa: F811 (the fixture)
    served_demo: tuple[str, DemoResult],  # noqa: F811 (the fixture)
    tmp_path: Path,
) -> None:
    clerk = _signed_in(browse, served_demo[1], Role.BUREAU_ADMIN)
    page = clerk.page
    page.click("nav >> text=项目与叠加")
    page.wait_for_selector("#programs tbody tr[data-key]")
    page.locator("#programs tbody tr[data-key='WH-AI-M2'] a").first.click()
    page.wait_for_selector("#layers tbody tr[data-key]")
    assert "洪山区" in page.locator("#layers").inner_text()
    screenshot(page, "bureau-program.png", tmp_path)
    page.locator("#layers tbody tr[data-key] a", has_text="洪山区").click()
    page.wait_for_selector("[data-figure=consumed]")
    assert page.locator("[data-figure=consumed]").first.inner_text().startswith("¥")
    screenshot(page, "bureau-district.png", tmp_path)
    assert clerk.errors == []
