from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from voucher_service.domain.rules import (
    CapScope,
    Rules,
    RulesError,
    Window,
    add_months,
    cap_period,
    full_subsidy_fen,
    issuable_fen,
    rules_on,
)


def rules(version: int = 1, effective_from: date = date(2025, 3, 19), **kw: object) -> Rules:
    numbers = dict(
        rate_bp=5000,
        cap_fen=20_000_000,
        cap_scope=CapScope.LIFETIME,
        window_months=36,
        pool_minimum_fen=1_000_000_000,
    )
    numbers.update(kw)
    return Rules(version=version, effective_from=effective_from, **numbers)  # type: ignore[arg-type]


def test_add_months_clamps_to_month_end() -> None:
    assert add_months(date(2025, 1, 31), 1) == date(2025, 2, 28)
    assert add_months(date(2024, 1, 31), 1) == date(2024, 2, 29)
    assert add_months(date(2025, 3, 19), 36) == date(2028, 3, 19)
    assert add_months(date(2025, 11, 30), 3) == date(2026, 2, 28)


def test_measure_2_window_is_three_years_end_exclusive() -> None:
    window = Window.starting(date(2025, 3, 19), 36)
    assert window.contains(date(2025, 3, 19))
    assert window.contains(date(2028, 3, 18))
    assert not window.contains(date(2028, 3, 19))
    assert not window.contains(date(2025, 3, 18))
    assert window.last_day == date(2028, 3, 18)


def test_cap_period() -> None:
    window = Window.starting(date(2025, 3, 19), 36)
    assert cap_period(window, date(2027, 1, 1), CapScope.LIFETIME) == 0
    assert cap_period(window, date(2025, 3, 19), CapScope.PER_YEAR) == 1
    assert cap_period(window, date(2026, 3, 18), CapScope.PER_YEAR) == 1
    assert cap_period(window, date(2026, 3, 19), CapScope.PER_YEAR) == 2
    assert cap_period(window, date(2028, 3, 18), CapScope.PER_YEAR) == 3


def test_rules_on_picks_the_version_in_force() -> None:
    v1, v2 = rules(1, date(2025, 3, 19)), rules(2, date(2026, 1, 1), rate_bp=4000)
    assert rules_on([v1, v2], date(2025, 12, 31)) is v1
    assert rules_on([v2, v1], date(2026, 1, 1)) is v2
    assert rules_on([v1, v2], date(2025, 1, 1)) is None


@pytest.mark.parametrize(
    "bad",
    [
        dict(rate_bp=0),
        dict(rate_bp=10_001),
        dict(cap_fen=0),
        dict(window_months=0),
        dict(pool_minimum_fen=-1),
    ],
)
def test_nonsense_rules_are_refused(bad: dict[str, int]) -> None:
    with pytest.raises(RulesError):
        rules(**bad)


def test_full_subsidy_rounds_down_to_the_fen() -> None:
    assert full_subsidy_fen(101, 5000) == 50  # 1.01 yuan -> 0.505 -> 0.50
    assert full_subsidy_fen(1, 5000) == 0
    assert full_subsidy_fen(333, 3333) == 110  # 110.9889 fen -> 110


@given(st.integers(0, 10**14), st.integers(1, 10_000))
def test_full_subsidy_never_exceeds_exact_share(fee: int, rate: int) -> None:
    subsidy = full_subsidy_fen(fee, rate)
    assert subsidy * 10_000 <= fee * rate < (subsidy + 1) * 10_000


def test_issuable() -> None:
    assert issuable_fen(20_000_000, 5_000_000, 10_000_000) == 5_000_000
    assert issuable_fen(20_000_000, 15_000_000, 10_000_000) == 0
