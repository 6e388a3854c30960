"""Pure rules of metering: a provider's usage report, the checks it must pass before it is
priced, the outcome of its pricing, and what a refund gives back.

Each refusal has its own stable code. A refused record is stored with its code (so a retry
of the same record gets the same answer) and earns no subsidy.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal
from enum import StrEnum
from functools import cached_property
from typing import Any
from zoneinfo import ZoneInfo

from voucher_service.domain.pricing import Pricing
from voucher_service.domain.rules import full_subsidy_fen


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
    NOT_REDEEMED = "not_redeemed"  # no longer given (unknown_voucher): kept by old records
    VOUCHER_NOT_ACTIVE = "voucher_not_active"
    FEE_MISMATCH = "fee_mismatch"
    INVALID_PERIOD = "invalid_period"
    SERVICE_IN_FUTURE = "service_in_future"
    REPORTED_TOO_LATE = "reported_too_late"


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


@dataclass(frozen=True)
class UsageReport:
    """One well-formed usage report, as the provider sent it (money in fen). It names the
    voucher drawn on by its code or, instead, by the id of a redemption with this provider."""

    record_id: str
    voucher_code: str | None
    uscc: str
    resource_kind: str
    resource_model: str
    quantity: Decimal
    unit: str
    unit_price_fen: int
    fee_fen: int
    service_start: datetime
    service_end: datetime
    attributes: dict[str, Any] = field(default_factory=dict)
    redemption_id: int | None = None

    @cached_property
    def quantity_text(self) -> str:
        return format(self.quantity.normalize(), "f")

    @cached_property
    def body_hash(self) -> str:
        """Identity of the body: a retry must carry the same one (instants compared in UTC).
        The canonical form is fixed: stored records keep their hashes (a test pins it)."""
        canonical = {
            "record_id": self.record_id,
            "voucher_code": self.voucher_code,
            "uscc": self.uscc,
            "resource_kind": self.resource_kind,
            "resource_model": self.resource_model,
            "quantity": self.quantity_text,
            "unit": self.unit,
            "unit_price_fen": self.unit_price_fen,
            "fee_fen": self.fee_fen,
            "service_start": self.service_start.astimezone(UTC).isoformat(),
            "service_end": self.service_end.astimezone(UTC).isoformat(),
            "attributes": self.attributes,
            "redemption_id": self.redemption_id,
        }
        return hashlib.sha256(_COMPACT.encode(canonical).encode()).hexdigest()


@dataclass(frozen=True)
class AdjustmentReport:
    """A correction of an earlier record: part or all of its fee refunded."""

    record_id: str
    adjusts_record_id: str
    refund_fen: int
    reason: str

    @property
    def body_hash(self) -> str:
        # Hashed with json's default separators since the first release: stored adjustments
        # keep these hashes, so changing the form would make every replay a conflict.
        return _digest(self.__dict__, separators=(", ", ": "))


_COMPACT = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def _digest(canonical: dict[str, Any], separators: tuple[str, str]) -> str:
    text = json.dumps(canonical, sort_keys=True, separators=separators, ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()


@dataclass(frozen=True)
class VoucherFacts:
    """What the checks need to know of the voucher a report names, as the posting provider
    may see it."""

    holder_uscc: str
    active: bool
    redeemed_here: bool  # an active redemption with the posting provider
    valid_to: date


def refusal_of(
    report: UsageReport,
    voucher: VoucherFacts | None,
    *,
    reference_known: bool,
    now: datetime,
    tz: ZoneInfo,
    grace_days: int,
) -> Refusal | None:
    """The first rule a report breaks before pricing, or None. ``reference_known`` is False
    when the report names a redemption this provider does not have; ``voucher`` is None when
    no voucher has the code it names. Only a voucher redeemed with the provider is told
    apart from no voucher at all."""
    if not reference_known:
        return Refusal.UNKNOWN_REDEMPTION
    # A voucher not redeemed with this provider is, to it, one that does not exist: the
    # answer must not tell it that the code is real, nor whether a credit code holds it
    # (DESIGN.md, isolation; issue 11).
    if voucher is None or not voucher.redeemed_here:
        return Refusal.UNKNOWN_VOUCHER
    if voucher.holder_uscc != report.uscc:
        return Refusal.USCC_MISMATCH
    if not voucher.active:
        return Refusal.VOUCHER_NOT_ACTIVE
    return check_report(
        quantity=report.quantity,
        unit_price_fen=report.unit_price_fen,
        fee_fen=report.fee_fen,
        start=report.service_start,
        end=report.service_end,
        now=now,
        voucher_valid_to=voucher.valid_to,
        grace_days=grace_days,
        tz=tz,
    )


def outcome_of(pricing: Pricing) -> Outcome:
    """Subsidised at the full rate, partly (a cap or the balance ran short), or not at all."""
    if pricing.shortfall is None:
        return Outcome.SUBSIDISED
    return Outcome.PARTIAL if pricing.subsidy_fen else Outcome.REFUSED


def reversal_fen(*, fee_left_fen: int, subsidy_left_fen: int, refund_fen: int, rate_bp: int) -> int:
    """The subsidy a refund gives back: what stands of the record's subsidy, less what the
    fee left after the refund still earns at the rate that priced it. A partly-capped
    record keeps its subsidy until the refund takes the fee below what it covers."""
    if not 0 <= refund_fen <= fee_left_fen:
        raise ValueError("a refund is between zero and the fee left to refund")
    if subsidy_left_fen < 0:
        raise ValueError("the subsidy left must not be negative")
    still_earned = full_subsidy_fen(fee_left_fen - refund_fen, rate_bp)
    return subsidy_left_fen - min(subsidy_left_fen, still_earned)
