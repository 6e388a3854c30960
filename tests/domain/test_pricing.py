"""The pricing rule (measure 2: 50% of the fee, at most 200,000 CNY, at most three years)."""

from dataclasses import replace
from datetime import date, timedelta

from hypothesis import given
from hypothesis import strategies as st

from voucher_service.domain.pricing import Shortfall, price_fee
from voucher_service.domain.rules import CapScope, Rules, Window

MEASURE_2 = Rules(1, date(2025, 3, 19), 5000, 20_000_000, CapScope.LIFETIME, 36, 1_000_000_000)
WINDOW = Window.starting(date(2026, 1, 1), 36)


def price(
    fee: int,
    *,
    day: date = date(2026, 6, 1),
    used: int = 0,
    balance: int = 10_000_000,
    rules: Rules = MEASURE_2,
    valid_from: date = date(2026, 1, 1),
    valid_to: date = date(2026, 12, 31),
):  # type: ignore[no-untyped-def]
    return price_fee(
        fee_fen=fee,
        service_date=day,
        rules=rules,
        window=WINDOW,
        voucher_valid_from=valid_from,
        voucher_valid_to=valid_to,
        cap_used_fen=used,
        voucher_balance_fen=balance,
    )


def test_half_the_fee_rounded_down() -> None:
    p = price(12_345)
    assert (p.subsidy_fen, p.enterprise_share_fen, p.shortfall) == (6_172, 6_173, None)
    assert p.rule_version == 1


def test_cap_limits_the_subsidy() -> None:
    p = price(1_000_000, used=19_800_000)  # 10,000 yuan fee, 2,000 yuan of cap left
    assert (p.subsidy_fen, p.shortfall, p.partial) == (200_000, Shortfall.CAP_REACHED, True)
    assert price(1_000_000, used=20_000_000).subsidy_fen == 0


def test_balance_limits_the_subsidy() -> None:
    p = price(1_000_000, balance=123)
    assert (p.subsidy_fen, p.enterprise_share_fen, p.shortfall) == (
        123,
        999_877,
        Shortfall.VOUCHER_EXHAUSTED,
    )


def test_nothing_outside_the_window_or_validity() -> None:
    assert (
        price(1000, day=date(2025, 12, 31), valid_from=date(2025, 1, 1)).shortfall
        is Shortfall.OUTSIDE_WINDOW
    )
    assert price(1000, day=WINDOW.end, valid_to=WINDOW.end).shortfall is Shortfall.OUTSIDE_WINDOW
    late = price(1000, day=date(2027, 1, 1))
    assert (late.subsidy_fen, late.shortfall) == (0, Shortfall.VOUCHER_NOT_VALID)


def test_a_zero_fee_earns_nothing_and_has_no_shortfall() -> None:
    p = price(0)
    assert (p.subsidy_fen, p.enterprise_share_fen, p.shortfall) == (0, 0, None)


fees = st.integers(0, 10**11)
states = st.fixed_dictionaries(
    {
        "used": st.integers(0, 25_000_000),
        "balance": st.integers(0, 25_000_000),
        "day": st.dates(date(2025, 6, 1), date(2029, 6, 1)),
        "rate": st.integers(1, 10_000),
        "cap": st.integers(1, 30_000_000),
    }
)


def _price(fee: int, s: dict) -> object:  # type: ignore[type-arg]
    rules = replace(MEASURE_2, rate_bp=s["rate"], cap_fen=s["cap"])
    return price(
        fee,
        day=s["day"],
        used=s["used"],
        balance=s["balance"],
        rules=rules,
        valid_from=date(2026, 1, 1),
        valid_to=date(2028, 12, 31),
    )


@given(fees, states)
def test_pricing_invariants(fee: int, s: dict) -> None:  # type: ignore[type-arg]
    p = _price(fee, s)
    assert p.subsidy_fen * 10_000 <= fee * s["rate"]  # <= floor(fee x rate)
    assert p.subsidy_fen <= max(0, s["cap"] - s["used"])  # <= remaining cap
    assert p.subsidy_fen <= s["balance"]  # <= voucher balance
    assert p.subsidy_fen + p.enterprise_share_fen == fee  # shares add up
    assert p.subsidy_fen >= 0 and p.enterprise_share_fen >= 0
    assert (p.shortfall is None) == (p.subsidy_fen == p.full_subsidy_fen)  # a reason iff short
    if not (WINDOW.contains(s["day"]) and date(2026, 1, 1) <= s["day"] <= date(2028, 12, 31)):
        assert p.subsidy_fen == 0


@given(fees, fees, states)
def test_subsidy_is_monotone_in_the_fee(a: int, b: int, s: dict) -> None:  # type: ignore[type-arg]
    low, high = sorted((a, b))
    assert _price(low, s).subsidy_fen <= _price(high, s).subsidy_fen


@given(fees, states)
def test_subsidy_is_the_largest_allowed(fee: int, s: dict) -> None:  # type: ignore[type-arg]
    """Never short-changes the SME either: inside the window the subsidy is the tightest limit."""
    p = _price(fee, s)
    if p.shortfall not in (Shortfall.OUTSIDE_WINDOW, Shortfall.VOUCHER_NOT_VALID):
        assert p.subsidy_fen == min(
            fee * s["rate"] // 10_000, max(0, s["cap"] - s["used"]), s["balance"]
        )


def test_window_boundary_days() -> None:
    assert price(100, day=WINDOW.start).subsidy_fen == 50
    assert (
        price(100, day=WINDOW.start - timedelta(days=1), valid_from=date(2025, 1, 1)).subsidy_fen
        == 0
    )
