"""The reusable pieces of pages, rendered on their own: the table, cells, downloads, charts."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from html import unescape

from starlette.requests import Request

from voucher_service.console.i18n import Translator
from voucher_service.console.tables import Column, Filter, Table
from voucher_service.console.templating import environment


def request_for(url: str) -> Request:
    path, _, query = url.partition("?")
    return Request(
        {
            "type": "http",
            "method": "GET",
            "path": path,
            "query_string": query.encode(),
            "headers": [],
        }
    )


def macros(language: str = "zh-CN"):  # type: ignore[no-untyped-def]
    template = environment.get_template("macros.html")
    return template.make_module({"t": Translator(language)})


COLUMNS = [
    Column("code", "accounts.login", "code"),
    Column("fee_fen", "accounts.display_name", "money"),
    Column("day", "accounts.created_at", "date"),
    Column("at", "accounts.created_at", "datetime"),
    Column("status", "accounts.status", "status"),
    Column("role", "accounts.role", "label", prefix="role."),
]
ROW = {
    "code": "WH-2026-0001",
    "fee_fen": 123450,
    "day": date(2026, 6, 15),
    "at": datetime(2026, 6, 14, 20, 0, tzinfo=UTC),
    "status": "active",
    "role": "enterprise",
}


def test_the_table_shows_cells_filters_and_pages() -> None:
    request = request_for("/console/x?role=enterprise&limit=20&cursor=abc&junk=1")
    table = Table.page(
        request,
        id="records",
        caption="accounts.caption",
        columns=COLUMNS,
        rows=[ROW],
        next_cursor="next123",
        filters=[Filter("role", "accounts.role", [("enterprise", "role.enterprise")])],
        download_url="/console/x/export",
    )
    assert table.next_url == "/console/x?role=enterprise&limit=20&cursor=next123"
    assert table.first_url == "/console/x?role=enterprise&limit=20"
    html = unescape(str(macros().data_table(table)))
    for shown in (
        "¥1,234.50",
        "2026-06-15",  # the date, and the instant 20:00 UTC on the 14th, in Wuhan
        "2026-06-15 04:00",
        'class="badge badge-active">正常',
        "企业用户",
        "<code>WH-2026-0001</code>",
        'href="/console/x/export?role=enterprise&limit=20&format=xlsx"',
        'hx-get="/console/x?role=enterprise&limit=20&cursor=next123"',
        'hx-target="#records"',
        '<option value="enterprise" selected>',
        "下一页",
        "第一页",
    ):
        assert shown in html, shown
    assert "junk" not in html


def test_an_empty_table_says_so() -> None:
    table = Table.page(
        request_for("/console/x"),
        id="t",
        caption="accounts.caption",
        columns=COLUMNS,
        rows=[],
        next_cursor=None,
    )
    html = str(macros("en").data_table(table))
    assert "Nothing to show" in html and 'rel="next"' not in html and "First page" not in html


def test_the_chart_container_carries_its_option_as_json() -> None:
    option = {"xAxis": {"data": ["1月", "2月"]}, "series": [{"type": "bar", "data": [1, 2]}]}
    html = str(macros().chart("burn", option, "券池使用 <按月>"))
    attribute = html.split("data-chart='")[1].split("'")[0]
    assert json.loads(unescape(attribute)) == option
    assert 'aria-label="券池使用 &lt;按月&gt;"' in html


def test_money_and_date_cells_on_their_own() -> None:
    m = macros()
    assert str(m.money_cell(-5)) == '<td class="num">-¥0.05</td>'
    assert str(m.money_cell(None)) == '<td class="num">—</td>'
    assert "2026-06-15" in str(m.date_cell(date(2026, 6, 15)))
    assert str(m.status_badge("disabled")) == '<span class="badge badge-disabled">已停用</span>'
