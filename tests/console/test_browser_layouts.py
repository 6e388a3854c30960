"""The console's layouts, its print stylesheet, a provider's spreadsheet upload and a dispute
from raise to decision, in a real browser (Debian's chromium, Playwright) on the demo's data.

Layouts: every page of every role at 1366×768 (a clerk's laptop), and the SME's and the
provider's pages at 390×844 (a phone), is no wider than the window (no sideways scrolling)
and has no table wider than its box. Print: the menu, the buttons and the forms are not
printed. Upload: a provider uploads a spreadsheet with one refused row and sees each row's
outcome; the same file again is a replay. Dispute: the provider disputes a record, a reviewer
declines another and accepts this one, and the provider sees both decisions.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, time, timedelta
from decimal import Decimal
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, Page
from sqlalchemy import select
from sqlalchemy.orm import Session as DbSession

from tests.console.test_browser import Session, chromium, screenshot  # noqa: F401 (a fixture)
from tests.databases import backend, fresh_database
from voucher_service.audit_log import CLI, set_actor
from voucher_service.config import get_settings
from voucher_service.db.session import create_db_engine, transaction
from voucher_service.db.tables.auth import Role
from voucher_service.db.tables.enterprises import Enterprise
from voucher_service.db.tables.providers import Provider
from voucher_service.db.tables.vouchers import Voucher
from voucher_service.db.types import utcnow
from voucher_service.demo import DemoAccount, DemoResult, load_demo
from voucher_service.disputes.service import raise_dispute
from voucher_service.domain.usage import UsageReport
from voucher_service.redemptions.service import redeem
from voucher_service.usage import upload
from voucher_service.usage.service import ingest_usage
from voucher_tools.localcluster import api_processes

pytestmark = pytest.mark.browser

LAPTOP = {"width": 1366, "height": 768}
PHONE = {"width": 390, "height": 844}

# How wide the page is against the window, and each table against its box (a closed
# <details> holds tables of no width: they are not shown).
MEASURE = """() => {
  const wide = [];
  for (const table of document.querySelectorAll('table')) {
    const box = table.parentElement;
    if (table.offsetWidth > box.clientWidth + 1) {
      const where = table.closest('[id]');
      wide.push(`${where ? where.id : 'table'}: ${table.offsetWidth} > ${box.clientWidth}`);
    }
  }
  return {page: document.documentElement.scrollWidth, window: window.innerWidth, wide};
}"""


# Widths are the pages' layout, not the database's: measured in the SQLite run only (the
# suite runs twice in CI; the upload and dispute story below runs on both).
layout_only_once = pytest.mark.skipif(
    backend() == "postgresql", reason="a page's width is measured in the SQLite run"
)


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, DemoResult]]:
    """The real service on the demo's data, with one dispute waiting in the bureau's queue
    (so its pages are measured too)."""
    directory = tmp_path_factory.mktemp("console-layouts")
    with fresh_database(directory) as url:
        engine = create_db_engine(url)
        with transaction(engine) as session:
            set_actor(session, CLI)
            result = load_demo(session, today=get_settings().today())
            _a_providers_day(session, result)
        engine.dispose()
        with api_processes(url, 1, directory) as urls:
            yield urls[0], result


def _today_hour() -> tuple[datetime, datetime]:
    """An hour of today in Wuhan that has passed (or what has passed of it)."""
    tz = get_settings().tz
    now = datetime.now(tz)
    start = datetime.combine(now.date(), time(0), tz)
    return start, min(start + timedelta(hours=1), now - timedelta(seconds=5))


def _a_providers_day(session: DbSession, result: DemoResult) -> None:
    """The demo provider's account gets a voucher redeemed with it, one record posted on it
    today, and that record disputed."""
    provider = session.scalar(select(Provider).where(Provider.uscc == result.provider))
    holder = session.scalar(select(Voucher).where(Voucher.code == result.vouchers[0]))
    assert provider is not None and provider.id is not None and holder is not None
    enterprise = session.get(Enterprise, holder.enterprise_id)
    assert enterprise is not None
    redeem(session, enterprise=enterprise, voucher_code=holder.code, provider=provider)
    start, end = _today_hour()
    report = UsageReport(
        record_id="demo-today-001",
        voucher_code=holder.code,
        uscc=enterprise.uscc,
        resource_kind="accelerator",
        resource_model="Ascend 910B",
        quantity=Decimal(8),
        unit="card_hour",
        unit_price_fen=12_50,
        fee_fen=100_00,
        service_start=start,
        service_end=end,
    )
    settings = get_settings()
    ingest_usage(
        session, provider, [report], now=utcnow(), tz=settings.tz, grace_days=settings.grace_days
    )
    raise_dispute(session, provider.id, report.record_id, "计量时长有误（演示）", now=utcnow())


def _account(result: DemoResult, role: Role, login: str | None = None) -> DemoAccount:
    return next(
        a for a in result.accounts if a.role is role and (login is None or a.login == login)
    )


def _open(chromium: Browser, url: str, viewport: dict[str, int]) -> Session:  # noqa: F811
    session = Session(chromium, url)
    session.page.set_viewport_size(viewport)
    return session


def _sign_in(session: Session, account: DemoAccount) -> Page:
    session.sign_in(account.login, account.password)
    session.page.wait_for_url(lambda url: "/sign-in" not in url)
    return session.page


def _pages(page: Page) -> list[str]:
    """The menu's pages, and the first detail page each listing links to."""
    menu = page.eval_on_selector_all(
        ".main-nav a", "links => links.map(a => a.getAttribute('href'))"
    )
    found = [href for href in menu if href.startswith("/console/")]
    for listing in list(found):
        page.goto(listing)
        detail = page.eval_on_selector_all(
            "main tbody a[href^='/console/']", "links => links.map(a => a.getAttribute('href'))"
        )
        found += [href for href in detail[:1] if "/export" not in href and href not in found]
    return found


def _too_wide(page: Page, paths: list[str]) -> list[str]:
    problems = []
    for path in paths:
        response = page.goto(path)
        assert response is not None and response.status == 200, path
        page.wait_for_load_state("load")
        measured = page.evaluate(MEASURE)
        if measured["page"] > measured["window"]:
            problems.append(f"{path}: page {measured['page']} > window {measured['window']}")
        problems += [f"{path}: {table}" for table in measured["wide"]]
    return problems


@layout_only_once
@pytest.mark.parametrize(
    "login",
    ["demo.admin", "demo.it", "demo.program", "demo.reviewer", "demo.finance", "demo.auditor"],
)
def test_no_bureau_page_is_wider_than_a_laptop(
    chromium: Browser,  # noqa: F811 (the fixture)
    demo: tuple[str, DemoResult],
    login: str,
) -> None:
    url, result = demo
    account = next(a for a in result.accounts if a.login == login)
    session = _open(chromium, url, LAPTOP)
    page = _sign_in(session, account)
    paths = _pages(page)
    assert len(paths) >= 4, paths
    problems = _too_wide(page, paths)
    assert not problems, "\n".join(problems)
    session.context.close()
    assert session.outside == [] and session.errors == []


@layout_only_once
@pytest.mark.parametrize("role", [Role.ENTERPRISE, Role.PROVIDER])
@pytest.mark.parametrize("viewport", [LAPTOP, PHONE], ids=["laptop", "phone"])
def test_no_company_page_is_wider_than_a_laptop_or_a_phone(
    chromium: Browser,  # noqa: F811 (the fixture)
    demo: tuple[str, DemoResult],
    role: Role,
    viewport: dict[str, int],
    tmp_path: Path,
) -> None:
    url, result = demo
    session = _open(chromium, url, viewport)
    page = _sign_in(session, _account(result, role))
    paths = _pages(page)
    assert len(paths) >= 5, paths
    problems = _too_wide(page, paths)
    assert not problems, "\n".join(problems)
    if viewport is PHONE:
        page.goto(paths[0])
        screenshot(page, f"console-{role.value}-phone.png", tmp_path)
    session.context.close()
    assert session.outside == [] and session.errors == []


def test_pages_print_without_the_menu_and_the_buttons(
    chromium: Browser,  # noqa: F811 (the fixture)
    demo: tuple[str, DemoResult],
    tmp_path: Path,
) -> None:
    url, result = demo
    session = _open(chromium, url, LAPTOP)
    page = _sign_in(session, _account(result, Role.BUREAU_ADMIN))
    for path in ("/console/bureau/vouchers", f"/console/provider/{result.provider}/records"):
        if "/provider/" in path:
            session.context.clear_cookies()
            page = _sign_in(session, _account(result, Role.PROVIDER))
        page.goto(path)
        assert page.locator(".main-nav").is_visible()
        page.emulate_media(media="print")
        hidden = page.evaluate(
            """() => ['.main-nav', '.masthead-tools', '.filters', 'form button', '.pager']
                 .map(s => [...document.querySelectorAll(s)])
                 .flat()
                 .filter(e => getComputedStyle(e).display !== 'none')
                 .map(e => e.className || e.tagName)"""
        )
        assert hidden == [], (path, hidden)
        background = page.evaluate("getComputedStyle(document.body).backgroundColor")
        assert background in ("rgb(255, 255, 255)", "rgba(0, 0, 0, 0)")
        assert page.evaluate(MEASURE)["wide"] == []
        pdf = page.pdf(format="A4")
        assert pdf.startswith(b"%PDF") and len(pdf) > 5_000
        (tmp_path / f"print{path.replace('/', '-')}.pdf").write_bytes(pdf)
        page.emulate_media(media="screen")
    session.context.close()


def _key_api(url: str, result: DemoResult, slot: str) -> httpx.Client:
    return httpx.Client(base_url=url, headers={"Authorization": f"Bearer {result.keys[slot]}"})


def test_a_providers_spreadsheet_upload_and_a_dispute_to_its_decision(
    chromium: Browser,  # noqa: F811 (the fixture)
    demo: tuple[str, DemoResult],
    tmp_path: Path,
) -> None:
    url, result = demo
    provider = result.provider
    with _key_api(url, result, Role.PROVIDER.value) as api:
        redemptions = api.get(f"/v1/provider/{provider}/redemptions").json()["items"]
    active = next(r for r in redemptions if r["status"] == "active")
    stranger = next(e for e in result.enterprises if e != active["uscc"])
    start, end = _today_hour()
    when = (start.strftime("%Y-%m-%d %H:%M:%S"), end.strftime("%Y-%m-%d %H:%M:%S"))
    lines = [",".join(zh for _, zh in upload.COLUMNS)]
    for record_id, holder in (("sheet-001", active["uscc"]), ("sheet-002", stranger)):
        lines.append(
            f"{record_id},{active['voucher_code']},,{holder},加速卡,Ascend 910B,2,卡时,"
            f"12.50,25.00,{when[0]},{when[1]}"
        )
    sheet = tmp_path / "六月计量.csv"
    sheet.write_bytes("\r\n".join(lines).encode("gb18030"))  # as Chinese Excel saves it

    session = _open(chromium, url, LAPTOP)
    page = _sign_in(session, _account(result, Role.PROVIDER))
    page.click(".main-nav >> text=计量记录")
    page.click("#upload summary")
    page.set_input_files("#upload input[type=file]", str(sheet))
    page.click("#upload button[type=submit]")
    page.wait_for_selector("#upload-outcomes")
    rows = page.locator("#upload-outcomes tbody tr")
    assert rows.count() == 2
    assert "已入账" in rows.nth(0).inner_text() and "全额补贴" in rows.nth(0).inner_text()
    refused = rows.nth(1).inner_text()
    assert "不予补贴" in refused and "信用代码与持券企业不符" in refused
    assert page.locator("#upload-unchanged").count() == 0
    screenshot(page, "console-provider-upload.png", tmp_path)

    page.goto(f"/console/provider/{provider}/records")
    page.click("#upload summary")
    page.set_input_files("#upload input[type=file]", str(sheet))
    page.click("#upload button[type=submit]")
    page.wait_for_selector("#upload-unchanged")
    assert page.locator("#upload-outcomes tbody tr:has-text('重复提交')").count() == 2

    # the refused row, disputed from its record
    page.goto(f"/console/provider/{provider}/records?outcome=refused")
    page.click("tr[data-key='sheet-002'] a:has-text('提出异议')")
    page.fill("#reason", "客户信用代码录入错误，已与企业核实为持券企业")
    page.click("#dispute-form button[type=submit]")
    page.wait_for_url("**/disputes?done=disputed")
    assert "待处理" in page.locator("#disputes tr:has-text('sheet-002')").inner_text()

    # a reviewer declines the demo's waiting dispute and accepts this one
    session.context.clear_cookies()
    page = _sign_in(session, _account(result, Role.BUREAU_REVIEWER))
    page.click(".main-nav >> text=异议处理")
    page.select_option("select[name=status]", "open")
    page.click(".filters button[type=submit]")
    page.wait_for_url(lambda u: "status=open" in u, wait_until="commit")
    page.wait_for_selector("#disputes tbody tr:has-text('sheet-002')")
    assert page.locator("#disputes tbody tr").count() == 2
    page.click("#disputes tbody tr:has-text('计量时长有误') a")
    page.fill("#decline_reason", "计量数据与机时日志一致，维持原记录")
    page.click("#decline-dispute button[type=submit]")
    page.wait_for_url("**?done=declined")
    page.goto("/console/bureau/disputes?status=open")
    page.click("#disputes tbody tr:has-text('sheet-002') a")
    page.select_option("#correction", "repost")
    page.fill("#resolution", "持券企业信用代码无误，请以新记录编号重新报送")
    page.click("#accept-dispute button[type=submit]")
    page.wait_for_url("**?done=accepted")
    assert "已采纳" in page.locator("h1").inner_text()
    screenshot(page, "console-bureau-dispute.png", tmp_path)

    # the provider sees both decisions
    session.context.clear_cookies()
    page = _sign_in(session, _account(result, Role.PROVIDER))
    page.click(".main-nav >> text=异议")
    accepted = page.locator("#disputes tr:has-text('sheet-002')").inner_text()
    assert "已采纳" in accepted and "重新报送" in accepted
    declined = page.locator("#disputes tr:has-text('计量时长有误')").inner_text()
    assert "未采纳" in declined and "维持原记录" in declined
    screenshot(page, "console-provider-disputes.png", tmp_path)
    session.context.close()
    assert session.outside == [] and session.errors == []
