"""The small pieces under the people's pages: blank filters dropped, percentages and shares
shown exactly, amounts read as people type them."""

from __future__ import annotations

import asyncio
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from voucher_service.console.people.figures import percent, share_bp
from voucher_service.console.people.forms import plain_yuan
from voucher_service.console.queries import BlankFiltersDropped
from voucher_service.money import yuan_to_fen


def _seen_query(query: bytes) -> bytes:
    seen: dict[str, Any] = {}

    async def app(scope: Any, receive: Any, send: Any) -> None:
        seen.update(scope)

    scope = {"type": "http", "query_string": query, "path": "/console/x"}
    asyncio.run(BlankFiltersDropped(app)(scope, None, None))  # type: ignore[arg-type]
    return seen["query_string"]  # type: ignore[no-any-return]


@pytest.mark.parametrize(
    ("sent", "kept"),
    [
        (b"outcome=&from=&to=&voucher=", b""),
        (b"outcome=refused&from=", b"outcome=refused"),
        (b"provider=%E5%85%89&cursor=", b"provider=%E5%85%89"),  # kept byte for byte
        (b"q=a%3Db&flag", b"q=a%3Db"),  # a value with '=' in it is a value
        (b"lang=en", b"lang=en"),
        (b"", b""),
    ],
)
def test_blank_query_parameters_are_dropped(sent: bytes, kept: bytes) -> None:
    assert _seen_query(sent) == kept


@given(st.integers(min_value=0, max_value=10_000))
def test_a_percentage_is_the_basis_points_exactly(bp: int) -> None:
    shown = percent(bp)
    assert shown.endswith("%") and Decimal(shown[:-1]) * 100 == bp
    assert not shown[:-1].endswith(".") and (bp % 100 == 0) == ("." not in shown)


@given(
    st.integers(min_value=-(10**12), max_value=10**12), st.integers(min_value=-10, max_value=10**12)
)
def test_a_share_is_between_nothing_and_all(part: int, whole: int) -> None:
    share = share_bp(part, whole)
    assert 0 <= share <= 10_000
    if whole > 0 and 0 <= part <= whole:
        assert share == part * 10_000 // whole


@given(st.integers(min_value=0, max_value=10**11))
def test_an_amount_shown_by_the_console_reads_back_to_the_same_fen(fen: int) -> None:
    whole, cents = divmod(fen, 100)
    for typed in (f"¥{whole:,}.{cents:02d}", f"{whole:,}.{cents:02d}", f" {whole}.{cents:02d} "):
        assert yuan_to_fen(plain_yuan(typed)) == fen


def test_what_people_type_that_is_no_amount_stays_no_amount() -> None:
    for typed in ("80000.123", "8e4", "八万", "-5", "80 000"):
        with pytest.raises(ValueError):
            yuan_to_fen(plain_yuan(typed), allow_negative=False)
