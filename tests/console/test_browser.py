"""The console in a real browser: Debian's chromium driven by Playwright, against the real
service (a uvicorn process on a scratch database), with every request that would leave
127.0.0.1 recorded and refused.

Screenshots of the sign-in page go to $CONSOLE_SCREENSHOTS when it is set
(``make screenshots`` sets it to docs/images), else to a temporary directory.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import (
    Browser,
    BrowserContext,
    ConsoleMessage,
    Page,
    Route,
    sync_playwright,
)

from tests.databases import fresh_database
from voucher_service.accounts.service import create_account
from voucher_service.accounts.signin import ACCOUNT_FAILURE_LIMIT
from voucher_service.audit_log import CLI, set_actor
from voucher_service.console.i18n import Translator
from voucher_service.console.templating import environment
from voucher_service.db.session import create_db_engine, transaction
from voucher_service.db.tables.auth import Role
from voucher_service.db.types import utcnow
from voucher_tools.localcluster import api_processes

pytestmark = pytest.mark.browser

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ADMIN, ADMIN_PASSWORD = "admin", "黄鹤楼-1985-yellow-crane"
LOCKED = "clerk.locked"


@pytest.fixture(scope="module")
def service_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The real service on a database of its own, with a bureau admin made by the service
    function the command line uses."""
    directory = tmp_path_factory.mktemp("console-browser")
    with fresh_database(directory) as url:
        engine = create_db_engine(url)
        with transaction(engine) as session:
            set_actor(session, CLI)
            for login, name in ((ADMIN, "王主任"), (LOCKED, "李文员")):
                create_account(
                    session,
                    login=login,
                    display_name=name,
                    role=Role.BUREAU_ADMIN,
                    password=ADMIN_PASSWORD,
                    now=utcnow(),
                )
        engine.dispose()
        with api_processes(url, 1, directory) as urls:
            yield urls[0]


@pytest.fixture(scope="module")
def chromium() -> Iterator[Browser]:
    if not Path(CHROMIUM).exists():
        if os.environ.get("CI"):
            pytest.fail(f"{CHROMIUM} is missing: .ci/run installs Debian's chromium")
        pytest.skip(f"{CHROMIUM} is missing: apt-get install -y chromium")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


class Session:
    """A browser context on the service that records (and refuses) any request elsewhere."""

    def __init__(self, chromium: Browser, base_url: str, language: str = "zh-CN") -> None:
        self.base_url = base_url
        self.outside: list[str] = []
        self.requested: list[str] = []
        self.context: BrowserContext = chromium.new_context(
            base_url=base_url, locale=language, viewport={"width": 1280, "height": 800}
        )
        self.context.route("**/*", self._route)
        self.page: Page = self.context.new_page()
        self.errors: list[str] = []  # script errors and CSP refusals (not HTTP statuses)
        self.page.on("console", self._console)
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))

    def _console(self, message: ConsoleMessage) -> None:
        if message.type == "error" and "the server responded with a status" not in message.text:
            self.errors.append(message.text)

    def _route(self, route: Route) -> None:
        url = route.request.url
        self.requested.append(url)
        if url.startswith(self.base_url):
            route.continue_()
        else:
            self.outside.append(url)
            route.abort()

    def sign_in(self, login: str, password: str) -> None:
        self.page.goto("/console/sign-in")
        self.page.fill("#login", login)
        self.page.fill("#password", password)
        self.page.click("button[type=submit]")


@pytest.fixture
def browse(chromium: Browser, service_url: str) -> Iterator[Session]:
    session = Session(chromium, service_url)
    yield session
    session.context.close()
    assert session.outside == [], f"requests left 127.0.0.1: {session.outside}"


def screenshot(page: Page, name: str, tmp_path: Path) -> Path:
    directory = Path(os.environ.get("CONSOLE_SCREENSHOTS") or tmp_path)
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / name
    page.screenshot(path=str(path), full_page=True)
    assert path.stat().st_size > 10_000
    return path


def test_sign_in_refuses_a_wrong_password_then_shows_the_overview(
    browse: Session, tmp_path: Path
) -> None:
    page = browse.page
    page.goto("/console/sign-in")
    assert page.locator("html").get_attribute("lang") == "zh-CN"
    assert page.locator(".app-name").inner_text() == "武汉市算力服务券"
    screenshot(page, "console-sign-in.png", tmp_path)

    browse.sign_in(ADMIN, "not-the-password")
    assert page.locator("[role=alert]").inner_text() == "登录名或密码错误。"
    assert page.input_value("#login") == ADMIN  # kept; the password is not

    page.fill("#password", ADMIN_PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url("**/console/bureau")
    assert page.locator("h1").inner_text() == "项目总览"  # the bureau's overview
    assert "您好，王主任" in page.locator(".lead").inner_text()
    assert page.locator(".who-role").inner_text() == "市经信局管理员"
    assert page.locator(".main-nav a[aria-current=page]").inner_text() == "概览"
    assert browse.errors == []  # no script error, nothing refused by the page's CSP


def test_failures_are_slowed_but_the_right_password_signs_in(browse: Session) -> None:
    for _ in range(ACCOUNT_FAILURE_LIMIT):
        browse.sign_in(LOCKED, "guessing-again")
        assert "登录名或密码错误" in browse.page.locator("[role=alert]").inner_text()
    browse.sign_in(LOCKED, "guessing-again")
    assert "登录失败次数过多" in browse.page.locator("[role=alert]").inner_text()
    assert "/console/sign-in" in browse.page.url
    browse.sign_in(LOCKED, ADMIN_PASSWORD)  # the rightful owner is never locked out
    browse.page.wait_for_url("**/console/bureau")


def test_the_language_switch_is_remembered(browse: Session) -> None:
    page = browse.page
    page.goto("/console/sign-in")
    page.click("text=English")
    assert page.locator("h1").inner_text() == "Sign in to the compute-voucher console"
    assert page.locator("html").get_attribute("lang") == "en"
    page.goto("/console/sign-in")  # no ?lang: the cookie remembers
    assert page.locator("label[for=login]").inner_text() == "Login name"
    page.click("text=中文")
    assert page.locator("label[for=login]").inner_text() == "登录名"


def test_a_form_without_its_csrf_token_is_refused(browse: Session) -> None:
    page = browse.page
    page.goto("/console/sign-in")
    page.evaluate("document.querySelector('input[name=csrf_token]').remove()")
    page.fill("#login", ADMIN)
    page.fill("#password", ADMIN_PASSWORD)
    page.click("button[type=submit]")
    assert page.locator(".error-code").inner_text() == "403"
    assert "表单已过期" in page.locator("main").inner_text()
    page.goto("/console/bureau")
    assert "/console/sign-in" in page.url  # not signed in


def test_sign_out_revokes_the_session(browse: Session, chromium: Browser) -> None:
    browse.sign_in(ADMIN, ADMIN_PASSWORD)
    browse.page.wait_for_url("**/console/bureau")
    cookies = browse.context.cookies()
    assert any(c["name"] == "vs_session" and c["httpOnly"] for c in cookies)
    browse.page.click("text=退出登录")
    assert browse.page.locator("[role=status]").inner_text() == "您已安全退出。"

    replay = Session(chromium, browse.base_url)  # another browser, holding the old cookie
    try:
        replay.context.add_cookies(cookies)  # type: ignore[arg-type]
        replay.page.goto("/console/bureau")
        assert "/console/sign-in" in replay.page.url
        assert replay.page.locator("[role=status]").inner_text() == "请先登录。"
    finally:
        replay.context.close()


def test_the_api_docs_render_from_local_assets_with_an_authorize_button(browse: Session) -> None:
    page = browse.page
    page.goto("/docs")
    page.wait_for_selector(".swagger-ui .info .title", timeout=20_000)
    assert "Compute-voucher service" in page.inner_text(".swagger-ui .info .title")
    authorize = page.locator("button.authorize")
    assert authorize.is_visible()
    authorize.click()
    assert page.locator(".auth-container").first.is_visible()
    assert page.locator(".auth-container input").count() >= 1  # where the API key goes

    page.goto("/redoc")
    page.wait_for_selector("h1", timeout=20_000)
    assert "Compute-voucher service" in page.locator("h1").first.inner_text()
    assert browse.outside == []
    assert any("/static/vendor/swagger-ui/" in u for u in browse.requested)
    assert any("/redoc/redoc.standalone.js" in u for u in browse.requested)  # logo dropped


def test_a_chart_container_becomes_an_echarts_chart(browse: Session) -> None:
    page = browse.page
    page.goto("/console/sign-in")  # any console page: console.js is loaded
    option = {
        "xAxis": {"type": "category", "data": ["4月", "5月", "6月"]},
        "yAxis": {"type": "value"},
        "series": [{"type": "bar", "data": [120, 200, 150]}],
    }
    macros = environment.get_template("macros.html").make_module({"t": Translator("zh-CN")})
    html = str(macros.chart("subsidy-by-month", option, "补贴（按月）", height=240))
    page.add_script_tag(url="/static/vendor/echarts/echarts.min.js")
    page.evaluate(
        "html => document.querySelector('main').insertAdjacentHTML('beforeend', html)", html
    )
    page.evaluate("window.voucherConsole.initCharts(document)")
    chart = page.locator("#subsidy-by-month")
    assert chart.get_attribute("data-chart-ready") == ""
    assert chart.locator("svg").count() == 1
    assert "6月" in chart.locator("svg").inner_html()
    assert browse.errors == []
