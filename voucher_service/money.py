"""Money: yuan decimal strings at the edge, integer fen everywhere else.

This is the only place money is converted. A yuan amount is written as digits with at
most two decimal places (``"1234.50"``); exponents, signs other than a leading ``-``
where allowed, thousands separators, whitespace and floats are refused, so a typo can
never become a plausible amount.
"""

from __future__ import annotations

import re

from voucher_service.domain.messages import RefusedValue

FEN_PER_YUAN = 100
# The largest amount the service accepts anywhere: 100 billion yuan. Far above any pool,
# far below the 64-bit column limit, so sums of many amounts cannot overflow either.
MAX_FEN = 100_000_000_000 * FEN_PER_YUAN

_YUAN = re.compile(r"^(-?)(0|[1-9][0-9]{0,11})(?:\.([0-9]{1,2}))?$")
# Digits in groups of three, as people write and the console shows amounts ("80,000.00").
_SEPARATED = re.compile(r"^-?[0-9]{1,3}([,，][0-9]{3})+(\.[0-9]{1,2})?$")


class MoneyError(RefusedValue):
    """A yuan string that is not a valid amount; the message says why."""


def yuan_to_fen(text: str, *, allow_negative: bool = False, allow_zero: bool = True) -> int:
    """Parse a yuan decimal string (at most two places) into integer fen."""
    if not isinstance(text, str):
        raise MoneyError(
            'amount must be a decimal string in yuan such as "1234.50", got {type_name}',
            type_name=type(text).__name__,
        )
    match = _YUAN.match(text)
    if match is None:
        # Said for what the text is, so no message names a form the caller did not use (the
        # console drops the thousands separators it shows before it asks: "80,000.00" is
        # understood there, and "八万" is told the rule, not about separators).
        raise MoneyError(
            "{text!r} is not an amount in yuan: write the thousands without separators, "
            'such as "80000.00"'
            if _SEPARATED.match(text)
            else "{text!r} is not an amount in yuan: use digits with at most two decimal "
            'places, such as "80000.00" (no exponent or spaces)',
            text=text,
        )
    sign, whole, frac = match.groups()
    fen = int(whole) * FEN_PER_YUAN + int((frac or "").ljust(2, "0"))
    if sign:
        fen = -fen
    if fen < 0 and not allow_negative:
        raise MoneyError("{text!r}: amount must not be negative", text=text)
    if fen == 0 and not allow_zero:
        raise MoneyError("{text!r}: amount must be greater than zero", text=text)
    if abs(fen) > MAX_FEN:
        raise MoneyError(
            "{text!r}: amount exceeds the maximum of {max_yuan} yuan",
            text=text,
            max_yuan=fen_to_yuan(MAX_FEN),
        )
    return fen


def fen_to_yuan(fen: int) -> str:
    """Format integer fen as a yuan string with exactly two decimals (``12345`` -> ``"123.45"``)."""
    if isinstance(fen, bool) or not isinstance(fen, int):
        raise TypeError(f"fen must be an int, got {type(fen).__name__}")
    sign = "-" if fen < 0 else ""
    whole, frac = divmod(abs(fen), FEN_PER_YUAN)
    return f"{sign}{whole}.{frac:02d}"
