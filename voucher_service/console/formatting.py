"""How the console shows money and time: ``¥1,234.50`` from integer fen (built on money.py,
never a float) and dates and times in the program's timezone (Asia/Shanghai by default)."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from voucher_service.config import get_settings
from voucher_service.money import fen_to_yuan, yuan_to_fen


def yuan(fen: int) -> str:
    """``123450`` -> ``¥1,234.50``; ``-5`` -> ``-¥0.05``."""
    text = fen_to_yuan(fen)
    sign = "-" if text.startswith("-") else ""
    whole, fraction = text.lstrip("-").split(".")
    return f"{sign}¥{int(whole):,}.{fraction}"


def fen_from_display(text: str) -> int:
    """Read an amount as the console shows it (``¥1,234.50``, or plain ``1234.50``) back into
    fen, with money.py's checks: what a person copies from a page into a filter is understood."""
    return yuan_to_fen(text.strip().replace("¥", "", 1).replace(",", ""), allow_negative=True)


def _zone(tz: ZoneInfo | None) -> ZoneInfo:
    return tz or get_settings().tz


def local_datetime(moment: datetime, tz: ZoneInfo | None = None) -> str:
    """An instant as the program's wall-clock time: ``2026-06-15 12:00``."""
    if moment.tzinfo is None:
        raise ValueError("a naive datetime has no instant: give a timezone")
    return moment.astimezone(_zone(tz)).strftime("%Y-%m-%d %H:%M")


def local_date(value: date | datetime, tz: ZoneInfo | None = None) -> str:
    """A date (``2026-06-15``); an instant is first put in the program's timezone, so 20:00
    UTC on the 14th is the 15th in Wuhan."""
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise ValueError("a naive datetime has no instant: give a timezone")
        value = value.astimezone(_zone(tz)).date()
    return value.isoformat()
