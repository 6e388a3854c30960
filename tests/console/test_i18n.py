"""Every visible string goes through the catalogue, in both languages."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from voucher_service.console import i18n, i18n_people
from voucher_service.console.i18n import CATALOGUE, MESSAGES, Translator
from voucher_service.db.tables.auth import Duty, Role

CONSOLE = Path(i18n.__file__).parent
_CJK = re.compile(r"[\u3000-\u303f\u4e00-\u9fff\uff00-\uffef]")
# English texts that keep Chinese on purpose: proper names, and the way back to Chinese.
CHINESE_IN_ENGLISH = {"app.name", "app.footer", "lang.switch"}


def test_each_key_once_and_both_languages() -> None:
    keys = [row[0] for row in CATALOGUE]
    assert len(keys) == len(set(keys))
    assert MESSAGES["zh-CN"].keys() == MESSAGES["en"].keys()
    assert all(row[1].strip() and row[2].strip() for row in CATALOGUE)


def test_english_is_english_and_chinese_is_chinese() -> None:
    untranslated = [
        key
        for key, text in MESSAGES["en"].items()
        if key not in CHINESE_IN_ENGLISH and _CJK.search(text)
    ]
    assert untranslated == []
    not_chinese = [
        key
        for key, text in MESSAGES["zh-CN"].items()
        if not _CJK.search(text)
        and key not in {"lang.switch", "table.download_csv", "table.download_xlsx"}
        and key not in i18n_people.LATIN_IN_CHINESE
    ]
    assert not_chinese == []


def test_both_languages_take_the_same_fields() -> None:
    fields = re.compile(r"\{(\w+)\}")
    for key, zh, en in CATALOGUE:
        assert set(fields.findall(zh)) == set(fields.findall(en)), key


def test_every_key_a_template_or_page_names_exists() -> None:
    named = re.compile(r"""\bt\(\s*["']([a-z0-9_.]+)["']""")
    sources = [*CONSOLE.rglob("templates/**/*.html"), *CONSOLE.rglob("*.py")]
    catalogues = {"i18n.py", "i18n_people.py", "i18n_bureau.py", "i18n_notice.py"}
    used = {
        key
        for path in sources
        if path.name not in catalogues
        for key in named.findall(path.read_text())
    }
    assert len(used) > 40
    # a key ending in "." or "_" is completed at run time (t("role." ~ role)): some must exist
    prefixes = {key for key in used if key.endswith((".", "_"))}
    assert prefixes == {
        "role.",
        "status.",
        "table.download_",
        "size.",  # the application form's size classes
        "check.",  # an application's checks (check.<name> and check.<name>.what)
        "cap_scope.",
        "network.part.",  # the parts of a provider's quality score
        "duty.",  # a bureau person's duties (the accounts form)
        "objection.",  # an objection's status and the verdicts on it
        "material.kind.",  # the kinds of material (materials.kinds)
    }
    # and the prefixes of labelled columns and badges (tables.Column.prefix, status_badge)
    prefixes |= {"status.", "usage.outcome.", "usage.reason.", "usage.kind.", "usage.unit."}
    for prefix in prefixes:
        assert any(key.startswith(prefix) for key in MESSAGES["en"]), prefix
    assert used - prefixes - MESSAGES["en"].keys() == set()


def test_every_label_a_page_completes_at_run_time_exists() -> None:
    """Labels made of a prefix and a coded value: each value the pages can meet is named."""
    from voucher_service.console.bureau.filters import DISTRICTS
    from voucher_service.db.tables.applications import UNDECLARED, ApplicationStatus, SizeClass
    from voucher_service.db.tables.ledger import PostingKind
    from voucher_service.db.tables.providers import ProviderStatus
    from voucher_service.db.tables.settlement import StatementStatus
    from voucher_service.db.tables.vouchers import VoucherStatus

    statuses = [ApplicationStatus, VoucherStatus, StatementStatus, ProviderStatus]
    expected = {f"status.{s.value}" for enum in statuses for s in enum}
    expected |= {f"status.{h}" for h in ("ok", "degraded", "down")}
    expected |= {f"size.{s.value}" for s in SizeClass} | {f"size.{UNDECLARED}"}
    expected |= {f"posting.{k.value}" for k in PostingKind}
    expected |= {f"district.{code}" for code in DISTRICTS}
    expected |= {
        f"check.{c}" for c in ("region", "sme", "blacklist", "window", "selection", "amount")
    }
    assert expected - MESSAGES["en"].keys() == set()


def test_unknown_keys_fail_loudly() -> None:
    t = Translator("en")
    with pytest.raises(KeyError):
        t("no.such.key")
    assert t("overview.welcome", name="Li") == "Welcome, Li"
    assert "sign_in.title" in t and "nope" not in t


def test_every_role_has_a_name() -> None:
    assert all(f"role.{role.value}" in MESSAGES["zh-CN"] for role in Role)
    assert all(f"duty.{duty.value}" in MESSAGES["zh-CN"] for duty in Duty)


def test_every_refusal_message_is_for_an_error_code_the_service_has() -> None:
    from voucher_service.errors import ErrorCode

    codes = {key.removeprefix("code.") for key in MESSAGES["en"] if key.startswith("code.")}
    assert codes - {"other"} <= {c.value for c in ErrorCode}
