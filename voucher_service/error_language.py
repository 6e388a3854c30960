"""The language an error is said in: the request's ``Accept-Language``, and the catalog.

Every error's message is an English template and its parameters (``errors.py``); here it
is said in the caller's language, at the edge (the API's error handler, the gate, the
console's error texts). The Chinese is ``locale/zh_CN/LC_MESSAGES/errors.po`` (msgid: the
English template, msgstr: the Chinese), read with Babel from the ``.po`` itself the first
time it is needed, so a fresh clone needs no compile step. ``code`` never changes.

Languages (RFC 9110 ``Accept-Language``, q-values honoured, ``q=0`` refused):

* any Chinese (``zh``, ``zh-CN``, ``zh-Hans``, ``zh-SG``, ``zh-TW``...) is answered in
  simplified Chinese (``zh-CN``), the only Chinese the service writes;
* any English (``en``, ``en-US``, ...) in English;
* nothing it knows, no header or ``*``: the default, English for the API (clients written
  before the header was honoured see no change), simplified Chinese for the console.

A parameter that is itself a msgid (a status such as ``revoked``, a role, ``sign-ins``) is
said in the same language; credit codes, voucher codes, ids, dates and amounts (yuan, as
``"80000.00"``) are shown as they are.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache
from pathlib import Path
from string import Formatter

from babel.messages.pofile import read_po

ENGLISH = "en"
CHINESE = "zh-CN"
LANGUAGES = (CHINESE, ENGLISH)
# The API's default: English, as before Accept-Language was honoured.
API_DEFAULT = ENGLISH

LOCALE_DIR = Path(__file__).parent / "locale"
DOMAIN = "errors"
_CATALOG_LOCALE = {CHINESE: "zh_CN"}


def catalog_path(language: str = CHINESE) -> Path:
    return LOCALE_DIR / _CATALOG_LOCALE[language] / "LC_MESSAGES" / f"{DOMAIN}.po"


@cache
def catalog(language: str) -> Mapping[str, str]:
    """English template -> its translation, for ``language`` (English: empty, the templates
    are English). Untranslated and fuzzy entries are left out: they fall back to English."""
    if language not in _CATALOG_LOCALE:
        return {}
    with catalog_path(language).open("rb") as po:
        messages = read_po(po, locale=_CATALOG_LOCALE[language], domain=DOMAIN)
    return {
        str(m.id): str(m.string)
        for m in messages
        if m.id and isinstance(m.id, str) and isinstance(m.string, str) and m.string
        if not m.fuzzy
    }


def _quality(part: str) -> tuple[str, float]:
    tag, _, rest = part.partition(";")
    quality = 1.0
    for parameter in rest.split(";"):
        name, _, value = parameter.strip().partition("=")
        if name.strip().lower() == "q":
            try:
                quality = float(value)
            except ValueError:
                quality = 0.0
            if not 0.0 <= quality <= 1.0:
                quality = 0.0
    return tag.strip().lower(), quality


def negotiate(header: str | None, default: str = API_DEFAULT) -> str:
    """The language to answer in, from an ``Accept-Language`` header (the module's
    docstring): the most preferred of those known, the first given among equals."""
    if not header:
        return default
    ranked = sorted(
        (_quality(part) for part in header[:1000].split(",") if part.strip()),
        key=lambda tq: -tq[1],
    )
    for tag, quality in ranked:
        if quality <= 0:
            continue
        primary = tag.split("-", 1)[0]
        if tag == "*":
            return default
        if primary == "zh":
            return CHINESE
        if primary == "en":
            return ENGLISH
    return default


def say(template: str, params: Mapping[str, object], language: str) -> str:
    """``template`` with ``params`` in ``language`` (English where the catalog has no
    translation)."""
    if language == ENGLISH:
        return template.format(**params) if params else template
    translations = catalog(language)
    text = translations.get(template, template)
    if not params:
        return text
    # A value quoted as typed ({text!r}) is the caller's own text, never one of our words.
    quoted = {field for _, field, _, conversion in Formatter().parse(template) if conversion == "r"}
    said = {
        name: translations.get(value, value)
        if isinstance(value, str) and name not in quoted
        else value
        for name, value in params.items()
    }
    return text.format(**said)
