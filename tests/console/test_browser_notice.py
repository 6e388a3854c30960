"""Public notice (公示) in a real browser (Debian's chromium, Playwright) against the real
service: someone with no account opens the notice page, sees the application standing in
notice, opens the objection form and sends it; the objection waits in the reviewers' queue.
No script error and no request leaving 127.0.0.1."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from playwright.sync_api import Browser
from sqlalchemy import select

from tests.console.test_browser import (  # noqa: F401 (fixtures)
    Session,
    chromium,
    screenshot,
)
from tests.databases import fresh_database
from tests.factories import make_application, make_enterprise, make_pool, make_program
from voucher_service.applications.service import approve
from voucher_service.audit_log import CLI, set_actor
from voucher_service.config import get_settings
from voucher_service.db.session import create_db_engine, transaction
from voucher_service.db.tables.paperwork import Objection
from voucher_service.db.types import utcnow
from voucher_service.materials import service as materials
from voucher_tools.localcluster import api_processes

pytestmark = pytest.mark.browser

ENTERPRISE = "光谷公示测试科技有限公司"


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    """The real service on a database holding one application in public notice; its URL
    and the database's."""
    directory = tmp_path_factory.mktemp("console-notice-browser")
    today = get_settings().today()
    with fresh_database(directory) as url:
        engine = create_db_engine(url)
        with transaction(engine) as session:
            set_actor(session, CLI)
            program = make_program(
                session,
                valid_from=date(today.year - 1, 1, 1),
                valid_to=date(today.year + 1, 12, 31),
            )
            program.notice_enabled = True
            make_pool(session, program, year=today.year, today=today)
            enterprise = make_enterprise(session, name=ENTERPRISE)
            row = make_application(
                session, program=program, enterprise=enterprise, year=today.year, today=today
            )
            materials.upload(
                session,
                materials.Owner.of_application(row),
                materials.Upload("business_licence", "licence.pdf", b"%PDF-1.4\n%%EOF\n"),
                max_bytes=1 << 20,
                now=utcnow(),
            )
            approve(session, row, amount_fen=None, reason="", today=today, now=utcnow())
        engine.dispose()
        with api_processes(url, 1, directory) as urls:
            yield urls[0], url


def test_the_public_objects_through_the_notice_page(
    chromium: Browser,  # noqa: F811
    served: tuple[str, str],
    tmp_path: Path,
) -> None:
    service_url, database_url = served
    browse = Session(chromium, service_url)
    try:
        page = browse.page
        page.goto("/console/public/notices")
        assert page.locator("h1").inner_text() == "算力服务券拟支持企业公示"
        row = page.locator("#notices tbody tr")
        assert row.count() == 1
        assert ENTERPRISE in row.inner_text()
        screenshot(page, "public-notice.png", tmp_path)
        page.locator("#notices summary").click()
        page.fill("input[name=name]", "张三")
        page.fill("input[name=contact]", "13800000000")
        page.fill("textarea[name=text]", "该企业实际经营地不在武汉。")
        page.click("form.objection button[type=submit]")
        page.wait_for_url("**/console/public/notices?done=objection")
        assert "异议已提交" in page.locator("p.notice").inner_text()
        assert browse.errors == []
    finally:
        browse.context.close()
    assert browse.outside == []
    engine = create_db_engine(database_url)
    with transaction(engine) as session:
        [objection] = session.scalars(select(Objection)).all()
        assert (objection.name, objection.status) == ("张三", "open")
    engine.dispose()
