"""The pure rules of metering moved out of the service: which check refuses a report first,
what a pricing's outcome is, and what a refund gives back."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from hypothesis import given
from hypothesis import strategies as st

from voucher_service.domain.pricing import Pricing, Shortfall
from voucher_service.domain.rules import full_subsidy_fen
from voucher_service.domain.usage import (
    Outcome,
    Refusal,
    UsageReport,
    VoucherFacts,
    outcome_of,
    refusal_of,
    reversal_fen,
)

TZ = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 6, 15, 4, 0, tzinfo=UTC)
HOLDER = "91420106MA00000019"


def report(fee_fen: int = 1_000, uscc: str = HOLDER) -> UsageReport:
    return UsageReport(
        record_id="r-1",
        voucher_code="ABCD-EFGH-JKLM-NPQR",
        uscc=uscc,
        resource_kind="cpu",
        resource_model="Kunpeng 920",
        quantity=Decimal(1),
        unit="core_hour",
        unit_price_fen=1_000,
        fee_fen=fee_fen,
        service_start=NOW - timedelta(hours=2),
        service_end=NOW - timedelta(hours=1),
    )


@given(
    known=st.booleans(),
    exists=st.booleans(),
    holder=st.booleans(),
    redeemed=st.booleans(),
    active=st.booleans(),
    fee_ok=st.booleans(),
)
def test_the_first_broken_rule_names_the_refusal(
    known: bool, exists: bool, holder: bool, redeemed: bool, active: bool, fee_ok: bool
) -> None:
    facts = VoucherFacts(
        holder_uscc=HOLDER if holder else "91420106MA00000027",
        active=active,
        redeemed_here=redeemed,
        valid_to=date(2026, 12, 31),
    )
    refusal = refusal_of(
        report(fee_fen=1_000 if fee_ok else 1_001),
        facts if exists else None,
        reference_known=known,
        now=NOW,
        tz=TZ,
        grace_days=30,
    )
    expected = (
        Refusal.UNKNOWN_REDEMPTION
        if not known
        else Refusal.UNKNOWN_VOUCHER
        if not exists or not redeemed
        else Refusal.USCC_MISMATCH
        if not holder
        else Refusal.VOUCHER_NOT_ACTIVE
        if not active
        else Refusal.FEE_MISMATCH
        if not fee_ok
        else None
    )
    assert refusal is expected


@given(
    fee=st.integers(0, 10**9),
    subsidy=st.integers(0, 10**9),
    shortfall=st.none() | st.sampled_from(Shortfall),
)
def test_outcome_follows_the_pricing(fee: int, subsidy: int, shortfall: Shortfall | None) -> None:
    pricing = Pricing(fee, subsidy, subsidy, fee - subsidy, shortfall, 1)
    outcome = outcome_of(pricing)
    if shortfall is None:
        assert outcome is Outcome.SUBSIDISED
    else:
        assert outcome is (Outcome.PARTIAL if subsidy else Outcome.REFUSED)


@st.composite
def refund_cases(draw: st.DrawFn) -> tuple[int, int, int, int]:
    """A record's fee left, the subsidy standing on it (never above its full rate), a rate,
    and a refund within the fee."""
    rate = draw(st.integers(1, 10_000))
    fee_left = draw(st.integers(0, 10**10))
    subsidy_left = draw(st.integers(0, full_subsidy_fen(fee_left, rate)))
    refund = draw(st.integers(0, fee_left))
    return fee_left, subsidy_left, refund, rate


@given(refund_cases())
def test_a_refund_gives_back_exactly_what_the_reduced_fee_no_longer_earns(
    case: tuple[int, int, int, int],
) -> None:
    fee_left, subsidy_left, refund, rate = case
    back = reversal_fen(
        fee_left_fen=fee_left, subsidy_left_fen=subsidy_left, refund_fen=refund, rate_bp=rate
    )
    assert 0 <= back <= subsidy_left
    standing = subsidy_left - back
    assert standing <= full_subsidy_fen(fee_left - refund, rate)  # never above the rate
    assert standing == min(subsidy_left, full_subsidy_fen(fee_left - refund, rate))  # maximal
    if refund == fee_left:
        assert back == subsidy_left
    if refund == 0:
        assert back == 0


@given(refund_cases(), st.integers(0, 10**10))
def test_refunding_in_two_steps_gives_back_what_one_step_does(
    case: tuple[int, int, int, int], split: int
) -> None:
    fee_left, subsidy_left, refund, rate = case
    first = min(split, refund)
    once = reversal_fen(
        fee_left_fen=fee_left, subsidy_left_fen=subsidy_left, refund_fen=refund, rate_bp=rate
    )
    step_one = reversal_fen(
        fee_left_fen=fee_left, subsidy_left_fen=subsidy_left, refund_fen=first, rate_bp=rate
    )
    step_two = reversal_fen(
        fee_left_fen=fee_left - first,
        subsidy_left_fen=subsidy_left - step_one,
        refund_fen=refund - first,
        rate_bp=rate,
    )
    assert step_one + step_two == once


@given(refund_cases(), st.integers(0, 10**10))
def test_a_larger_refund_never_gives_back_less(case: tuple[int, int, int, int], more: int) -> None:
    fee_left, subsidy_left, refund, rate = case
    larger = min(fee_left, refund + more)
    smaller_back = reversal_fen(
        fee_left_fen=fee_left, subsidy_left_fen=subsidy_left, refund_fen=refund, rate_bp=rate
    )
    larger_back = reversal_fen(
        fee_left_fen=fee_left, subsidy_left_fen=subsidy_left, refund_fen=larger, rate_bp=rate
    )
    assert larger_back >= smaller_back


@given(
    st.text(min_size=1, max_size=20),
    st.decimals(min_value=Decimal("0.000001"), max_value=Decimal(10**6), places=6),
    st.integers(0, 10**9),
    st.dictionaries(
        st.text(max_size=5), st.text(max_size=5) | st.integers() | st.none(), max_size=3
    ),
    st.sampled_from([ZoneInfo("Asia/Shanghai"), UTC, ZoneInfo("America/New_York")]),
)
def test_a_body_hash_is_the_one_stored_records_were_given(
    record_id: str, quantity: Decimal, fee: int, attributes: dict[str, object], zone: ZoneInfo
) -> None:
    """Stored records keep the hash of their body: the canonical form never changes (it is
    written out here as the first release computed it)."""
    start = datetime(2026, 6, 1, 9, tzinfo=zone)
    report = UsageReport(
        record_id=record_id,
        voucher_code="ABCD-EFGH-JKLM-NPQR",
        uscc=HOLDER,
        resource_kind="cpu",
        resource_model="鲲鹏 920",
        quantity=quantity,
        unit="core_hour",
        unit_price_fen=fee,
        fee_fen=fee,
        service_start=start,
        service_end=start + timedelta(hours=1),
        attributes=attributes,
    )
    first_release = {
        **{k: v for k, v in report.__dict__.items() if k not in ("body_hash", "quantity_text")},
        "quantity": format(quantity.normalize(), "f"),
        "service_start": start.astimezone(ZoneInfo("UTC")).isoformat(),
        "service_end": (start + timedelta(hours=1)).astimezone(ZoneInfo("UTC")).isoformat(),
    }
    text = json.dumps(first_release, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    assert report.body_hash == hashlib.sha256(text.encode()).hexdigest()
