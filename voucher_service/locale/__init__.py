"""The service's gettext catalogs: ``zh_CN`` and ``en`` ``LC_MESSAGES/messages.po`` beside this
module, managed with Babel (``make messages`` extracts ``messages.pot`` and adds new msgids to
both; CONTRIBUTING.md, "adding a console string").

msgids are symbolic keys (``sign_in.title``), the console's ``t("key")``; a msgstr may take
``{name}`` fields, filled with ``str.format``. The ``.po`` files are read and compiled in
memory on first use, so a fresh clone runs without a compile step; a fuzzy or empty msgstr
counts as missing.
"""

from __future__ import annotations

from functools import cache
from io import BytesIO
from pathlib import Path

from babel import Locale
from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import Translations

LOCALE_DIR = Path(__file__).parent
DOMAIN = "messages"
# The console's language tags and the catalogs' locale names.
LOCALES = {"zh-CN": "zh_CN", "en": "en"}


def po_path(locale: str) -> Path:
    """The ``.po`` file of a catalog locale (``zh_CN``, ``en``)."""
    return LOCALE_DIR / locale / "LC_MESSAGES" / f"{DOMAIN}.po"


def read_catalog(locale: str) -> Catalog:
    with po_path(locale).open("rb") as po:
        return read_po(po, locale=locale, domain=DOMAIN)


@cache
def babel_locale(language: str) -> Locale:
    """Babel's locale for a console language tag (``zh-CN`` -> ``zh_CN``)."""
    return Locale.parse(LOCALES[language])


@cache
def messages(language: str) -> dict[str, str]:
    """Every translated msgid of a language and its text (fuzzy and empty ones left out)."""
    catalog = read_catalog(LOCALES[language])
    return {
        str(m.id): str(m.string)
        for m in catalog
        if m.id and isinstance(m.id, str) and m.string and not m.fuzzy
    }


@cache
def translations(language: str) -> Translations:
    """The language's catalog as gettext translations (``gettext``/``ngettext``)."""
    compiled = BytesIO()
    write_mo(compiled, read_catalog(LOCALES[language]))
    compiled.seek(0)
    return Translations(compiled, domain=DOMAIN)
