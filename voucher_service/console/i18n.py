"""The console's languages: zh-CN by default, English on request.

Every visible string of the console is a msgid of the gettext catalogs
(``voucher_service/locale/{zh_CN,en}/LC_MESSAGES/messages.po``, managed with Babel). msgids are
symbolic keys: a template writes ``{{ t("sign_in.title") }}`` (or ``{{ _("sign_in.title") }}``,
``{% trans %}``: ``jinja2.ext.i18n`` is installed with the same translations), code calls
``Translator(language)("key", name=...)``. An unknown key is an error, caught by the tests,
never a blank or a raw key on a page.

Rows still in a tuple-catalogue module (``i18n_<branch>.py`` beside this one: module tuples of
``(key, zh-CN, en)``, the format the console had before the catalogs) are read too, after the
catalogs, until ``python -m voucher_tools.i18n_to_po convert`` merges them into the ``.po``
files and deletes the module (CONTRIBUTING.md, "adding a console string").

The language is ``?lang=en`` or ``?lang=zh-CN`` (remembered in a cookie), else the cookie,
else zh-CN: the program is Wuhan's, and Chinese is what a clerk expects whatever the
browser's settings say.
"""

from __future__ import annotations

import importlib
import pkgutil
from functools import cache
from pathlib import Path

from fastapi import Request

from voucher_service import locale

LANGUAGES = ("zh-CN", "en")
DEFAULT_LANGUAGE = "zh-CN"
LANGUAGE_COOKIE = "vs_lang"
LANGUAGE_PARAM = "lang"


def _is_row(item: object) -> bool:
    return isinstance(item, tuple) and len(item) == 3 and all(isinstance(s, str) for s in item)


@cache
def pending_rows() -> tuple[tuple[str, str, str], ...]:
    """The (key, zh-CN, en) rows of the tuple-catalogue modules not yet converted."""
    rows: list[tuple[str, str, str]] = []
    for module in pkgutil.iter_modules([str(Path(__file__).parent)]):
        if not module.name.startswith("i18n_"):
            continue
        loaded = importlib.import_module(f"{__package__}.{module.name}")
        for value in vars(loaded).values():
            if isinstance(value, tuple) and value and all(_is_row(item) for item in value):
                rows.extend(value)
    return tuple(rows)


@cache
def messages(language: str) -> dict[str, str]:
    """Every key of a language and its text: the catalog's, then any pending module's."""
    column = LANGUAGES.index(language) + 1
    pending = {row[0]: row[column] for row in pending_rows()}
    return pending | locale.messages(language)


class Translator:
    """``t("key", name=...)``: the key's text in one language, with its ``{fields}`` filled."""

    def __init__(self, language: str) -> None:
        self.language = language
        self.messages = messages(language)

    def __call__(self, key: str, **values: object) -> str:
        text = self.messages[key]  # KeyError: a key missing from the catalogs
        return text.format(**values) if values else text

    def __contains__(self, key: str) -> bool:
        return key in self.messages


def requested_language(request: Request) -> str | None:
    """The language asked for in the query string (to be remembered), if a known one."""
    asked = request.query_params.get(LANGUAGE_PARAM)
    return asked if asked in LANGUAGES else None


def language_of(request: Request) -> str:
    cookie = request.cookies.get(LANGUAGE_COOKIE)
    return requested_language(request) or (cookie if cookie in LANGUAGES else DEFAULT_LANGUAGE)


def __getattr__(name: str) -> object:
    """``MESSAGES`` and ``CATALOGUE`` as the tuple catalogue had them, read from the catalogs,
    for code written before them (other branches' tests); new code calls ``messages()``."""
    if name == "MESSAGES":
        return {language: messages(language) for language in LANGUAGES}
    if name == "CATALOGUE":
        zh, en = messages("zh-CN"), messages("en")
        return tuple((key, text, en[key]) for key, text in zh.items() if key in en)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
