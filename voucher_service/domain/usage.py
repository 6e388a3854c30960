"""Pure checks on a provider's usage report, before it is priced.

Each refusal has its own stable code. A refused record is stored with its code (so a retry
of the same record gets the same answer) and earns no subsidy.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal
from enum import StrEnum
from zoneinfo import ZoneInfo


class ResourceKind(StrEnum):
    ACCELERATOR = "accelerator"
    CPU = "cpu"
    STORAGE = "storage"
    NETWORK = "network"
    MODEL_API = "model_api"


class Unit(StrEnum):
    CARD_HOUR = "card_hour"
    CORE_HOUR = "core_hour"
    GB_MONTH = "gb_month"
    GB = "gb"
    MILLION_TOKENS = "million_tokens"


class Outcome(StrEnum):
    """What a usage record earned."""

    SUBSIDISED = "subsidised"  # the full rate
    PARTIAL = "partial"  # less than the full rate: a cap or the voucher's balance ran out
    REFUSED = "refused"  # nothing: a refusal or a shortfall before any subsidy
    ADJUSTED = "adjusted"  # a correction (refund) of an earlier record


class Refusal(StrEnum):
    """Why a usage record earns nothing before pricing even starts."""

    UNKNOWN_VOUCHER = "unknown_voucher"
    UNKNOWN_REDEMPTION = "unknown_redemption"
    USCC_MISMATCH = "uscc_mismatch"
    NOT_REDEEMED = "not_redeemed"
    VOUCHER_NOT_ACTIVE = "voucher_not_active"
    FEE_MISMATCH = "fee_mismatch"
    INVALID_PERIOD = "invalid_period"
    SERVICE_IN_FUTURE = "service_in_future"
    REPORTED_TOO_LATE = "reported_too_late"


REFUSAL_MESSAGES = {
    Refusal.UNKNOWN_VOUCHER: "no such voucher",
    Refusal.UNKNOWN_REDEMPTION: "no such redemption with this provider",
    Refusal.USCC_MISMATCH: "the credit code is not the voucher holder's",
    Refusal.NOT_REDEEMED: "the voucher is not redeemed with this provider",
    Refusal.VOUCHER_NOT_ACTIVE: "the voucher is revoked or expired",
    Refusal.FEE_MISMATCH: "fee is not quantity x unit price (to the fen)",
    Refusal.INVALID_PERIOD: "service period must end after it starts",
    Refusal.SERVICE_IN_FUTURE: "service period ends in the future",
    Refusal.REPORTED_TOO_LATE: "reported after the voucher's validity plus the grace period",
}


def fee_matches(quantity: Decimal, unit_price_fen: int, fee_fen: int) -> bool:
    """The fee must be quantity x unit price to the fen: its floor or its ceiling, exactly
    (decimal arithmetic, never floats), so any provider rounding rule is accepted."""
    exact = quantity * unit_price_fen
    low = int(exact.to_integral_value(rounding=ROUND_FLOOR))
    high = int(exact.to_integral_value(rounding=ROUND_CEILING))
    return low <= fee_fen <= high


def service_date(start: datetime, tz: ZoneInfo) -> date:
    """The day a service period counts on: the date of its start in the program timezone."""
    return start.astimezone(tz).date()


def check_report(
    *,
    quantity: Decimal,
    unit_price_fen: int,
    fee_fen: int,
    start: datetime,
    end: datetime,
    now: datetime,
    voucher_valid_to: date,
    grace_days: int,
    tz: ZoneInfo,
) -> Refusal | None:
    """The first rule a report breaks, or None. Times must be timezone-aware."""
    if end <= start:
        return Refusal.INVALID_PERIOD
    if end > now:
        return Refusal.SERVICE_IN_FUTURE
    if not fee_matches(quantity, unit_price_fen, fee_fen):
        return Refusal.FEE_MISMATCH
    last_report = datetime.combine(voucher_valid_to + timedelta(days=grace_days + 1), time(), tz)
    if now >= last_report:
        return Refusal.REPORTED_TOO_LATE
    return None
