"""Next year's recommended pool: the stated method in numbers, and its properties."""

from __future__ import annotations

from fractions import Fraction

from hypothesis import given
from hypothesis import strategies as st

from voucher_service.domain.forecast import UsageTrend, growth_of, recommend_pool

MINIMUM = 10_000_000_00  # measure 2: 不低于1000万元


def test_a_steady_year_is_annualised() -> None:
    # 5,000,000.00 yuan in the first 181 days of 2026, flat over five complete months.
    trend = UsageTrend(5_000_000_00, 181, 365, [(m, 1_000_000_00) for m in range(1, 6)])
    advice = recommend_pool(trend, pool_minimum_fen=0, next_year_share=Fraction(1))
    assert advice.growth == 1
    assert advice.annualised_fen == Fraction(5_000_000_00 * 365, 181)  # 10,082,872.92...
    assert advice.recommended_fen == 10_090_000_00  # rounded up to 10,000 yuan


def test_a_growing_year_is_projected_to_the_middle_of_next_year() -> None:
    # 100, 200, 300 (x 10,000 yuan) in Jan-Mar: slope 100 a month; the line at month 18.5
    # is 200 + 100 x 16.5 = 1,850, 9.25 times the average month: held at 2.
    assert growth_of([(1, 100), (2, 200), (3, 300)]) == 2
    # A gentle rise: 100, 101, 102: at 18.5, 101 + 16.5 = 117.5 -> 117.5 / 101.
    assert growth_of([(1, 100), (2, 101), (3, 102)]) == Fraction(235, 202)
    # Falling usage shrinks the estimate, at most by half.
    assert growth_of([(1, 300), (2, 200), (3, 100)]) == Fraction(1, 2)
    assert growth_of([(1, 300), (2, 200)]) == 1  # two months: no trend yet


def test_never_below_the_minimum_and_a_program_ending_early_needs_less() -> None:
    trend = UsageTrend(1_000_00, 100, 365, [])
    assert (
        recommend_pool(trend, pool_minimum_fen=MINIMUM, next_year_share=Fraction(1)).recommended_fen
        == MINIMUM
    )
    big = UsageTrend(20_000_000_00, 365, 365, [])
    quarter = recommend_pool(big, pool_minimum_fen=0, next_year_share=Fraction(77, 365))
    assert quarter.recommended_fen == 4_220_000_00  # 20M x 77/365 = 4,219,178.08 -> 4.22M


months = st.lists(st.integers(min_value=0, max_value=10**9), min_size=0, max_size=12).map(
    lambda values: [(i + 1, v) for i, v in enumerate(values)]
)


@given(
    st.integers(min_value=0, max_value=10**11),
    st.integers(min_value=1, max_value=366),
    months,
    st.integers(min_value=0, max_value=10**10),
    st.fractions(min_value=0, max_value=1),
)
def test_properties(subsidy: int, days: int, monthly: list, minimum: int, share: Fraction) -> None:  # type: ignore[type-arg]
    advice = recommend_pool(
        UsageTrend(subsidy, days, 365, monthly), pool_minimum_fen=minimum, next_year_share=share
    )
    assert advice.recommended_fen >= minimum
    assert advice.recommended_fen >= advice.estimate_fen
    assert advice.recommended_fen == minimum or advice.recommended_fen % 1_000_000 == 0
    assert (
        advice.recommended_fen - advice.estimate_fen < 1_000_000
        or advice.recommended_fen == minimum
    )
    assert Fraction(1, 2) <= advice.growth <= 2
    more = recommend_pool(
        UsageTrend(subsidy + 1_000_00, days, 365, monthly),
        pool_minimum_fen=minimum,
        next_year_share=share,
    )
    assert more.recommended_fen >= advice.recommended_fen  # more usage never asks for less


@given(months, st.integers(min_value=1, max_value=1000))
def test_growth_does_not_depend_on_the_scale(monthly: list, factor: int) -> None:  # type: ignore[type-arg]
    assert growth_of(monthly) == growth_of([(m, v * factor) for m, v in monthly])
