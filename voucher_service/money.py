"""Money: yuan decimal strings at the edge, integer fen everywhere else.

This is the only place money is converted. A yuan amount is written as digits with at
most two decimal places (``"1234.50"``); exponents, signs other than a leading ``-``
where allowed, thousands separators, whitespace and floats are refused, so a typo can
never become a plausible amount.
"""

from __future__ import annotations

import re

FEN_PER_YUAN = 100
# The largest amount the service accepts anywhere: 100 billion yuan. Far above any pool,
# far below the 64-bit column limit, so sums of many amounts cannot overflow either.
MAX_FEN = 100_000_000_000 * FEN_PER_YUAN

_YUAN = re.compile(r"^(-?)(0|[1-9][0-9]{0,11})(?:\.([0-9]{1,2}))?$")


class MoneyError(ValueError):
    """A yuan string that is not a valid amount; the message says why."""


def yuan_to_fen(text: str, *, allow_negative: bool = False, allow_zero: bool = True) -> int:
    """Parse a yuan decimal string (at most two places) into integer fen."""
    if not isinstance(text, str):
        raise MoneyError(
            f'amount must be a decimal string in yuan such as "1234.50", got {type(text).__name__}'
        )
    match = _YUAN.match(text)
    if match is None:
        raise MoneyError(
            f"{text!r} is not an amount in yuan: use digits with at most two decimal places, "
            'such as "1234.50" (no exponent, spaces or separators)'
        )
    sign, whole, frac = match.groups()
    fen = int(whole) * FEN_PER_YUAN + int((frac or "").ljust(2, "0"))
    if sign:
        fen = -fen
    if fen < 0 and not allow_negative:
        raise MoneyError(f"{text!r}: amount must not be negative")
    if fen == 0 and not allow_zero:
        raise MoneyError(f"{text!r}: amount must be greater than zero")
    if abs(fen) > MAX_FEN:
        raise MoneyError(f"{text!r}: amount exceeds the maximum of {fen_to_yuan(MAX_FEN)} yuan")
    return fen


def fen_to_yuan(fen: int) -> str:
    """Format integer fen as a yuan string with exactly two decimals (``12345`` -> ``"123.45"``)."""
    if isinstance(fen, bool) or not isinstance(fen, int):
        raise TypeError(f"fen must be an int, got {type(fen).__name__}")
    sign = "-" if fen < 0 else ""
    whole, frac = divmod(abs(fen), FEN_PER_YUAN)
    return f"{sign}{whole}.{frac:02d}"
