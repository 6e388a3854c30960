"""Unified Social Credit Code (统一社会信用代码), GB 32100-2015.

18 characters from a 31-character alphabet (digits and capitals without I, O, S, V, Z).
Positions 3-8 are the administrative division code of the registering authority (Wuhan's
districts are 4201xx). Position 18 is a check character: with weights 3^(i-1) mod 31 for
positions 1..17, check = (31 - sum mod 31) mod 31.
"""

from __future__ import annotations

from voucher_service.domain.messages import RefusedValue

ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_VALUE = {ch: i for i, ch in enumerate(ALPHABET)}
WEIGHTS = tuple(pow(3, i, 31) for i in range(17))
LENGTH = 18


class USCCError(RefusedValue):
    """An invalid credit code; the message names the position that failed."""


def check_character(first17: str) -> str:
    """The check character (position 18) for the first 17 characters of a code."""
    total = sum(_VALUE[ch] * w for ch, w in zip(first17, WEIGHTS, strict=True))
    return ALPHABET[(31 - total % 31) % 31]


def validate_uscc(code: str) -> str:
    """Return the code (upper-cased, trimmed) if valid, else raise USCCError saying where."""
    if not isinstance(code, str):
        raise USCCError("credit code must be a string")
    normalised = code.strip().upper()
    if len(normalised) != LENGTH:
        raise USCCError(
            "credit code must have {length} characters, {text!r} has {given}",
            length=LENGTH,
            text=code,
            given=len(normalised),
        )
    for position, ch in enumerate(normalised, start=1):
        if ch not in _VALUE:
            raise USCCError(
                (
                    "credit code {uscc}: character {ch!r} at position {position} "
                    "is not allowed (allowed: {alphabet})"
                ),
                uscc=normalised,
                ch=ch,
                position=position,
                alphabet=ALPHABET,
            )
    for position in range(3, 9):
        if not normalised[position - 1].isdigit():
            raise USCCError(
                (
                    "credit code {uscc}: position {position} must be a digit "
                    "(positions 3-8 are the administrative division code)"
                ),
                uscc=normalised,
                position=position,
            )
    expected = check_character(normalised[:17])
    if normalised[17] != expected:
        raise USCCError(
            (
                "credit code {uscc}: check character at position 18 is "
                "{check!r}, expected {expected!r}"
            ),
            uscc=normalised,
            check=normalised[17],
            expected=expected,
        )
    return normalised


def division_code(uscc: str) -> str:
    """The six-digit administrative division code (positions 3-8), e.g. ``"420106"``."""
    return uscc[2:8]
