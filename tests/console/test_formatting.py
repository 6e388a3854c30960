"""Money as ¥1,234.50 from integer fen, and dates and times in Asia/Shanghai."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from voucher_service.console.formatting import fen_from_display, local_date, local_datetime, yuan
from voucher_service.money import MAX_FEN, MoneyError


@pytest.mark.parametrize(
    ("fen", "shown"),
    [
        (0, "¥0.00"),
        (5, "¥0.05"),
        (123450, "¥1,234.50"),
        (20_000_000, "¥200,000.00"),
        (1_000_000_000, "¥10,000,000.00"),
        (-5, "-¥0.05"),
        (-123456789, "-¥1,234,567.89"),
    ],
)
def test_yuan(fen: int, shown: str) -> None:
    assert yuan(fen) == shown


def test_yuan_takes_integer_fen_only() -> None:
    for wrong in (12.5, True, "100"):
        with pytest.raises(TypeError):
            yuan(wrong)  # type: ignore[arg-type]


@given(st.integers(min_value=-MAX_FEN, max_value=MAX_FEN))
def test_yuan_round_trips_through_money_parsing(fen: int) -> None:
    shown = yuan(fen)
    assert shown.count("¥") == 1 and "." in shown and shown[-3] == "."
    assert fen_from_display(shown) == fen


def test_display_parsing_keeps_money_s_checks() -> None:
    assert fen_from_display("1234.5") == 123450
    for wrong in ("¥1.234", "¥1e3", "¥ 12", "12.345"):
        with pytest.raises(MoneyError):
            fen_from_display(wrong)


def test_times_are_shown_in_wuhan() -> None:
    evening_utc = datetime(2026, 6, 14, 20, 30, tzinfo=UTC)
    assert local_datetime(evening_utc) == "2026-06-15 04:30"
    assert local_date(evening_utc) == "2026-06-15"  # already the 15th in Wuhan
    assert local_date(date(2026, 6, 14)) == "2026-06-14"  # a date is a date
    assert local_datetime(evening_utc, ZoneInfo("Europe/Berlin")) == "2026-06-14 22:30"
    with pytest.raises(ValueError):
        local_datetime(datetime(2026, 6, 14, 20, 30))
