"""The bureau's month in a real browser (Debian's chromium, Playwright) against the real
service on the demo's data: a clerk signs in, sees the overview with its charts drawn,
approves an application, revokes a voucher, closes and pays a provider's month that a second
person (finance) approves, and downloads its workbook; the auditor reads the audit log —
with no script error and no request leaving 127.0.0.1.

Each main page is photographed on the way into $CONSOLE_SCREENSHOTS (``make screenshots``:
docs/images) or a temporary directory.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from openpyxl import load_workbook
from playwright.sync_api import Browser

from tests.console.test_browser import (  # noqa: F401 (fixtures)
    Session,
    browse,
    chromium,
    screenshot,
)
from tests.databases import fresh_database
from voucher_service.audit_log import CLI, set_actor
from voucher_service.config import get_settings
from voucher_service.db.session import create_db_engine, transaction
from voucher_service.db.tables.auth import Role
from voucher_service.demo import DemoResult, load_demo
from voucher_tools.localcluster import api_processes

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def served_demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, DemoResult]]:
    """The real service on a database holding the demo (loaded as ``voucher-service demo``
    loads it), and what the demo made."""
    directory = tmp_path_factory.mktemp("console-bureau-browser")
    with fresh_database(directory) as url:
        engine = create_db_engine(url)
        with transaction(engine) as session:
            set_actor(session, CLI)
            result = load_demo(session, today=get_settings().today())
        engine.dispose()
        with api_processes(url, 1, directory) as urls:
            yield urls[0], result


@pytest.fixture(scope="module")
def service_url(served_demo: tuple[str, DemoResult]) -> str:
    return served_demo[0]


@pytest.fixture
def clerk(browse: Session, served_demo: tuple[str, DemoResult]) -> Session:  # noqa: F811
    """Signed in as the demo's bureau administrator, accepting the pages' confirmations."""
    admin = next(a for a in served_demo[1].accounts if a.role is Role.BUREAU_ADMIN)
    browse.page.on("dialog", lambda dialog: dialog.accept())
    browse.sign_in(admin.login, admin.password)
    browse.page.wait_for_url("**/console/bureau")
    return browse


def test_the_overview_draws_its_charts(clerk: Session, tmp_path: Path) -> None:
    page = clerk.page
    page.wait_for_selector("#burn-down[data-chart-ready]")
    charts = page.locator("[data-chart]")
    assert charts.count() == 5
    for index in range(5):
        chart = charts.nth(index)
        assert chart.get_attribute("data-chart-ready") == ""
        assert chart.locator("svg").count() == 1
    assert "区" in page.locator("#by-district svg").inner_html()  # named districts
    assert page.locator("[data-figure=consumed] .figure-value").inner_text().startswith("¥")
    screenshot(page, "bureau-overview.png", tmp_path)
    page.locator("#pools a").nth(2).click()  # another program's year
    page.wait_for_selector("#by-month[data-chart-ready]")
    assert clerk.errors == []


def test_a_clerk_approves_an_application_for_less(clerk: Session, tmp_path: Path) -> None:
    page = clerk.page
    page.click("nav >> text=申请审核")
    page.wait_for_url("**/console/bureau/applications")
    rows = page.locator("#applications tbody tr[data-key]")
    assert rows.count() >= 1
    screenshot(page, "bureau-applications.png", tmp_path)
    rows.first.locator("a").first.click()
    page.wait_for_selector("#checks li")  # the click starts a navigation: wait for its page
    assert page.locator("#checks li").count() >= 4
    screenshot(page, "bureau-application.png", tmp_path)
    requested = page.locator("#amount").get_attribute("placeholder") or ""
    page.fill("#amount", "10000.00")
    page.click("#approve-form button[type=submit]")
    assert "申请已批准" in page.locator("[role=status]").inner_text()
    assert "已批准" in page.locator("h1 .badge").inner_text()
    assert "¥10,000.00" in page.locator(".facts").inner_text() and requested.startswith("¥")
    assert clerk.errors == []


def test_a_clerk_revokes_a_voucher(
    clerk: Session, served_demo: tuple[str, DemoResult], tmp_path: Path
) -> None:
    page = clerk.page
    code = served_demo[1].vouchers[-1]
    page.click("nav >> text=算力券")
    page.fill("input[name=code]", code)
    page.click("#vouchers .filters button[type=submit]")
    page.wait_for_selector(f"#vouchers tr[data-key='{code}']")
    screenshot(page, "bureau-vouchers.png", tmp_path)
    page.click(f"#vouchers tr[data-key='{code}'] a")
    page.wait_for_selector("#postings tbody tr[data-key]")
    assert page.locator("#postings tbody tr[data-key]").count() >= 1
    assert page.locator("#audit-trail").count() == 0  # the audit log is audit's to read
    page.fill("#revoke-form input[name=reason]", "企业已注销")
    page.click("#revoke-form button[type=submit]")
    assert "已作废" in page.locator("h1 .badge").inner_text()
    assert "未使用余额已退回券池" in page.locator("[role=status]").inner_text()
    assert page.locator("#postings tbody tr[data-key]").count() == 2  # issued, released
    screenshot(page, "bureau-voucher.png", tmp_path)
    assert clerk.errors == []


def _last_month() -> str:
    today = get_settings().today()
    first = date(today.year, today.month, 1)
    previous = date(first.year - (first.month == 1), (first.month - 2) % 12 + 1, 1)
    return f"{previous.year}-{previous.month:02d}"


def test_two_clerks_close_approve_and_pay_a_month_and_download_it(
    clerk: Session,
    chromium: Browser,  # noqa: F811 (the fixture)
    service_url: str,
    served_demo: tuple[str, DemoResult],
    tmp_path: Path,
) -> None:
    """Two people (docs/access.md): the administrator closes, may not approve what they
    closed, a second person of finance approves, and the administrator pays."""
    page = clerk.page
    page.click("nav >> text=月度结算")
    page.click("#close-month summary")
    page.select_option("select[name=provider_uscc]", index=1)  # the provider with usage
    page.fill("input[name=period]", _last_month())
    page.click("#close-month button[type=submit]")
    assert "结算单已关账" in page.locator("[role=status]").inner_text()
    screenshot(page, "bureau-statements.png", tmp_path)
    page.locator("#statements tbody tr[data-key] a").first.click()
    statement = page.url
    page.click("#approve-statement button[type=submit]")
    assert "须由另一人完成" in page.content()
    finance = next(a for a in served_demo[1].accounts if a.login == "demo.finance")
    checker = Session(chromium, service_url)
    try:
        checker.page.on("dialog", lambda dialog: dialog.accept())
        checker.sign_in(finance.login, finance.password)
        checker.page.wait_for_url("**/console/bureau")
        checker.page.goto(statement)
        checker.page.click("#approve-statement button[type=submit]")
        assert "结算单已审核" in checker.page.locator("[role=status]").inner_text()
        assert checker.errors == []
    finally:
        checker.context.close()
    page.goto(statement)
    page.fill("#payment_reference", "WH-TREAS-2026-0001")
    page.click("#pay-statement button[type=submit]")
    assert "结算单已支付" in page.locator("[role=status]").inner_text()
    assert "已支付" in page.locator("h1 .badge").inner_text()
    screenshot(page, "bureau-statement.png", tmp_path)
    with page.expect_download() as download:
        page.click("#statement-downloads a.download-xlsx")
    path = download.value.path()
    book = load_workbook(io.BytesIO(Path(path).read_bytes()))
    text = " ".join(str(c.value) for sheet in book for row in sheet.iter_rows() for c in row)
    assert "补贴" in text  # Chinese headers, as the page is Chinese
    assert clerk.errors == []


def test_the_auditor_reads_the_audit_log(
    browse: Session,  # noqa: F811 (the fixture)
    served_demo: tuple[str, DemoResult],
    tmp_path: Path,
) -> None:
    auditor = next(a for a in served_demo[1].accounts if a.login == "demo.auditor")
    browse.sign_in(auditor.login, auditor.password)
    browse.page.wait_for_url("**/console/bureau")
    browse.page.goto("/console/bureau/audit?limit=12")
    browse.page.wait_for_selector("#audit")
    screenshot(browse.page, "bureau-audit.png", tmp_path)
    assert browse.errors == []


@pytest.mark.parametrize(
    ("path", "image", "ready"),
    [
        ("/console/bureau/enterprises", "bureau-enterprises.png", "#enterprises"),
        ("/console/bureau/providers", "bureau-providers.png", "#providers"),
        ("/console/bureau/evaluation", "bureau-evaluation.png", "#eval-month"),
    ],
)
def test_the_other_bureau_pages_render(
    clerk: Session, path: str, image: str, ready: str, tmp_path: Path
) -> None:
    clerk.page.goto(path)
    clerk.page.wait_for_selector(ready)
    screenshot(clerk.page, image, tmp_path)
    assert clerk.errors == []
