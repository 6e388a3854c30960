"""A console form's refusal in Chinese, in a real browser (Debian's chromium, Playwright),
against the real service on a database of its own: a reviewer approving an application for
"八万" (not an amount) and for more than was asked is told why in Chinese, and the English
console says it in English."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

import pytest
from playwright.sync_api import Browser

from tests.console.test_browser import ADMIN, ADMIN_PASSWORD, Session, chromium  # noqa: F401
from tests.databases import fresh_database
from tests.factories import make_application, make_enterprise, make_pool, make_program
from voucher_service.accounts.service import create_account
from voucher_service.audit_log import CLI, set_actor
from voucher_service.db.session import create_db_engine, transaction
from voucher_service.db.tables.auth import Role
from voucher_service.db.types import utcnow
from voucher_tools.localcluster import api_processes

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, int]]:
    """The service, a bureau admin, and an application for 100.00 yuan waiting for review."""
    directory = tmp_path_factory.mktemp("errors-browser")
    with fresh_database(directory) as url:
        engine = create_db_engine(url)
        with transaction(engine) as session:
            set_actor(session, CLI)
            create_account(
                session,
                login=ADMIN,
                display_name="王主任",
                role=Role.BUREAU_ADMIN,
                password=ADMIN_PASSWORD,
                now=utcnow(),
            )
            today = date.today()
            program = make_program(
                session,
                valid_from=date(today.year - 1, 1, 1),
                valid_to=date(today.year + 1, 12, 31),
            )
            make_pool(session, program, year=today.year, today=date(today.year, 1, 1))
            enterprise = make_enterprise(session, name="武汉江岸智算数据科技有限公司")
            application = make_application(
                session, program=program, enterprise=enterprise, year=today.year, today=today
            )
            number = application.id
        engine.dispose()
        with api_processes(url, 1, directory) as urls:
            yield urls[0], number


def _approve_for(browse: Session, number: int, amount: str) -> str:
    page = browse.page
    page.goto(f"/console/bureau/applications/{number}")
    page.fill("#amount", amount)
    page.click("#approve-form button[type=submit]")
    page.wait_for_load_state()
    return page.inner_text("main")


def test_a_refused_approval_is_explained_in_chinese(
    chromium: Browser,  # noqa: F811
    served: tuple[str, int],
) -> None:
    url, number = served
    browse = Session(chromium, url)
    try:
        browse.sign_in(ADMIN, ADMIN_PASSWORD)
        said = _approve_for(browse, number, "八万")
        assert "'八万' 不是以元为单位的金额" in said
        assert "not an amount" not in said
        said = _approve_for(browse, number, "1000.00")
        assert "批准金额须在 0.01 元至 100.00 元之间" in said
        assert "approved amount" not in said
    finally:
        browse.context.close()
    assert browse.outside == []


def test_the_english_console_says_it_in_english(
    chromium: Browser,  # noqa: F811
    served: tuple[str, int],
) -> None:
    url, number = served
    browse = Session(chromium, url, language="en")
    try:
        browse.sign_in(ADMIN, ADMIN_PASSWORD)
        browse.page.goto(f"/console/bureau/applications/{number}?lang=en")
        said = _approve_for(browse, number, "1000.00")
        assert "the approved amount must be between 0.01 and 100.00 yuan" in said
    finally:
        browse.context.close()
