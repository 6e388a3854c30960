"""An SME's month and a provider's month in a real browser (Debian's chromium, driven by
Playwright), against the real service on a database of its own.

The history is loaded with the service functions before the service starts: measure 2 with
its pools, an SME (武汉江岸智算) whose voucher of last month is redeemed with a provider that
posted usage on it (and one record refused), and that provider's statement of last month,
closed. Then, in the browser, the SME signs in, sees its status, applies, is approved (the
bureau, through the API), redeems the new voucher, sees the provider's usage on its records
page and downloads it; the provider sees its redemptions, a refused record with its reason,
downloads its statement, creates a key and reports its capacity.

Screenshots of each page go to $CONSOLE_SCREENSHOTS when it is set (``make screenshots``).
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from pathlib import Path

import httpx
import pytest
from openpyxl import load_workbook
from playwright.sync_api import Browser, Page
from sqlalchemy.orm import Session as DbSession

from tests.console.test_browser import Session, chromium, screenshot  # noqa: F401 (a fixture)
from tests.databases import fresh_database
from tests.factories import acting_as, make_person, make_pool, make_top_up
from voucher_service.accounts.service import create_account
from voucher_service.audit_log import CLI, set_actor
from voucher_service.auth.service import create_key, principal_for
from voucher_service.config import get_settings
from voucher_service.db.session import create_db_engine, transaction
from voucher_service.db.tables.auth import Duty, Role
from voucher_service.db.types import utcnow
from voucher_service.demo import demo_uscc
from voucher_service.domain.rules import CapScope
from voucher_service.domain.usage import UsageReport
from voucher_service.enterprises.service import register_enterprise
from voucher_service.programs.service import (
    Eligibility,
    RuleNumbers,
    create_program,
)
from voucher_service.providers.service import Offering, register_provider
from voucher_service.redemptions.service import redeem
from voucher_service.settlement.service import close_month
from voucher_service.usage.service import ingest_usage
from voucher_service.vouchers.service import issue_voucher
from voucher_tools.localcluster import api_processes

pytestmark = pytest.mark.browser

PASSWORD = "江城-算力-2026-finance"
SME, SME_NAME = demo_uscc("420102", 1), "武汉江岸智算数据科技有限公司"
PROVIDER, PROVIDER_NAME = demo_uscc("420100", 100), "武汉人工智能计算中心"
SECOND, SECOND_NAME = demo_uscc("420100", 101), "光谷智算科技有限公司"
STRANGER = demo_uscc("420106", 2)


@dataclass(frozen=True)
class World:
    url: str
    admin_key: str
    provider_key: str
    old_voucher: str
    last_month: str  # YYYY-MM

    def api(self, key: str) -> httpx.Client:
        return httpx.Client(base_url=self.url, headers={"Authorization": f"Bearer {key}"})


def _month_before(day: date) -> date:
    return (day.replace(day=1) - timedelta(days=1)).replace(day=1)


def _history(session: DbSession, today: date) -> tuple[str, str, str]:
    """Measure 2, its pools, the SME and the providers, a voucher of last month redeemed and
    drawn on (one record refused), and last month's statement closed. The keys the bureau
    and the provider's system use, and the old voucher's code."""
    tz = get_settings().tz
    last = _month_before(today)
    program = create_program(
        session,
        code="WH-AI-M2",
        name="武汉市算力服务券",
        description="",
        valid_from=date(last.year - 1, 1, 1),
        valid_to=date(today.year + 2, 12, 31),
        rules=RuleNumbers(
            effective_from=date(last.year - 1, 1, 1),
            rate_bp=5000,
            cap_fen=200_000_00,
            cap_scope=CapScope.LIFETIME,
            window_months=36,
            pool_minimum_fen=0,
        ),
    )
    for year in sorted({last.year, today.year}):
        make_pool(session, program, year=year, total_fen=10_000_000_00, today=date(year, 1, 1))
    # 江岸区 tops measure 2 up by 20% for its SMEs, the two together at most 70% of a fee.
    top_up = create_program(
        session,
        code="WH-JA-TOPUP",
        name="江岸区算力券区级叠加补贴",
        description="",
        valid_from=date(last.year - 1, 1, 1),
        valid_to=date(today.year + 2, 12, 31),
        rules=RuleNumbers(
            effective_from=date(last.year - 1, 1, 1),
            rate_bp=2000,
            cap_fen=50_000_00,
            cap_scope=CapScope.LIFETIME,
            window_months=36,
            pool_minimum_fen=0,
        ),
        eligibility=Eligibility(region_prefix="420102"),
    )
    make_top_up(session, top_up, program)
    make_pool(session, top_up, year=last.year, total_fen=2_000_000_00, today=last)
    sme = register_enterprise(session, uscc=SME, name=SME_NAME)
    register_enterprise(session, uscc=STRANGER, name="武汉武昌语言模型研究有限公司")
    offer = [Offering("accelerator", "Ascend 910B", "card_hour", 12_50)]
    provider = register_provider(session, uscc=PROVIDER, name=PROVIDER_NAME, offerings=offer)
    register_provider(session, uscc=SECOND, name=SECOND_NAME, offerings=offer)
    voucher = issue_voucher(
        session,
        program=program,
        year=last.year,
        enterprise=sme,
        face_value_fen=50_000_00,
        today=last,
        valid_from=last,
    )
    redeem(session, enterprise=sme, voucher_code=voucher.code, provider=provider)
    district = issue_voucher(
        session,
        program=top_up,
        year=last.year,
        enterprise=sme,
        face_value_fen=20_000_00,
        today=last,
        valid_from=last,
    )
    redeem(session, enterprise=sme, voucher_code=district.code, provider=provider)
    start = datetime.combine(last.replace(day=15), time(10), tz)

    def report(record_id: str, hours: int, holder: str) -> UsageReport:
        return UsageReport(
            record_id=record_id,
            voucher_code=voucher.code,
            uscc=holder,
            resource_kind="accelerator",
            resource_model="Ascend 910B",
            quantity=Decimal(hours),
            unit="card_hour",
            unit_price_fen=12_50,
            fee_fen=hours * 12_50,
            service_start=start,
            service_end=start + timedelta(hours=8),
        )

    reports = [report("train-0415", 800, SME), report("train-0416", 40, STRANGER)]
    ingest_usage(session, provider, reports, now=utcnow(), tz=tz, grace_days=30)
    acting_as(session, make_person(session, Duty.FINANCE, name="财务 刘"))
    close_month(session, provider, last.strftime("%Y-%m"), today=today, now=utcnow())
    for login, name, role, uscc in (
        ("chen.finance", "陈会计", Role.ENTERPRISE, SME),
        ("sun.ops", "孙运维", Role.PROVIDER, PROVIDER),
    ):
        create_account(
            session,
            login=login,
            display_name=name,
            role=role,
            uscc=uscc,
            password=PASSWORD,
            now=utcnow(),
        )
    admin = principal_for(session, Role.BUREAU_ADMIN, name="browser admin")
    billing = principal_for(session, Role.PROVIDER, provider=provider)
    return (
        create_key(session, admin, name="bureau", now=utcnow()).key,
        create_key(session, billing, name="billing", now=utcnow()).key,
        voucher.code,
    )


@pytest.fixture(scope="module")
def served_world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    directory = tmp_path_factory.mktemp("console-people")
    today = get_settings().today()
    with fresh_database(directory) as url:
        engine = create_db_engine(url)
        with transaction(engine) as session:
            set_actor(session, CLI)
            admin_key, provider_key, voucher = _history(session, today)
        engine.dispose()
        with api_processes(url, 1, directory) as urls:
            period = _month_before(today).strftime("%Y-%m")
            yield World(urls[0], admin_key, provider_key, voucher, period)


@pytest.fixture
def browse(chromium: Browser, served_world: World) -> Iterator[Session]:  # noqa: F811 (the fixture)
    session = Session(chromium, served_world.url)
    yield session
    session.context.close()
    assert session.outside == [], f"requests left 127.0.0.1: {session.outside}"
    assert session.errors == [], session.errors


def _signed_in(browse: Session, login: str) -> Page:
    browse.sign_in(login, PASSWORD)
    browse.page.wait_for_load_state()
    return browse.page


def _usage_now(voucher: str, record_id: str) -> dict[str, str]:
    """An hour (or what has passed of today) of one card, today in Wuhan: inside a voucher
    issued today, never in the future."""
    tz = get_settings().tz
    now = datetime.now(tz)
    start = datetime.combine(now.date(), time(0), tz)
    end = min(start + timedelta(hours=1), now - timedelta(seconds=1))
    return {
        "record_id": record_id,
        "voucher_code": voucher,
        "uscc": SME,
        "resource_kind": "accelerator",
        "resource_model": "Ascend 910B",
        "quantity": "8",
        "unit": "card_hour",
        "unit_price_yuan": "12.50",
        "fee_yuan": "100.00",
        "service_start": start.isoformat(),
        "service_end": end.isoformat(),
    }


def test_an_smes_month(browse: Session, served_world: World, tmp_path: Path) -> None:
    page = _signed_in(browse, "chen.finance")
    page.wait_for_url(f"**/console/enterprise/{SME}")
    assert page.locator("h1").inner_text() == "我的额度"
    card = page.locator("#program-WH-AI-M2")
    assert card.locator("[data-figure=cap_used]").inner_text() == "¥5,000.00"  # 50% of 10,000
    assert card.locator("[data-figure=cap_remaining]").inner_text() == "¥195,000.00"
    assert served_world.old_voucher in card.inner_text() and "¥45,000.00" in card.inner_text()
    screenshot(page, "console-enterprise-status.png", tmp_path)

    # apply: the checks answer at once
    page.click("text=申请算力券")
    page.fill("input[name=requested_yuan]", "80,000")
    page.fill("input[name=headcount]", "40")
    page.fill("input[name=revenue_yuan]", "12000000")
    page.fill("textarea[name=planned_use]", "训练钢板表面缺陷检测模型")
    page.check(f"input[name=intended_providers][value='{PROVIDER}']")
    page.check("input[name=declares_no_related_party]")
    page.click("form.application-form button[type=submit]")
    page.wait_for_url("**/applications/*?done=submitted")
    assert "审核中" in page.locator("h1").inner_text()
    checks = page.locator("table.checks tbody tr")
    assert checks.count() == 5 and page.locator("table.checks .badge-failed").count() == 0
    screenshot(page, "console-enterprise-application.png", tmp_path)
    application = page.url.split("/")[-1].split("?")[0]

    # the bureau approves it (its own pages come with the bureau's console)
    with served_world.api(served_world.admin_key) as bureau:
        approved = bureau.post(f"/v1/admin/applications/{application}/approve", json={})
    assert approved.status_code == 200, approved.text
    new_voucher = approved.json()["voucher_code"]
    page.reload()
    assert "已批准" in page.locator("h1").inner_text()
    assert page.locator("[data-figure=voucher]").inner_text() == new_voucher

    # redeem the new voucher with the provider
    page.click("text=去绑定服务商")
    page.select_option("select[name=provider_uscc]", PROVIDER)
    assert page.input_value("select[name=voucher_code]") == new_voucher
    page.click("form button[type=submit]:has-text('绑定')")
    page.wait_for_url("**/redemptions?done=redeemed")
    rows = page.locator("#redemptions tbody tr")
    assert rows.count() == 3 and new_voucher in rows.nth(2).inner_text()
    screenshot(page, "console-enterprise-redemptions.png", tmp_path)

    # the provider's system posts usage on it; the SME sees it on its records page
    with served_world.api(served_world.provider_key) as billing:
        posted = billing.post(
            f"/v1/provider/{PROVIDER}/usage-records", json=_usage_now(new_voucher, "job-today")
        )
    assert posted.status_code == 201 and posted.json()["subsidy_yuan"] == "50.00"
    page.click(".main-nav >> text=使用记录")
    page.select_option("select[name=provider]", PROVIDER)
    page.click(".filters button[type=submit]")
    page.wait_for_url(lambda url: f"provider={PROVIDER}" in url, wait_until="commit")
    page.wait_for_selector("tr[data-key=job-today]")
    today_row = page.locator("tr[data-key=job-today]").inner_text()
    assert PROVIDER_NAME in today_row and "全额补贴" in today_row
    # the city pays 50.00 and 江岸区 20.00 of the fee of 100.00: the SME pays 30.00
    assert "¥50.00\t¥20.00\t¥30.00" in today_row
    # each usage record, and the district's layer of the two it subsidised
    assert page.locator("#records tbody tr").count() == 5
    screenshot(page, "console-enterprise-usage.png", tmp_path)
    with page.expect_download() as download:
        page.click("#records a.download-csv")
    csv = Path(download.value.path()).read_bytes().decode("utf-8-sig")
    assert csv.startswith("记录编号,类型") and "job-today" in csv
    assert len(csv.strip().splitlines()) == 6


def test_a_providers_month(browse: Session, served_world: World, tmp_path: Path) -> None:
    page = _signed_in(browse, "sun.ops")
    page.wait_for_url(f"**/console/provider/{PROVIDER}")
    assert served_world.old_voucher in page.locator("#redemptions").inner_text()
    screenshot(page, "console-provider-redemptions.png", tmp_path)

    page.click(".main-nav >> text=计量记录")
    page.select_option("select[name=outcome]", "refused")
    page.click(".filters button[type=submit]")
    # htmx swaps the table in and pushes the filtered URL
    page.wait_for_url(lambda url: "outcome=refused" in url, wait_until="commit")
    page.locator("tr[data-key=train-0415]").wait_for(state="detached")
    refused = page.locator("tr[data-key=train-0416]").inner_text()
    assert "不予补贴" in refused and "信用代码与持券企业不符" in refused
    assert page.locator("tr[data-key=train-0415]").count() == 0
    page.goto(f"/console/provider/{PROVIDER}/records")
    screenshot(page, "console-provider-records.png", tmp_path)

    page.click(".main-nav >> text=结算单")
    page.wait_for_selector("#statements tbody tr")  # the click starts a navigation
    assert page.locator("#statements tbody tr").count() == 2  # the city's, the district's
    page.click("#statements tr:has-text('WH-AI-M2') a:has-text('查看')")
    assert served_world.last_month in page.locator("h1").inner_text()
    assert page.locator("[data-figure=subsidy]").inner_text() == "¥5,000.00"
    screenshot(page, "console-provider-statement.png", tmp_path)
    with page.expect_download() as download:
        page.click("#lines a.download-xlsx")
    book = load_workbook(io.BytesIO(Path(download.value.path()).read_bytes()))
    assert book.sheetnames == ["汇总", "明细"]
    assert (
        download.value.suggested_filename == f"statement-{PROVIDER}-{served_world.last_month}.xlsx"
    )

    page.click(".main-nav >> text=API 密钥")
    page.fill("input[name=name]", "计费系统 2026")
    page.click("form button[type=submit]:has-text('创建')")
    key = page.locator("#new-key").inner_text()
    with served_world.api(key) as system:
        assert system.get(f"/v1/provider/{PROVIDER}/redemptions").status_code == 200
    screenshot(page, "console-provider-keys.png", tmp_path)
    page.goto(f"/console/provider/{PROVIDER}/keys")
    assert page.locator("#new-key").count() == 0  # shown once
    assert page.locator("#keys tbody tr").count() == 2  # the system's and the new one

    page.click(".main-nav >> text=遥测与健康")
    for field, value in (
        ("total", "512"),
        ("available", "64"),
        ("utilisation_percent", "87"),
        ("queue_wait_seconds", "300"),
        ("list_price_yuan", "12.50"),
    ):
        page.fill(f"input[name={field}]", value)
    page.click("form button[type=submit]:has-text('报送')")
    page.wait_for_url("**/network?done=telemetry")
    page.wait_for_selector("#quality-score[data-chart-ready]")
    assert "¥12.50" in page.locator("tr[data-key='Ascend 910B']").inner_text()
    assert page.locator("[data-figure=freshness]").inner_text() == "1.00"
    screenshot(page, "console-provider-network.png", tmp_path)


def test_the_smes_usage_lists_the_newest_use_first(browse: Session, served_world: World) -> None:
    """Issue 23: the SME's usage page was in the order records arrived; it is by the date of
    use, the newest first (a record of today above last month's, whatever came first)."""
    with served_world.api(served_world.provider_key) as billing:
        posted = billing.post(
            f"/v1/provider/{PROVIDER}/usage-records",
            json=_usage_now(served_world.old_voucher, "order-today"),
        )
    assert posted.status_code in (200, 201), posted.text
    page = _signed_in(browse, "chen.finance")
    page.goto(f"/console/enterprise/{SME}/usage")
    page.wait_for_selector("#records tr[data-key=order-today]")
    keys = [
        row.get_attribute("data-key") for row in page.locator("#records tbody tr[data-key]").all()
    ]
    assert keys.index("order-today") < keys.index("train-0415"), keys
    assert "第 1 / 1 页" in page.locator("#records .page-of").inner_text()
