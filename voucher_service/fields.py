"""Types for the API edge: what clients send and receive, converted once, here.

Money crosses the edge as a decimal string in yuan (``"1234.50"``); inside it is int fen.
JSON numbers are refused for money, so a float can never slip in.

Every value a client sends is bounded here, so nothing it can send reaches the database
as something the database cannot hold (issue 11: a 2^63 id, a NUL byte or a year-10000
instant answered 500 or 503):

* ``Id`` (database ids in paths, queries and bodies), ``Year`` and ``SafeInt``: integers
  in range;
  the cursor decoder (``pagination``) keeps to the same range.
* ``Name`` (one line) and ``Text`` (free text, which may have line breaks): strings
  without NUL or other control characters.
* ``Day`` and ``Instant``: a date or a date-time written as RFC 3339 (never a number of
  seconds), an instant representable in every time zone.

JSON bodies are read by ``parse_json``, which reads numbers as JSON Schema does: a number
with no fractional part is an integer (``2026.0`` is 2026, where the schema says
``integer``), and an integer literal too long for Python to convert (past 4,300 digits) is
a value no field takes, refused where it stands (one record of a batch), not a body that
cannot be parsed.

Each type publishes its rule in the OpenAPI document (minimum, maximum, pattern), and the
rule published is the rule applied: ``tests/test_openapi.py`` walks every request schema.
"""

from __future__ import annotations

import dataclasses
import json
import re
from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime
from functools import lru_cache
from typing import TYPE_CHECKING, Annotated, Any, Self, TypeVar

from annotated_types import Interval
from pydantic import (
    AliasGenerator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    GetPydanticSchema,
    PlainSerializer,
    StringConstraints,
    WithJsonSchema,
)
from pydantic_core import core_schema

from voucher_service.domain.codes import VoucherCodeError, parse_voucher_code
from voucher_service.domain.messages import RefusedValue
from voucher_service.domain.uscc import USCCError, validate_uscc
from voucher_service.errors import ErrorCode, InvalidInput
from voucher_service.money import MoneyError, fen_to_yuan, yuan_to_fen

if TYPE_CHECKING:
    from _typeshed import DataclassInstance

D = TypeVar("D", bound="DataclassInstance")

# The largest integer every JSON reader holds exactly (2^53 - 1), far below what a 64-bit
# column holds: no integer a client sends is larger (usage records' 64-bit ids in cursors
# included).
MAX_ID = 2**53 - 1
# The ids a client names (applications, selections, statements, redemptions, accounts,
# principals) are 32-bit integers in the database: PostgreSQL refuses a larger one in a list.
MAX_ROW_ID = 2**31 - 1
Id = Annotated[int, Interval(ge=1, le=MAX_ROW_ID)]
Year = Annotated[int, Interval(ge=2000, le=2100)]
# Any integer a client may send as data (a usage record's attributes).
SafeInt = Annotated[int, Interval(ge=-MAX_ID, le=MAX_ID)]


class IntegerTooLong:
    """An integer literal longer than Python converts to an int (4,300 digits by default,
    ``sys.set_int_max_str_digits``): no field accepts it, whatever its type."""

    __slots__ = ("digits",)

    def __init__(self, digits: int) -> None:
        self.digits = digits

    def __repr__(self) -> str:
        return f"<an integer of {self.digits:,} digits>"


def _json_integer(literal: str) -> int | IntegerTooLong:
    try:
        return int(literal)
    except ValueError:  # past the conversion limit
        return IntegerTooLong(len(literal.lstrip("-")))


def _json_number(literal: str) -> int | float:
    value = float(literal)
    return int(value) if value.is_integer() else value


def parse_json(body: bytes | str) -> Any:
    """A request body's JSON, its numbers read as JSON Schema reads them (the module's
    docstring); ``json.JSONDecodeError`` if it is not JSON."""
    return json.loads(body, parse_int=_json_integer, parse_float=_json_number)


# No C0 control characters (NUL included), no DEL, no C1 controls: PostgreSQL refuses NUL
# in text, and control characters have no place in names, codes or CSV cells.
NAME_PATTERN = r"^[^\x00-\x1f\x7f-\x9f]*$"
# Free text may have tabs and line breaks, nothing else of the kind.
TEXT_PATTERN = r"^[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]*$"


# Checked by pydantic-core (its own regex engine, where ``$`` is the end of the text), so
# the Field's length limits stay in the published schema beside the pattern.
Name = Annotated[str, StringConstraints(pattern=NAME_PATTERN)]
Text = Annotated[str, StringConstraints(pattern=TEXT_PATTERN)]

_DAY = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")
INSTANT_PATTERN = (
    r"^[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt][0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]{1,6})?"
    r"([Zz]|[+-][0-9]{2}:[0-9]{2})$"
)
INSTANT_ERROR = "invalid_time"
# An instant between these is a valid datetime in every time zone (offsets are within a
# day): its service date, its UTC form and its hash never overflow.
EARLIEST = datetime(1, 1, 2, tzinfo=UTC)
LATEST = datetime(9999, 12, 30, tzinfo=UTC)


class TimeError(RefusedValue):
    """A date or instant that is not written as RFC 3339, or out of range."""


def _day(value: Any) -> Any:
    if isinstance(value, str) and _DAY.fullmatch(value) is None:
        raise TimeError("a date is written YYYY-MM-DD")
    if not isinstance(value, str | date):
        raise TimeError("a date is a string written YYYY-MM-DD")
    return value


INSTANT_MESSAGE = (
    "an instant is written as RFC 3339 with its timezone offset (2026-06-01T09:00:00+08:00; "
    "naive times are refused) and lies within years 0001 to 9999 in every time zone"
)


def _instant_schema(_source: Any, _handler: Any) -> core_schema.CoreSchema:
    """All in pydantic-core, no Python call per value (10,000 records carry 20,000 instants):
    the text by its pattern, then parsed, aware, and within [EARLIEST, LATEST]; or an aware
    datetime given from Python."""
    within = {"tz_constraint": "aware", "ge": EARLIEST, "le": LATEST}
    return core_schema.custom_error_schema(
        core_schema.union_schema(
            [
                core_schema.chain_schema(
                    [
                        core_schema.str_schema(pattern=INSTANT_PATTERN),
                        core_schema.datetime_schema(**within),
                    ]
                ),
                core_schema.datetime_schema(strict=True, **within),
            ]
        ),
        custom_error_type=INSTANT_ERROR,
        custom_error_message=INSTANT_MESSAGE,
    )


Day = Annotated[date, BeforeValidator(_day), WithJsonSchema({"type": "string", "format": "date"})]
Instant = Annotated[
    datetime,
    GetPydanticSchema(_instant_schema),
    WithJsonSchema({"type": "string", "format": "date-time"}),
]


def _edge(
    pattern: str, parse: Callable[[str], Any], error: type[RefusedValue]
) -> Callable[[Any], Any]:
    """``parse`` for the edge, refusing first whatever ``pattern`` (the one the OpenAPI
    document shows) refuses, so the document and the service agree on every string. A
    value the pattern refuses gets ``parse``'s own, more precise message when it has one."""
    compiled = re.compile(pattern)

    def check(value: Any) -> Any:
        if not isinstance(value, str) or compiled.fullmatch(value) is None:
            parse(value)  # raises with its message if it can tell what is wrong
            raise error(
                "{value!r} does not match {pattern}", value=str(value)[:40], pattern=pattern
            )
        return parse(value)

    return check


def _memoised(parse: Callable[..., Any]) -> Callable[[Any], Any]:
    """``parse`` remembering what it answered for the last few thousand strings: a batch of
    10,000 records names a few hundred credit codes, vouchers and prices, checked once each.
    (Pure functions of their text: remembering changes no answer; a failure is not kept.)"""
    remembered = lru_cache(maxsize=4096)(parse)

    def parse_value(value: Any) -> Any:
        return remembered(value) if isinstance(value, str) else parse(value)

    return parse_value


# At most money.MAX_FEN (100,000,000,000.00 yuan): every amount the pattern allows is one
# the service takes.
_MAX_YUAN = r"100000000000(\.00?)?"
YUAN_PATTERN = rf"^((0|[1-9][0-9]{{0,10}})(\.[0-9]{{1,2}})?|{_MAX_YUAN})$"
POSITIVE_YUAN_PATTERN = (
    rf"^(0\.(0[1-9]|[1-9][0-9]?)|[1-9][0-9]{{0,10}}(\.[0-9]{{1,2}})?|{_MAX_YUAN})$"
)
_YUAN_SCHEMA = {
    "type": "string",
    "pattern": YUAN_PATTERN,
    "description": "Amount in yuan (CNY): a decimal string with at most two places.",
    "examples": ["2000.00"],
}


def _positive_fen(value: str) -> int:
    return yuan_to_fen(value, allow_zero=False)


# A positive amount in yuan from the client, held as int fen.
PositiveYuan = Annotated[
    int,
    BeforeValidator(_memoised(_edge(POSITIVE_YUAN_PATTERN, _positive_fen, MoneyError))),
    WithJsonSchema(
        {
            **_YUAN_SCHEMA,
            "pattern": POSITIVE_YUAN_PATTERN,
            "description": "An amount in yuan (CNY) greater than zero: a decimal string with "
            "at most two places.",
        }
    ),
]

# Zero or more yuan from the client, held as int fen.
NonNegativeYuan = Annotated[
    int,
    BeforeValidator(_memoised(_edge(YUAN_PATTERN, yuan_to_fen, MoneyError))),
    WithJsonSchema(_YUAN_SCHEMA),
]

# Int fen shown to the client as a yuan string.
Yuan = Annotated[
    int,
    PlainSerializer(lru_cache(maxsize=4096, typed=True)(fen_to_yuan), return_type=str),
    WithJsonSchema({**_YUAN_SCHEMA, "pattern": r"^-?[0-9]+\.[0-9]{2}$"}, mode="serialization"),
]


def _read_from(field: str) -> str:
    """Where an API model's field is read from: ``x_yuan`` from the service's ``x_fen``
    (shown in yuan by ``Yuan``), any other field from the attribute of its own name."""
    return f"{field.removesuffix('_yuan')}_fen" if field.endswith("_yuan") else field


class OutModel(BaseModel):
    """An API model read from what the service returns, by one rule: each field from the
    attribute of the same name, a ``x_yuan`` field from ``x_fen`` (integer fen inside, a
    yuan string on the wire), nested models likewise. A model built by keyword still takes
    its fields by name."""

    model_config = ConfigDict(
        from_attributes=True,
        validate_by_name=True,
        validate_by_alias=True,
        alias_generator=AliasGenerator(validation_alias=_read_from),
    )

    @classmethod
    def read(cls, *sources: object, **values: Any) -> Self:
        """The model of ``sources``: each field from the first that has its attribute (a
        view's own, then those of the row it carries), or from ``values`` where it is
        computed rather than read, named as it is read (``x_fen`` for a field ``x_yuan``)."""
        found: dict[str, Any] = {}
        for name, attribute, index in _reading(cls, tuple(type(s) for s in sources), sources):
            if attribute in values:
                found[name] = values[attribute]
            elif index is not None:
                found[name] = getattr(sources[index], attribute)
        return cls.model_validate(found)


_READINGS: dict[tuple[type, tuple[type, ...]], tuple[tuple[str, str, int | None], ...]] = {}


def _reading(
    model: type[OutModel], kinds: tuple[type, ...], sources: tuple[object, ...]
) -> tuple[tuple[str, str, int | None], ...]:
    """Each field of ``model``, the attribute it is read from, and which of the sources has
    it (None: none). Found once for each kind of sources and remembered: the service's
    views, rows and dataclasses have the same attributes in every instance, and asking a row
    for one it lacks is slow (a pydantic error message built and dropped)."""
    key = (model, kinds)
    if key not in _READINGS:
        fields = []
        for name, info in model.model_fields.items():
            attribute = info.validation_alias if isinstance(info.validation_alias, str) else name
            index = next((i for i, s in enumerate(sources) if hasattr(s, attribute)), None)
            fields.append((name, attribute, index))
        _READINGS[key] = tuple(fields)
    return _READINGS[key]


def input_of(target: type[D], model: BaseModel, **given: Any) -> D:
    """A service's input (a dataclass) from an API model, by ``OutModel``'s rule turned
    round: each field of ``target`` from the model's field of the same name, ``x_fen`` from
    ``x_yuan`` (the yuan types have already made it int fen); ``given`` for the rest."""
    fields = type(model).model_fields
    values = dict(given)
    for field in dataclasses.fields(target):
        name = (
            f"{field.name.removesuffix('_fen')}_yuan" if field.name.endswith("_fen") else field.name
        )
        if field.name not in values and name in fields:
            values[field.name] = getattr(model, name)
    return target(**values)


# The credit code's alphabet (no I, O, S, V, Z), positions 3-8 digits; any case. The check
# character cannot be written as a pattern: the format ``uscc`` names the whole rule.
_USCC_CHAR = "[0-9A-HJ-NP-RTUWXYa-hj-np-rtuwxy]"
USCC_PATTERN = f"^{_USCC_CHAR}{{2}}[0-9]{{6}}{_USCC_CHAR}{{10}}$"
USCC = Annotated[
    str,
    BeforeValidator(_memoised(_edge(USCC_PATTERN, validate_uscc, USCCError))),
    WithJsonSchema(
        {
            "type": "string",
            "format": "uscc",
            "pattern": USCC_PATTERN,
            "description": "Unified Social Credit Code (GB 32100-2015), 18 characters, the "
            "last a check character.",
            "examples": ["91420106MA4K00005Y"],
        }
    ),
]

_VOUCHER_CHAR = "[2-9A-HJ-NP-Za-hj-np-z]"
VOUCHER_CODE_PATTERN = f"^{_VOUCHER_CHAR}{{4}}(-?{_VOUCHER_CHAR}{{4}}){{3}}$"
VoucherCode = Annotated[
    str,
    BeforeValidator(_memoised(_edge(VOUCHER_CODE_PATTERN, parse_voucher_code, VoucherCodeError))),
    WithJsonSchema(
        {
            "type": "string",
            "format": "voucher-code",
            "pattern": VOUCHER_CODE_PATTERN,
            "description": "Voucher code: 16 characters in groups of four, the last a check "
            "character (no 0, O, 1 or I).",
            "examples": ["7KQ3-MZ8D-R2XW-HT4T"],
        }
    ),
]

PROGRAM_CODE_PATTERN = r"^[A-Z0-9][A-Z0-9_-]{1,39}$"
ProgramCode = Annotated[
    str,
    StringConstraints(pattern=PROGRAM_CODE_PATTERN),
    WithJsonSchema({"type": "string", "pattern": PROGRAM_CODE_PATTERN, "examples": ["WH-AI-M2"]}),
]

RECORD_ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._:/-]{0,127}$"
RecordId = Annotated[
    str,
    StringConstraints(pattern=RECORD_ID_PATTERN),
    WithJsonSchema(
        {"type": "string", "pattern": RECORD_ID_PATTERN, "examples": ["job-2026-06-0001"]}
    ),
]

# A record as it is read back: a provider's own id, or a top-up layer's, which the service
# makes from the usage record's id, ``+`` and the top-up program's code (``~`` and a digest
# shorten a long one): ``job-2026-06-0001+WH-JA-TOPUP``. ``+`` is a plain character in a path.
RECORD_REF_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._:/~+-]{0,127}$"
RecordRef = Annotated[
    str,
    StringConstraints(pattern=RECORD_REF_PATTERN),
    WithJsonSchema(
        {
            "type": "string",
            "pattern": RECORD_REF_PATTERN,
            "examples": ["job-2026-06-0001", "job-2026-06-0001+WH-JA-TOPUP"],
        }
    ),
]

# An API key's public prefix (auth.service's alphabet: no l, o, 0 or 1).
KEY_PREFIX_PATTERN = r"^[a-km-np-z2-9]{8}$"
KeyPrefix = Annotated[
    str,
    StringConstraints(pattern=KEY_PREFIX_PATTERN),
    WithJsonSchema({"type": "string", "pattern": KEY_PREFIX_PATTERN, "examples": ["k7d2m9qa"]}),
]


class CursorError(RefusedValue):
    """A page cursor the service did not issue (``pagination``)."""


class SearchError(ValueError):
    """A search text (``q``) too long or holding control characters."""


class SortError(ValueError):
    """A ``sort`` the list does not take."""


SEARCH_MAX = 100
SEARCH_PATTERN = rf"^[^\x00-\x1f\x7f-\x9f]{{0,{SEARCH_MAX}}}$"


def _search(value: Any) -> Any:
    if not isinstance(value, str) or re.fullmatch(SEARCH_PATTERN, value) is None:
        raise SearchError(f"q is at most {SEARCH_MAX} characters, with no control characters")
    return value.strip()


# What people type into a list's search box: part of a name, a credit code, a code.
Search = Annotated[
    str,
    BeforeValidator(_search),
    WithJsonSchema(
        {
            "type": "string",
            "pattern": SEARCH_PATTERN,
            "maxLength": SEARCH_MAX,
            "description": "Part of a name or code, any case.",
        }
    ),
]


# Which code a client sees for a malformed path or query value, by the rule it broke.
PARAMETER_ERROR_CODES: dict[type[ValueError], ErrorCode] = {
    USCCError: ErrorCode.INVALID_USCC,
    VoucherCodeError: ErrorCode.INVALID_VOUCHER_CODE,
    MoneyError: ErrorCode.INVALID_AMOUNT,
    TimeError: ErrorCode.INVALID_TIME,
    CursorError: ErrorCode.INVALID_CURSOR,
    SearchError: ErrorCode.INVALID_SEARCH,
    SortError: ErrorCode.INVALID_SORT,
}


def _as_invalid_input(parse: Callable[[str], str], code: ErrorCode) -> Callable[[str], str]:
    def parse_param(value: str) -> str:
        try:
            return parse(value)
        except RefusedValue as exc:
            raise InvalidInput(exc.template, code=code, **exc.params) from exc

    return parse_param


# For path and query parameters: the same rules, reported with the service's error codes.
parse_uscc_param = _as_invalid_input(validate_uscc, ErrorCode.INVALID_USCC)
parse_voucher_code_param = _as_invalid_input(parse_voucher_code, ErrorCode.INVALID_VOUCHER_CODE)


def error_code_of(errors: Sequence[Any], default: ErrorCode) -> ErrorCode:
    """The code for a set of validation errors (pydantic's ``errors()``): that of the rule
    they all broke (a malformed credit code is ``invalid_uscc``, an out-of-range instant
    ``invalid_time``), else ``default``."""
    codes = {
        ErrorCode.INVALID_TIME
        if err.get("type") == INSTANT_ERROR
        else PARAMETER_ERROR_CODES.get(type((err.get("ctx") or {}).get("error")))
        for err in errors
    }
    found = codes.pop() if len(codes) == 1 else None
    return found or default
