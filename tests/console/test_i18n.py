"""Every visible string goes through the gettext catalogs, in both languages."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from voucher_service import locale
from voucher_service.console import i18n
from voucher_service.console.i18n import Translator
from voucher_service.db.tables.auth import Duty, Role

CONSOLE = Path(i18n.__file__).parent
_CJK = re.compile(r"[\u3000-\u303f\u4e00-\u9fff\uff00-\uffef]")
# English texts that keep Chinese on purpose: proper names, and the way back to Chinese.
CHINESE_IN_ENGLISH = {"app.name", "app.footer", "lang.switch"}
# Chinese texts written in Latin letters all the same: a unit, the download buttons.
LATIN_IN_CHINESE = {
    "lang.switch",
    "table.download_csv",
    "table.download_xlsx",
    "usage.unit.gb",
    "resource_kind.cpu",
    "export.sheet.usage",
}
MESSAGES = {language: i18n.messages(language) for language in i18n.LANGUAGES}
CATALOGUE = [(key, zh, MESSAGES["en"][key]) for key, zh in MESSAGES["zh-CN"].items()]


def test_each_key_once_and_both_languages() -> None:
    for name in locale.LOCALES.values():
        ids = [m.id for m in locale.read_catalog(name) if m.id]
        assert len(ids) == len(set(ids))
    assert MESSAGES["zh-CN"].keys() == MESSAGES["en"].keys()
    assert all(zh.strip() and en.strip() for _, zh, en in CATALOGUE)


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
        if not _CJK.search(text) and key not in LATIN_IN_CHINESE
    ]
    assert not_chinese == []


def test_both_languages_take_the_same_fields() -> None:
    fields = re.compile(r"\{(\w+)\}")
    for key, zh, en in CATALOGUE:
        assert set(fields.findall(zh)) == set(fields.findall(en)), key


def test_every_key_a_template_or_page_names_exists() -> None:
    named = re.compile(r"""\bt\(\s*["']([a-z0-9_.]+)["']""")
    sources = [*CONSOLE.rglob("templates/**/*.html"), *CONSOLE.rglob("*.py")]
    used = {
        key
        for path in sources
        if not path.name.startswith("i18n")
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
        "usage.unit.",  # a provider's price list
        "error.bad_",  # a filter a listing could not read (?invalid=year)
        "event.",  # the notification events (the mail preferences form)
        "sector.",  # a model selection's sector (measure 3)
        "program.phase.",  # a program's phase (the programs' pages)
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
    from voucher_service.db.tables.applications import (
        UNDECLARED,
        ApplicationStatus,
        Sector,
        SelectionStatus,
        SizeClass,
    )
    from voucher_service.db.tables.ledger import PostingKind
    from voucher_service.db.tables.providers import ProviderStatus
    from voucher_service.db.tables.settlement import StatementStatus
    from voucher_service.db.tables.vouchers import VoucherStatus
    from voucher_service.notifications.events import Event

    statuses = [ApplicationStatus, VoucherStatus, StatementStatus, ProviderStatus]
    expected = {f"status.{s.value}" for enum in statuses for s in enum}
    expected |= {f"status.{h}" for h in ("ok", "degraded", "down")}
    expected |= {f"size.{s.value}" for s in SizeClass} | {f"size.{UNDECLARED}"}
    expected |= {f"posting.{k.value}" for k in PostingKind}
    expected |= {f"district.{code}" for code in DISTRICTS}
    expected |= {f"event.{e.value}" for e in Event}
    expected |= {f"sector.{s.value}" for s in Sector} | {
        f"status.{s.value}" for s in SelectionStatus
    }
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


def test_every_audit_action_has_a_name() -> None:
    """One table names every action the service records (the audit log shows names, and an
    unnamed one would fail the page): the literal actions, and those built from a verb."""
    import ast

    source = Path(i18n.__file__).parents[1]
    actions: set[str] = set()
    for path in source.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call) or len(node.args) < 2:
                continue
            name = getattr(node.func, "attr", getattr(node.func, "id", ""))
            action = node.args[1]
            if name in {"record", "entry"} and isinstance(action, ast.Constant):
                actions.add(str(action.value))
    verbs = {
        "application": ("approve", "return", "reject"),
        "confirmation": ("confirm", "reject", "withdraw"),
        "statement": ("approve", "pay"),
    }
    actions |= {f"{target}.{verb}" for target, names in verbs.items() for verb in names}
    assert len(actions) > 40
    named = {key.removeprefix("audit.action.") for key in MESSAGES["zh-CN"]}
    assert sorted(actions - named) == []
