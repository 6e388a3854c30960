"""The pricing of a claim (domain.claims.price_claim), as a property: whatever the invoices,
rate, cap, cap already used and pool, no invoice's subsidy exceeds floor(rate x approved),
the claim's subsidies together never exceed what is left of the cap nor the pool, and an
invoice priced in full gets exactly floor(rate x approved)."""

from __future__ import annotations

from datetime import date, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from voucher_service.domain.claims import ClaimedInvoice, price_claim
from voucher_service.domain.rules import BASIS_POINTS, CapScope, Rules, Window

START = date(2026, 1, 1)
WINDOW = Window.starting(START, 36)


def rules(rate_bp: int, cap_fen: int, scope: CapScope = CapScope.LIFETIME) -> Rules:
    return Rules(1, START, rate_bp, cap_fen, scope, 36, 0)


invoices = st.lists(
    st.builds(
        ClaimedInvoice,
        st.integers(0, 364).map(lambda d: START + timedelta(days=d)),
        st.integers(0, 10**10),
    ),
    min_size=1,
    max_size=8,
)


@settings(max_examples=300, deadline=None)
@given(
    invoices=invoices,
    rate_bp=st.integers(1, BASIS_POINTS),
    cap_fen=st.integers(1, 10**9),
    used=st.integers(0, 10**9),
    pool=st.integers(0, 10**10),
)
def test_a_claim_never_exceeds_rate_times_approved_nor_the_cap_nor_the_pool(
    invoices: list[ClaimedInvoice], rate_bp: int, cap_fen: int, used: int, pool: int
) -> None:
    priced = price_claim(
        invoices,
        [rules(rate_bp, cap_fen)],
        window=WINDOW,
        program_valid=(START, date(2027, 12, 31)),
        cap_used={0: used},
        pool_available_fen=pool,
    )
    total = 0
    for invoice, price in zip(invoices, priced, strict=True):
        full = invoice.approved_fen * rate_bp // BASIS_POINTS
        assert 0 <= price.subsidy_fen <= full
        if price.shortfall is None:
            assert price.subsidy_fen == full
        total += price.subsidy_fen
    assert total <= max(0, cap_fen - used)
    assert total <= pool
    assert total == min(
        sum(i.approved_fen * rate_bp // BASIS_POINTS for i in invoices),
        max(0, cap_fen - used),
        pool,
    )


@settings(max_examples=100, deadline=None)
@given(invoices=invoices, cap_fen=st.integers(1, 10**8))
def test_a_per_year_cap_counts_each_subsidy_year_apart(
    invoices: list[ClaimedInvoice], cap_fen: int
) -> None:
    priced = price_claim(
        invoices,
        [rules(5000, cap_fen, CapScope.PER_YEAR)],
        window=Window.starting(date(2025, 7, 1), 36),
        program_valid=(START, date(2027, 12, 31)),
        cap_used={},
        pool_available_fen=10**12,
    )
    by_period: dict[int, int] = {}
    for price in priced:
        assert price.cap_period in (1, 2)
        by_period[price.cap_period] = by_period.get(price.cap_period, 0) + price.subsidy_fen
    assert all(amount <= cap_fen for amount in by_period.values())


def test_outside_the_window_or_without_rules_nothing_is_paid() -> None:
    late = ClaimedInvoice(date(2029, 6, 1), 100_00)
    early = ClaimedInvoice(date(2025, 6, 1), 100_00)
    priced = price_claim(
        [late, early],
        [rules(5000, 10**6)],
        window=WINDOW,
        program_valid=(date(2025, 1, 1), date(2030, 12, 31)),
        cap_used={},
        pool_available_fen=10**6,
    )
    assert [(p.subsidy_fen, p.shortfall) for p in priced] == [
        (0, "outside_window"),
        (0, "no_rules_in_force"),
    ]
