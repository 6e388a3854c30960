"""Types for the API edge: what clients send and receive, converted once, here.

Money crosses the edge as a decimal string in yuan (``"1234.50"``); inside it is int fen.
JSON numbers are refused for money, so a float can never slip in.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache
from typing import Annotated, Any

from pydantic import BeforeValidator, PlainSerializer, WithJsonSchema

from voucher_service.domain.codes import parse_voucher_code
from voucher_service.domain.uscc import validate_uscc
from voucher_service.errors import ErrorCode, InvalidInput
from voucher_service.money import fen_to_yuan, yuan_to_fen

_YUAN_SCHEMA = {
    "type": "string",
    "pattern": r"^(0|[1-9][0-9]{0,11})(\.[0-9]{1,2})?$",
    "description": "Amount in yuan (CNY): a decimal string with at most two places.",
    "examples": ["2000.00"],
}


# The parsers raise ValueError subclasses, which pydantic reports as validation errors with
# their message, so they are used as validators directly.


def _memoised(parse: Callable[..., Any]) -> Callable[[Any], Any]:
    """``parse`` remembering what it answered for the last few thousand strings: a batch of
    10,000 records names a few hundred credit codes, vouchers and prices, checked once each.
    (Pure functions of their text: remembering changes no answer; a failure is not kept.)"""
    remembered = lru_cache(maxsize=4096)(parse)

    def parse_value(value: Any) -> Any:
        return remembered(value) if isinstance(value, str) else parse(value)

    return parse_value


_yuan_to_fen = _memoised(yuan_to_fen)


@_memoised
def _positive_yuan(value: Any) -> int:
    return yuan_to_fen(value, allow_zero=False)


# A positive amount in yuan from the client, held as int fen.
PositiveYuan = Annotated[int, BeforeValidator(_positive_yuan), WithJsonSchema(_YUAN_SCHEMA)]

# Zero or more yuan from the client, held as int fen.
NonNegativeYuan = Annotated[int, BeforeValidator(_yuan_to_fen), WithJsonSchema(_YUAN_SCHEMA)]

# Int fen shown to the client as a yuan string.
Yuan = Annotated[
    int,
    PlainSerializer(lru_cache(maxsize=4096, typed=True)(fen_to_yuan), return_type=str),
    WithJsonSchema({**_YUAN_SCHEMA, "pattern": r"^-?[0-9]+\.[0-9]{2}$"}, mode="serialization"),
]

USCC = Annotated[
    str,
    BeforeValidator(_memoised(validate_uscc)),
    WithJsonSchema(
        {
            "type": "string",
            "description": "Unified Social Credit Code (GB 32100-2015), 18 characters.",
            "examples": ["91420106MA4K00005Y"],
        }
    ),
]

VoucherCode = Annotated[
    str,
    BeforeValidator(_memoised(parse_voucher_code)),
    WithJsonSchema(
        {
            "type": "string",
            "description": "Voucher code: 16 characters in groups of four, with a check character.",
            "examples": ["7KQ3-MZ8D-R2XW-HT4T"],
        }
    ),
]


def _as_invalid_input(parse: Callable[[str], str], code: ErrorCode) -> Callable[[str], str]:
    def parse_param(value: str) -> str:
        try:
            return parse(value)
        except ValueError as exc:
            raise InvalidInput(str(exc), code=code) from exc

    return parse_param


# For path and query parameters: the same rules, reported with the service's error codes.
parse_uscc_param = _as_invalid_input(validate_uscc, ErrorCode.INVALID_USCC)
parse_voucher_code_param = _as_invalid_input(parse_voucher_code, ErrorCode.INVALID_VOUCHER_CODE)
