"""Voucher codes: unguessable, easy to read aloud, with a check character.

The alphabet has 32 characters and leaves out 0/O and 1/I, which are confused when read
aloud or typed. A code is 15 random characters (75 bits from the OS's CSPRNG) and one
check character computed with the Luhn mod N algorithm, which catches every single
mistyped character and every swap of two adjacent characters but one (the characters worth
0 and N-1, ``2`` and ``Z``, like 09/90 in decimal Luhn). It is shown in groups of
four: ``7KQ3-MZ8D-R2XW-HT4T``.
"""

from __future__ import annotations

import secrets

from voucher_service.domain.messages import RefusedValue

ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"
_VALUE = {ch: i for i, ch in enumerate(ALPHABET)}
_N = len(ALPHABET)
RANDOM_LENGTH = 15
LENGTH = RANDOM_LENGTH + 1


class VoucherCodeError(RefusedValue):
    """A string that is not a well-formed voucher code; the message says why."""


def luhn_check_character(body: str) -> str:
    """Luhn mod N check character for ``body`` (characters of ALPHABET)."""
    factor = 2
    total = 0
    for ch in reversed(body):
        addend = factor * _VALUE[ch]
        factor = 1 if factor == 2 else 2
        total += addend // _N + addend % _N
    return ALPHABET[(_N - total % _N) % _N]


def new_voucher_code() -> str:
    """A fresh random code, formatted in groups of four."""
    body = "".join(secrets.choice(ALPHABET) for _ in range(RANDOM_LENGTH))
    return format_code(body + luhn_check_character(body))


def format_code(compact: str) -> str:
    return "-".join(compact[i : i + 4] for i in range(0, len(compact), 4))


def parse_voucher_code(text: str) -> str:
    """Normalise a typed code (any case, spaces or hyphens) to its canonical form, or raise."""
    if not isinstance(text, str):
        raise VoucherCodeError("voucher code must be a string")
    compact = text.replace("-", "").replace(" ", "").upper()
    if len(compact) != LENGTH:
        raise VoucherCodeError(
            "voucher code must have {length} characters (groups of four), got {given}",
            length=LENGTH,
            given=len(compact),
        )
    for position, ch in enumerate(compact, start=1):
        if ch not in _VALUE:
            raise VoucherCodeError(
                "voucher code: character {ch!r} at position {position} is not allowed "
                "(codes never contain 0, O, 1 or I)"
                if ch in "0O1I"
                else "voucher code: character {ch!r} at position {position} is not allowed",
                ch=ch,
                position=position,
            )
    if luhn_check_character(compact[:-1]) != compact[-1]:
        raise VoucherCodeError("voucher code: check character does not match (typo?)")
    return format_code(compact)
