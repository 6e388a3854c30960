"""Filters and form values the bureau's pages share: districts by name, yes/no, amounts."""

from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum

from voucher_service.console.formatting import fen_from_display
from voucher_service.console.tables import Filter
from voucher_service.domain.divisions import CITY_LEVEL, WUHAN_DISTRICTS
from voucher_service.errors import ErrorCode, InvalidInput

DISTRICTS = (*WUHAN_DISTRICTS, CITY_LEVEL)
DISTRICT_FILTER = Filter(
    "district_code", "overview.district", [(code, f"district.{code}") for code in DISTRICTS]
)

# The search box of a list of companies' things: part of a name or a credit code.
SEARCH_COMPANIES = Filter("q", "search.label", input_type="search", hint="search.hint_companies")


def status_options(statuses: Iterable[StrEnum]) -> list[tuple[str, str]]:
    """A status filter's choices, each named as its badge is (``status.<value>``)."""
    return [(s.value, f"status.{s.value}") for s in statuses]


YES_NO = (("true", "filter.yes"), ("false", "filter.no"))


def amount_fen(text: str) -> int:
    """An amount typed into a form (``80000``, ``80,000.00``, ``¥80,000.00``) in fen; 422
    ``invalid_amount`` when it is none."""
    try:
        return fen_from_display(text)
    except ValueError as exc:
        raise InvalidInput(
            "not an amount in yuan: {text!r}", text=text, code=ErrorCode.INVALID_AMOUNT
        ) from exc
