"""Names, search, numbered pages and the small defects of issue 23, in a real browser (Debian's
chromium, Playwright) against the real service on the demo's data: a clerk searches the
application queue by a company's name, sees the waiting count in the menu and the page
numbers; a filter the page cannot read comes back as the form with a Chinese message; a
refused approval lands on the application's own URL (a refresh re-submits nothing); the
burn-down's "未分配" is a line; /redoc asks nothing of anyone else."""

from __future__ import annotations

import json
from urllib.parse import parse_qs, urlparse

import pytest
from playwright.sync_api import Page, Request

from tests.console.test_browser import (  # noqa: F401 (fixtures)
    Session,
    browse,
    chromium,
)
from tests.console.test_browser_bureau import clerk, served_demo, service_url  # noqa: F401
from voucher_service.demo import PROGRAM_CODE

pytestmark = pytest.mark.browser

QUEUE = "/console/bureau/applications"


def _column(page: Page, table: str, label: str) -> list[str]:
    """The texts of one column of a table, by its header."""
    headers = [
        h.strip().rstrip("▲▼ ") for h in page.locator(f"#{table} thead th").all_inner_texts()
    ]
    index = headers.index(label)
    rows = page.locator(f"#{table} tbody tr[data-key]")
    return [rows.nth(i).locator("td").nth(index).inner_text() for i in range(rows.count())]


def test_a_clerk_finds_an_application_by_its_companys_name(clerk: Session) -> None:  # noqa: F811
    page = clerk.page
    page.goto(f"{QUEUE}?status=all")
    names = _column(page, "applications", "企业名称")
    assert names and all(names), "the queue shows each applicant's name"
    wanted = names[-1]
    part = wanted[2:6]  # part of the name, as a clerk remembers it
    page.fill("#applications input[name=q]", part)
    page.click("#applications .filters button[type=submit]")
    page.wait_for_url("**q=*")
    found = _column(page, "applications", "企业名称")
    assert wanted in found and all(part in name for name in found)
    # the other filters and the search stay in the address and the form
    query = parse_qs(urlparse(page.url).query)
    assert query["q"] == [part] and query["status"] == ["all"]
    assert page.locator("#applications input[name=q]").input_value() == part
    pager = page.locator("#applications .page-of").inner_text()
    assert pager == f"第 1 / 1 页 · 共 {len(found)} 条"
    # a header sorts the table, keeping the search
    page.click("#applications th a[data-sort=enterprise]")
    page.wait_for_url("**sort=enterprise*")
    assert parse_qs(urlparse(page.url).query)["q"] == [part]
    assert clerk.errors == []


def test_the_menu_counts_the_waiting_applications(clerk: Session) -> None:  # noqa: F811
    page = clerk.page
    page.goto(QUEUE)  # submitted ones: the queue's default
    total = int(page.locator("#applications .page-of").get_attribute("data-total") or "-1")
    # The queue's own badge (the inbox beside it counts unread messages).
    badge = page.locator(f'nav.main-nav a[href$="{QUEUE}"] .nav-count')
    if total == 0:
        assert badge.count() == 0
    else:
        assert badge.inner_text() == str(total)


def test_a_year_that_is_no_number_shows_the_form_with_the_filters_kept(
    clerk: Session,  # noqa: F811
) -> None:
    page = clerk.page
    response = page.goto(f"{QUEUE}?status=all&program={PROGRAM_CODE}&year=abc")
    assert response is not None and response.status == 200
    assert "年度应为 2000 至 2100 之间的数字" in page.locator("[role=alert]").inner_text()
    assert page.locator("#applications select[name=status]").input_value() == "all"
    assert page.locator("#applications input[name=program]").input_value() == PROGRAM_CODE
    assert page.locator("#applications tbody tr").count() >= 1
    assert clerk.errors == []


def test_a_refused_approval_lands_on_the_application_so_a_refresh_resubmits_nothing(
    clerk: Session,  # noqa: F811
) -> None:
    page = clerk.page
    page.goto(QUEUE)
    rows = page.locator("#applications tbody tr[data-key]")
    if rows.count() == 0:
        pytest.skip("the demo's queue is empty")
    application = rows.first.get_attribute("data-key")
    page.goto(f"{QUEUE}/{application}")
    page.fill("#amount", "99999999")  # more than asked: refused
    page.click("#approve-form button[type=submit]")
    page.wait_for_selector("[role=alert]")
    assert urlparse(page.url).path == f"{QUEUE}/{application}"  # not .../approve
    assert "refused=" in page.url
    assert page.locator("#amount").input_value() == "99999999"  # the form as it was filled
    posts: list[Request] = []
    page.on("request", lambda r: posts.append(r) if r.method == "POST" else None)
    page.reload()
    page.wait_for_load_state()
    assert posts == []
    assert "待审" in page.locator("h1 .badge").inner_text()
    assert clerk.errors == []


def test_the_burn_downs_available_series_is_a_line(clerk: Session) -> None:  # noqa: F811
    page = clerk.page
    page.goto("/console/bureau")
    page.wait_for_selector("#burn-down[data-chart-ready]")
    option = json.loads(page.locator("#burn-down").get_attribute("data-chart") or "{}")
    available = next(s for s in option["series"] if s["name"].startswith("未分配"))
    points = [p for p in available["data"] if p is not None]
    assert len(points) >= 2, available  # a line, never one stray dot
    assert clerk.errors == []


def test_redoc_asks_nothing_of_anyone_else(browse: Session) -> None:  # noqa: F811
    page = browse.page
    page.goto("/redoc")
    page.wait_for_selector("h1", timeout=60_000)  # a busy machine: ReDoc reads 1 MB first
    page.wait_for_selector("[role=search], .menu-content", timeout=60_000)
    page.wait_for_timeout(500)  # ReDoc draws its side menu (and once, its maker's logo) late
    assert browse.outside == []
    assert browse.errors == []  # a CSP refusal of an outside image would be one
    assert all(u.startswith(browse.base_url) for u in browse.requested)
