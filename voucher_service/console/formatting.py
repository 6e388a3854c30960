"""How the console shows money and time, through Babel in the page's language: ``¥1,234.50``
from integer fen (a ``Decimal`` built from the fen, never a float) and dates and times in the
program's timezone (Asia/Shanghai by default).

The patterns are fixed (``#,##0.00``, ``yyyy-MM-dd HH:mm``) so that a figure reads the same in
both languages and in the downloads; the locale supplies the symbols."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_datetime
from babel.numbers import format_decimal

from voucher_service.config import get_settings
from voucher_service.locale import babel_locale
from voucher_service.money import yuan_to_fen

DEFAULT_LANGUAGE = "zh-CN"
MONEY_PATTERN = "#,##0.00"
DATE_PATTERN = "yyyy-MM-dd"
DATETIME_PATTERN = "yyyy-MM-dd HH:mm"


def yuan(fen: int, language: str = DEFAULT_LANGUAGE) -> str:
    """``123450`` -> ``¥1,234.50``; ``-5`` -> ``-¥0.05``."""
    if isinstance(fen, bool) or not isinstance(fen, int):
        raise TypeError(f"an amount is integer fen, not {type(fen).__name__}")
    amount = Decimal(abs(fen)).scaleb(-2)  # exact: fen are an integer
    digits = format_decimal(amount, format=MONEY_PATTERN, locale=babel_locale(language))
    return f"{'-' if fen < 0 else ''}¥{digits}"


def fen_from_display(text: str) -> int:
    """Read an amount as the console shows it (``¥1,234.50``, or plain ``1234.50``) back into
    fen, with money.py's checks: what a person copies from a page into a filter is understood."""
    return yuan_to_fen(text.strip().replace("¥", "", 1).replace(",", ""), allow_negative=True)


def _zone(tz: ZoneInfo | None) -> ZoneInfo:
    return tz or get_settings().tz


def _instant(moment: datetime) -> datetime:
    if moment.tzinfo is None:
        raise ValueError("a naive datetime has no instant: give a timezone")
    return moment


def local_datetime(
    moment: datetime, tz: ZoneInfo | None = None, language: str = DEFAULT_LANGUAGE
) -> str:
    """An instant as the program's wall-clock time: ``2026-06-15 12:00``."""
    local = _instant(moment).astimezone(_zone(tz))
    return format_datetime(local, DATETIME_PATTERN, locale=babel_locale(language))


def local_date(
    value: date | datetime, tz: ZoneInfo | None = None, language: str = DEFAULT_LANGUAGE
) -> str:
    """A date (``2026-06-15``); an instant is first put in the program's timezone, so 20:00
    UTC on the 14th is the 15th in Wuhan."""
    if isinstance(value, datetime):
        value = _instant(value).astimezone(_zone(tz)).date()
    return format_date(value, DATE_PATTERN, locale=babel_locale(language))


def last_day(end: datetime, tz: ZoneInfo | None = None) -> date:
    """The last day an exclusive end instant covers: a key that stops working at midnight
    after 2027-12-31 (Wuhan time) is valid through 2027-12-31, not "until 2028-01-01 00:00"."""
    return (_instant(end) - timedelta(microseconds=1)).astimezone(_zone(tz)).date()
