"""Stacking a district top-up on the city's program: worked numbers, then properties over
random stacks (random rates, caps, balances, windows, ceilings and fees)."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from voucher_service.domain.pricing import Shortfall
from voucher_service.domain.rules import CapScope, Rules, Window, full_subsidy_fen
from voucher_service.domain.stacking import (
    Layer,
    PricedLayer,
    StackError,
    StackPricing,
    kept_fen,
    price_stack,
    reversals_fen,
    stack_ceiling_bp,
)
from voucher_service.domain.usage import reversal_fen

DAY = date(2026, 6, 15)
WINDOW = Window.starting(date(2026, 1, 1), 36)


def rules(rate_bp: int, cap_fen: int) -> Rules:
    return Rules(1, date(2025, 3, 19), rate_bp, cap_fen, CapScope.LIFETIME, 36, 0)


def layer(
    code: str,
    rate_bp: int,
    *,
    cap_fen: int = 200_000_00,
    used: int = 0,
    balance: int = 50_000_00,
    ceiling_bp: int | None = None,
    valid_to: date = date(2026, 12, 31),
) -> Layer:
    return Layer(
        program_code=code,
        rules=rules(rate_bp, cap_fen),
        window=WINDOW,
        voucher_valid_from=date(2026, 1, 1),
        voucher_valid_to=valid_to,
        cap_used_fen=used,
        voucher_balance_fen=balance,
        ceiling_bp=ceiling_bp,
    )


CITY = layer("WH-AI-M2", 5000)
HONGSHAN = layer("HS-TOPUP", 3000, ceiling_bp=7000)


def subsidies(pricing: StackPricing) -> list[int]:
    return [layer.subsidy_fen for layer in pricing.layers]


# -- worked numbers ------------------------------------------------------------------------


def test_a_top_up_adds_its_rate_up_to_the_ceiling() -> None:
    # 1,000.01 yuan: the city pays 500.00 (50%, rounded down), the ceiling 70% is 700.00, so
    # the district pays 200.00 of its 300.00 and the enterprise 300.01.
    pricing = price_stack(fee_fen=1000_01, service_date=DAY, layers=[CITY, HONGSHAN])
    assert subsidies(pricing) == [500_00, 200_00]
    assert (pricing.ceiling_fen, pricing.subsidy_fen, pricing.enterprise_share_fen) == (
        700_00,
        700_00,
        300_01,
    )
    assert [layer.shortfall for layer in pricing.layers] == [None, Shortfall.STACK_CEILING]
    assert pricing.layers[1].alone.subsidy_fen == 300_00


def test_when_the_city_cap_runs_out_the_district_still_pays_only_its_own_rate() -> None:
    city = replace(CITY, cap_used_fen=200_000_00 - 100_00)  # 100.00 yuan of city cap left
    pricing = price_stack(fee_fen=1000_00, service_date=DAY, layers=[city, HONGSHAN])
    assert subsidies(pricing) == [100_00, 300_00]
    assert [layer.shortfall for layer in pricing.layers] == [Shortfall.CAP_REACHED, None]


def test_a_layer_outside_its_window_pays_nothing_and_leaves_the_room() -> None:
    late = replace(CITY, voucher_valid_to=date(2026, 6, 14))
    pricing = price_stack(fee_fen=1000_00, service_date=DAY, layers=[late, HONGSHAN])
    assert subsidies(pricing) == [0, 300_00]
    assert pricing.layers[0].shortfall is Shortfall.VOUCHER_NOT_VALID


def test_refunds_reverse_each_layer_exactly() -> None:
    pricing = price_stack(fee_fen=1000_00, service_date=DAY, layers=[CITY, HONGSHAN])
    priced = pricing.priced()
    assert subsidies(pricing) == [500_00, 200_00]
    # Half the fee refunded: 500.00 stands; the city keeps 250.00, the ceiling (350.00) leaves
    # the district 100.00.
    assert reversals_fen(priced, ceiling_bp=7000, fee_left_fen=1000_00, refund_fen=500_00) == (
        250_00,
        100_00,
    )
    # The rest: everything goes back.
    assert reversals_fen(priced, ceiling_bp=7000, fee_left_fen=500_00, refund_fen=500_00) == (
        250_00,
        100_00,
    )


def test_the_lowest_declared_ceiling_holds() -> None:
    other = layer("SECTOR", 1000, ceiling_bp=6000)
    assert stack_ceiling_bp([CITY, HONGSHAN, other]) == 6000
    assert stack_ceiling_bp([CITY]) == 10_000
    pricing = price_stack(fee_fen=1000_00, service_date=DAY, layers=[CITY, HONGSHAN, other])
    assert subsidies(pricing) == [500_00, 100_00, 0]


def test_nonsense_stacks_are_refused() -> None:
    with pytest.raises(StackError):
        price_stack(fee_fen=100, service_date=DAY, layers=[])
    with pytest.raises(StackError):
        price_stack(fee_fen=100, service_date=DAY, layers=[CITY, CITY])
    with pytest.raises(StackError):
        layer("X", 1000, ceiling_bp=10_001)
    with pytest.raises(StackError):
        reversals_fen([PricedLayer(5000, 50)], ceiling_bp=7000, fee_left_fen=100, refund_fen=101)


# -- properties over random stacks ---------------------------------------------------------

fees = st.integers(min_value=0, max_value=10**9)


@st.composite
def layers_(draw: st.DrawFn, count: int | None = None) -> list[Layer]:
    n = count or draw(st.integers(min_value=1, max_value=4))
    made = []
    for i in range(n):
        cap = draw(st.integers(min_value=1, max_value=10**8))
        made.append(
            Layer(
                program_code=f"P{i}",
                rules=rules(draw(st.integers(min_value=1, max_value=10_000)), cap),
                window=WINDOW,
                voucher_valid_from=date(2026, 1, 1),
                voucher_valid_to=draw(st.sampled_from([date(2026, 12, 31), date(2026, 6, 1)])),
                cap_used_fen=draw(st.integers(min_value=0, max_value=cap + 100)),
                voucher_balance_fen=draw(st.integers(min_value=0, max_value=10**8)),
                ceiling_bp=None
                if i == 0
                else draw(st.none() | st.integers(min_value=1, max_value=10_000)),
            )
        )
    return made


def own_limit(layer: Layer, fee: int) -> int:
    """What a layer may pay by its own limits alone (the tightest of rate, cap, balance)."""
    if not layer.voucher_valid_from <= DAY <= layer.voucher_valid_to:
        return 0
    return min(
        full_subsidy_fen(fee, layer.rules.rate_bp),
        max(0, layer.rules.cap_fen - layer.cap_used_fen),
        layer.voucher_balance_fen,
    )


@given(fees, layers_())
def test_never_above_the_fee_the_ceiling_or_a_layer_s_own_limits(
    fee: int, layers: list[Layer]
) -> None:
    pricing = price_stack(fee_fen=fee, service_date=DAY, layers=layers)
    ceiling = full_subsidy_fen(fee, stack_ceiling_bp(layers))
    assert 0 <= pricing.subsidy_fen <= ceiling <= fee
    assert pricing.subsidy_fen + pricing.enterprise_share_fen == fee
    for priced, layer in zip(pricing.layers, layers, strict=True):
        assert 0 <= priced.subsidy_fen <= own_limit(layer, fee)
        assert priced.subsidy_fen * 10_000 <= fee * layer.rules.rate_bp


@given(fees, layers_())
def test_maximal_no_layer_could_pay_more_without_breaking_a_limit(
    fee: int, layers: list[Layer]
) -> None:
    pricing = price_stack(fee_fen=fee, service_date=DAY, layers=layers)
    for priced, layer in zip(pricing.layers, layers, strict=True):
        at_own_limit = priced.subsidy_fen == own_limit(layer, fee)
        assert at_own_limit or pricing.subsidy_fen == pricing.ceiling_fen
        assert (priced.shortfall is Shortfall.STACK_CEILING) == (not at_own_limit)


@given(fees, layers_(), layers_(count=1))
def test_a_top_up_never_reduces_the_layers_before_it(
    fee: int, layers: list[Layer], extra: list[Layer]
) -> None:
    top_up = replace(extra[0], program_code="LAST", ceiling_bp=None)
    before = price_stack(fee_fen=fee, service_date=DAY, layers=layers)
    after = price_stack(fee_fen=fee, service_date=DAY, layers=[*layers, top_up])
    assert subsidies(after)[:-1] == subsidies(before)


@given(fees, layers_(count=1))
def test_a_stack_of_one_is_the_program_alone(fee: int, layers: list[Layer]) -> None:
    [only] = price_stack(fee_fen=fee, service_date=DAY, layers=layers).layers
    assert only.subsidy_fen == layers[0].alone(fee, DAY).subsidy_fen


@given(fees, fees, layers_())
def test_monotone_in_the_fee(a: int, b: int, layers: list[Layer]) -> None:
    """More fee never pays less: in total, to the base program, or to any first k layers.
    (One later layer alone may get a fen less when an earlier one's rounding steps up.)"""
    low, high = sorted((a, b))
    small = subsidies(price_stack(fee_fen=low, service_date=DAY, layers=layers))
    large = subsidies(price_stack(fee_fen=high, service_date=DAY, layers=layers))
    for k in range(1, len(layers) + 1):
        assert sum(small[:k]) <= sum(large[:k])


@st.composite
def priced_records(draw: st.DrawFn) -> tuple[StackPricing, int]:
    fee = draw(st.integers(min_value=0, max_value=10**7))
    pricing = price_stack(fee_fen=fee, service_date=DAY, layers=draw(layers_()))
    return pricing, fee


@given(priced_records(), st.data())
def test_a_refund_keeps_each_layer_within_its_rate_and_the_ceiling(
    record: tuple[StackPricing, int], data: st.DataObject
) -> None:
    pricing, fee = record
    refund = data.draw(st.integers(min_value=0, max_value=fee))
    priced = pricing.priced()
    back = reversals_fen(priced, ceiling_bp=pricing.ceiling_bp, fee_left_fen=fee, refund_fen=refund)
    kept = [p.subsidy_fen - r for p, r in zip(priced, back, strict=True)]
    left = fee - refund
    assert all(r >= 0 for r in back)
    assert all(k * 10_000 <= left * p.rate_bp for k, p in zip(kept, priced, strict=True))
    assert sum(kept) <= full_subsidy_fen(left, pricing.ceiling_bp) <= left
    assert list(kept_fen(priced, ceiling_bp=pricing.ceiling_bp, fee_fen=left)) == kept


@given(priced_records(), st.data())
def test_two_refunds_give_back_what_one_of_their_sum_does(
    record: tuple[StackPricing, int], data: st.DataObject
) -> None:
    pricing, fee = record
    first = data.draw(st.integers(min_value=0, max_value=fee))
    second = data.draw(st.integers(min_value=0, max_value=fee - first))
    priced, ceiling = pricing.priced(), pricing.ceiling_bp
    one = reversals_fen(priced, ceiling_bp=ceiling, fee_left_fen=fee, refund_fen=first + second)
    a = reversals_fen(priced, ceiling_bp=ceiling, fee_left_fen=fee, refund_fen=first)
    b = reversals_fen(priced, ceiling_bp=ceiling, fee_left_fen=fee - first, refund_fen=second)
    assert [x + y for x, y in zip(a, b, strict=True)] == list(one)
    assert all(x >= 0 for x in a + b)


@given(priced_records())
def test_a_full_refund_returns_every_layer_and_none_returns_nothing(
    record: tuple[StackPricing, int],
) -> None:
    pricing, fee = record
    priced, ceiling = pricing.priced(), pricing.ceiling_bp
    full = reversals_fen(priced, ceiling_bp=ceiling, fee_left_fen=fee, refund_fen=fee)
    assert list(full) == subsidies(pricing)
    assert set(reversals_fen(priced, ceiling_bp=ceiling, fee_left_fen=fee, refund_fen=0)) <= {0}


@given(
    st.integers(min_value=0, max_value=10**7),
    st.integers(min_value=1, max_value=10_000),
    st.integers(min_value=0, max_value=10**7),
    st.data(),
)
def test_one_layer_refunds_as_measure_2_does(
    fee: int, rate: int, cap_left: int, data: st.DataObject
) -> None:
    """With one layer and no ceiling the stack refunds exactly as ``reversal_fen``, step by
    step, from the subsidy still standing."""
    paid = min(full_subsidy_fen(fee, rate), cap_left)
    priced = [PricedLayer(rate, paid)]
    fee_left, subsidy_left = fee, paid
    for _ in range(3):
        refund = data.draw(st.integers(min_value=0, max_value=fee_left))
        (back,) = reversals_fen(priced, ceiling_bp=10_000, fee_left_fen=fee_left, refund_fen=refund)
        assert back == reversal_fen(
            fee_left_fen=fee_left, subsidy_left_fen=subsidy_left, refund_fen=refund, rate_bp=rate
        )
        fee_left, subsidy_left = fee_left - refund, subsidy_left - back
