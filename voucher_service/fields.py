"""Types for the API edge: what clients send and receive, converted once, here.

Money crosses the edge as a decimal string in yuan (``"1234.50"``); inside it is int fen.
JSON numbers are refused for money, so a float can never slip in.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BeforeValidator, PlainSerializer, WithJsonSchema

from voucher_service.domain.codes import VoucherCodeError, parse_voucher_code
from voucher_service.domain.uscc import USCCError, validate_uscc
from voucher_service.money import MoneyError, fen_to_yuan, yuan_to_fen

_YUAN_SCHEMA = {
    "type": "string",
    "pattern": r"^(0|[1-9][0-9]{0,11})(\.[0-9]{1,2})?$",
    "description": "Amount in yuan (CNY): a decimal string with at most two places.",
    "examples": ["2000.00"],
}


def _positive_yuan(value: Any) -> int:
    try:
        return yuan_to_fen(value, allow_zero=False)
    except MoneyError as exc:
        raise ValueError(str(exc)) from exc


def _non_negative_yuan(value: Any) -> int:
    try:
        return yuan_to_fen(value)
    except MoneyError as exc:
        raise ValueError(str(exc)) from exc


def _uscc(value: Any) -> str:
    try:
        return validate_uscc(value)
    except USCCError as exc:
        raise ValueError(str(exc)) from exc


def _voucher_code(value: Any) -> str:
    try:
        return parse_voucher_code(value)
    except VoucherCodeError as exc:
        raise ValueError(str(exc)) from exc


# A positive amount in yuan from the client, held as int fen.
PositiveYuan = Annotated[int, BeforeValidator(_positive_yuan), WithJsonSchema(_YUAN_SCHEMA)]

# Zero or more yuan from the client, held as int fen.
NonNegativeYuan = Annotated[int, BeforeValidator(_non_negative_yuan), WithJsonSchema(_YUAN_SCHEMA)]

# Int fen shown to the client as a yuan string.
Yuan = Annotated[
    int,
    PlainSerializer(fen_to_yuan, return_type=str),
    WithJsonSchema({**_YUAN_SCHEMA, "pattern": r"^-?[0-9]+\.[0-9]{2}$"}, mode="serialization"),
]

USCC = Annotated[
    str,
    BeforeValidator(_uscc),
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
    BeforeValidator(_voucher_code),
    WithJsonSchema(
        {
            "type": "string",
            "description": "Voucher code: 16 characters in groups of four, with a check character.",
            "examples": ["7KQ3-MZ8D-R2XW-HT4C"],
        }
    ),
]


def parse_uscc_param(value: str) -> str:
    """For path parameters: same rule, error type of the service."""
    from voucher_service.errors import InvalidInput

    try:
        return validate_uscc(value)
    except USCCError as exc:
        raise InvalidInput(str(exc), code="invalid_uscc") from exc


def parse_voucher_code_param(value: str) -> str:
    from voucher_service.errors import InvalidInput

    try:
        return parse_voucher_code(value)
    except VoucherCodeError as exc:
        raise InvalidInput(str(exc), code="invalid_voucher_code") from exc
