"""The gettext catalogs: every string the code and the templates name is translated in zh_CN
and en, the converter moves a tuple module's rows in, and money and dates go through Babel."""

from __future__ import annotations

import shutil
from datetime import UTC, date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from babel.messages.extract import extract_from_dir
from hypothesis import given
from hypothesis import strategies as st

from voucher_service import locale
from voucher_service.console import formatting
from voucher_service.console.templating import environment, gettext_callables
from voucher_service.money import fen_to_yuan
from voucher_tools import i18n_to_po

ROOT = Path(__file__).parents[2]
WUHAN = ZoneInfo("Asia/Shanghai")


def extracted_msgids() -> set[str]:
    """What ``make messages`` extracts (babel.cfg's methods, keywords t, N_ and gettext's)."""
    method_map = [
        ("voucher_service/**.py", "python"),
        ("voucher_service/console/templates/**.html", "jinja2"),
    ]
    options = {
        "voucher_service/console/templates/**.html": {
            "extensions": "jinja2.ext.i18n",
            "trim_blocks": "true",
            "lstrip_blocks": "true",
        }
    }
    keywords = {"t": None, "N_": None, "_": None, "gettext": None, "ngettext": (1, 2)}
    found = extract_from_dir(ROOT, method_map, options, keywords=keywords)
    ids: set[str] = set()
    for _, _, message, _, _ in found:
        ids.update([message] if isinstance(message, str) else [m for m in message if m])
    return ids


def test_make_messages_extracts_from_code_and_templates() -> None:
    ids = extracted_msgids()
    assert {"sign_in.title", "a11y.skip", "password.mismatch"} <= ids  # templates, code
    assert len(ids) > 250


def test_every_extracted_string_is_translated_in_zh_cn_and_en() -> None:
    ids = extracted_msgids()
    for language in ("zh-CN", "en"):
        missing = sorted(ids - locale.messages(language).keys())
        assert missing == [], f"{language}: no translation for {missing} (make messages, then fill)"


def test_the_catalogs_hold_the_same_msgids_with_the_same_fields() -> None:
    zh, en = (locale.read_catalog(name) for name in ("zh_CN", "en"))
    assert {m.id for m in zh} == {m.id for m in en}
    assert not [m.id for m in zh if m.id and (m.fuzzy or not m.string)]
    assert not [m.id for m in en if m.id and (m.fuzzy or not m.string)]


def test_i18n_extension_speaks_the_request_language() -> None:
    page = environment.from_string(
        '{{ _("sign_in.title") }}|{% trans %}nav.overview{% endtrans %}|{{ 123456|yuan }}'
    )
    zh = page.render(lang="zh-CN", **gettext_callables("zh-CN"))
    en = page.render(lang="en", **gettext_callables("en"))
    assert (zh, en) == ("登录|概览|¥1,234.56", "Sign in|Overview|¥1,234.56")


@pytest.fixture
def scratch_catalogs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A copy of the catalogs and a console folder to convert in."""
    shutil.copytree(locale.LOCALE_DIR, tmp_path / "locale", ignore=shutil.ignore_patterns("*.py*"))
    monkeypatch.setattr(locale, "LOCALE_DIR", tmp_path / "locale")
    console = tmp_path / "console"
    console.mkdir()
    return console


def test_converter_merges_a_tuple_module_and_deletes_it(scratch_catalogs: Path) -> None:
    module = scratch_catalogs / "i18n_search.py"
    module.write_text(
        "ROWS: tuple[tuple[str, str, str], ...] = (\n"
        '    ("search.title", "搜索", "Search"),\n'
        '    ("search.found", "找到 {count} 条", "{count} found"),\n'
        ")\n"
    )
    registry = scratch_catalogs / "i18n.py"
    registry.write_text(
        "from voucher_service.console import i18n_search\nfrom x import y\n"
        "ROWS = i18n_search.ROWS\n"
    )
    assert i18n_to_po.tuple_modules(scratch_catalogs) == [module]
    assert i18n_to_po.convert([module]) == 0
    assert not module.exists()
    assert registry.read_text() == "from x import y\n"
    zh, en = (locale.read_catalog(name) for name in ("zh_CN", "en"))
    assert (zh["search.found"].string, en["search.found"].string) == (
        "找到 {count} 条",
        "{count} found",
    )
    # run again on the same rows: nothing changes; a row that disagrees stops the run
    module.write_text('ROWS = (("search.title", "检索", "Search"),)\n')
    assert i18n_to_po.convert([module]) == 1 and module.exists()
    assert locale.read_catalog("zh_CN")["search.title"].string == "搜索"


def test_update_adds_new_msgids_empty_and_keeps_the_rest(scratch_catalogs: Path) -> None:
    pot = scratch_catalogs / "messages.pot"
    pot.write_text('msgid "brand.new"\nmsgstr ""\n')
    before = len(locale.read_catalog("zh_CN"))
    assert i18n_to_po.update(pot) == 0
    catalog = locale.read_catalog("zh_CN")
    assert len(catalog) == before + 1 and catalog["brand.new"].string == ""
    assert catalog["sign_in.title"].string == "登录"  # kept, though not in the template


@given(st.integers(min_value=-(10**13), max_value=10**13))  # money.py's largest amount
def test_yuan_through_babel_is_exact(fen: int) -> None:
    """Babel formats the Decimal made from the fen: the digits are money.py's, grouped."""
    for language in ("zh-CN", "en"):
        shown = formatting.yuan(fen, language)
        assert shown.replace("¥", "").replace(",", "") == fen_to_yuan(fen)
        assert formatting.fen_from_display(shown) == fen


def test_dates_and_times_through_babel_in_wuhan_time() -> None:
    moment = datetime(2026, 6, 14, 20, 0, tzinfo=UTC)
    for language in ("zh-CN", "en"):
        assert formatting.local_datetime(moment, WUHAN, language) == "2026-06-15 04:00"
        assert formatting.local_date(moment, WUHAN, language) == "2026-06-15"


def test_an_expiry_shows_its_last_day_not_the_next_midnight() -> None:
    """A key valid through 2027-12-31 stops at midnight after it, Wuhan time."""
    end = datetime(2028, 1, 1, tzinfo=WUHAN)
    assert formatting.last_day(end, WUHAN) == date(2027, 12, 31)
    assert formatting.last_day(end.astimezone(UTC), WUHAN) == date(2027, 12, 31)
