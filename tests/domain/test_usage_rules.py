from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from voucher_service.domain.usage import Refusal, check_report, fee_matches, service_date

SHANGHAI = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 6, 15, 4, 0, tzinfo=UTC)  # 12:00 in Shanghai


def check(**kw: object) -> Refusal | None:
    args = dict(
        quantity=Decimal("10"),
        unit_price_fen=1_250,
        fee_fen=12_500,
        start=NOW - timedelta(hours=10),
        end=NOW - timedelta(hours=1),
        now=NOW,
        voucher_valid_to=date(2026, 12, 31),
        grace_days=30,
        tz=SHANGHAI,
    )
    args.update(kw)
    return check_report(**args)  # type: ignore[arg-type]


def test_a_good_report_passes() -> None:
    assert check() is None


def test_each_rule_has_its_code() -> None:
    assert check(end=NOW - timedelta(hours=10)) is Refusal.INVALID_PERIOD
    assert check(end=NOW + timedelta(seconds=1)) is Refusal.SERVICE_IN_FUTURE
    assert check(fee_fen=12_501) is Refusal.FEE_MISMATCH
    # Last day of grace: valid_to 2026-05-15 + 30 days = 2026-06-14, reported on the 15th.
    assert check(voucher_valid_to=date(2026, 5, 16)) is None
    assert check(voucher_valid_to=date(2026, 5, 15)) is Refusal.REPORTED_TOO_LATE


@pytest.mark.parametrize(
    ("quantity", "price", "fee", "ok"),
    [
        ("1.5", 333, 499, True),
        ("1.5", 333, 500, True),
        ("1.5", 333, 498, False),
        ("0.000001", 100, 0, True),
        ("0.000001", 100, 1, True),
        ("3", 100, 300, True),
        ("3", 100, 301, False),
    ],
)
def test_fee_rounding_either_way_is_accepted(quantity: str, price: int, fee: int, ok: bool) -> None:
    assert fee_matches(Decimal(quantity), price, fee) is ok


@given(st.decimals(min_value=0, max_value=10**6, places=6), st.integers(0, 10**7))
def test_floor_and_ceiling_are_the_only_fees_accepted(quantity: Decimal, price: int) -> None:
    exact = quantity * price
    accepted = [f for f in range(int(exact) - 2, int(exact) + 3) if fee_matches(quantity, price, f)]
    assert accepted and all(abs(f - exact) < 1 for f in accepted)


def test_service_date_is_counted_in_the_program_timezone() -> None:
    late_evening_utc = datetime(2026, 6, 14, 17, 30, tzinfo=UTC)  # 01:30 on the 15th in Wuhan
    assert service_date(late_evening_utc, SHANGHAI) == date(2026, 6, 15)
