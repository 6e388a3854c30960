"""How long a voucher lives, as a program rule (domain.rules.voucher_last_day)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from voucher_service.domain.rules import (
    MAX_VALIDITY_MONTHS,
    RulesError,
    VoucherValidity,
    Window,
    add_months,
    voucher_last_day,
)

WINDOW = Window.starting(date(2026, 12, 7), 36)  # first voucher on 2026-12-07
FAR = date(2035, 12, 31)


@pytest.mark.parametrize(
    ("validity", "months", "program_end", "last_day"),
    [
        # Today's rule: a December voucher of the 2026 pool lives 25 days.
        (VoucherValidity.POOL_YEAR, None, FAR, date(2026, 12, 31)),
        # Months from its first day: the same voucher lives its six months...
        (VoucherValidity.MONTHS, 6, FAR, date(2027, 6, 6)),
        # ...unless the program ends first (Wuhan's measures end on 2027-03-18).
        (VoucherValidity.MONTHS, 6, date(2027, 3, 18), date(2027, 3, 18)),
        # To the window's end: 36 months from the first voucher, the day before.
        (VoucherValidity.WINDOW, None, FAR, date(2029, 12, 6)),
        (VoucherValidity.WINDOW, None, date(2027, 3, 18), date(2027, 3, 18)),
    ],
)
def test_each_rule_on_a_december_voucher(
    validity: VoucherValidity, months: int | None, program_end: date, last_day: date
) -> None:
    assert (
        voucher_last_day(
            validity,
            months,
            year=2026,
            start=date(2026, 12, 7),
            program_end=program_end,
            window=WINDOW,
        )
        == last_day
    )


@pytest.mark.parametrize("months", [None, 0, MAX_VALIDITY_MONTHS + 1])
def test_months_needs_a_sensible_number(months: int | None) -> None:
    with pytest.raises(RulesError):
        voucher_last_day(
            VoucherValidity.MONTHS,
            months,
            year=2026,
            start=date(2026, 12, 7),
            program_end=FAR,
            window=WINDOW,
        )


@given(
    validity=st.sampled_from(VoucherValidity),
    months=st.integers(1, MAX_VALIDITY_MONTHS),
    window_start=st.dates(date(2025, 1, 1), date(2028, 12, 31)),
    window_months=st.integers(1, 60),
    offset=st.integers(0, 400),
    program_end=st.dates(date(2025, 1, 1), date(2032, 12, 31)),
)
def test_never_past_the_program_the_window_or_its_own_rule(
    validity: VoucherValidity,
    months: int,
    window_start: date,
    window_months: int,
    offset: int,
    program_end: date,
) -> None:
    window = Window.starting(window_start, window_months)
    start = window_start + timedelta(days=offset)
    last = voucher_last_day(
        validity,
        months if validity is VoucherValidity.MONTHS else None,
        year=start.year,
        start=start,
        program_end=program_end,
        window=window,
    )
    assert last <= program_end and last <= window.last_day
    own_end = {
        VoucherValidity.POOL_YEAR: date(start.year, 12, 31),
        VoucherValidity.MONTHS: add_months(start, months) - timedelta(days=1),
        VoucherValidity.WINDOW: window.last_day,
    }[validity]
    # As late as the rule allows, and no later: the earliest of the three ends.
    assert last == min(own_end, program_end, window.last_day)
    if validity is VoucherValidity.MONTHS and own_end <= min(program_end, window.last_day):
        # A whole number of months: the day before the same day ``months`` later.
        assert last + timedelta(days=1) == add_months(start, months)
