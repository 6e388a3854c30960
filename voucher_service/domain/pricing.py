"""Pricing one fee: how much of it the city pays.

Measure 2: 对企业使用算力服务费用给予50%，最高20万元补助，补助期限不超过三年. The subsidy is
the full rate rounded down to the fen, then limited by what is left of the enterprise's cap
and of the voucher's balance; nothing is paid for service dates outside the subsidy window
or the voucher's validity. The enterprise pays the rest of the fee.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from voucher_service.domain.rules import Rules, Window, full_subsidy_fen


class Shortfall(StrEnum):
    """Why a subsidy is below the full rate. Stable codes: clients program against them."""

    OUTSIDE_WINDOW = "outside_window"
    VOUCHER_NOT_VALID = "voucher_not_valid_on_date"
    CAP_REACHED = "cap_reached"
    VOUCHER_EXHAUSTED = "voucher_exhausted"
    # A layer of a stack (domain/stacking.py) cut by the stack's combined rate ceiling.
    STACK_CEILING = "stack_ceiling"


@dataclass(frozen=True)
class Pricing:
    fee_fen: int
    full_subsidy_fen: int
    subsidy_fen: int
    enterprise_share_fen: int
    shortfall: Shortfall | None
    rule_version: int

    @property
    def partial(self) -> bool:
        return 0 < self.subsidy_fen < self.full_subsidy_fen


def price_fee(
    *,
    fee_fen: int,
    service_date: date,
    rules: Rules,
    window: Window,
    voucher_valid_from: date,
    voucher_valid_to: date,
    cap_used_fen: int,
    voucher_balance_fen: int,
    lifetime_used_fen: int = 0,
) -> Pricing:
    """Price a fee. ``cap_used_fen`` is the enterprise's net subsidy already counted against
    the cap period the service date falls in (``rules.cap_limits``' first); with a cap per
    year beside a lifetime cap, that is the subsidy year's counter and ``lifetime_used_fen``
    the lifetime one (ignored otherwise). ``voucher_valid_to`` is inclusive."""
    if fee_fen < 0:
        raise ValueError("fee must not be negative")
    if min(cap_used_fen, lifetime_used_fen, voucher_balance_fen) < 0:
        raise ValueError("cap used and voucher balance must not be negative")
    full = full_subsidy_fen(fee_fen, rules.rate_bp)

    def priced(subsidy: int, shortfall: Shortfall | None) -> Pricing:
        return Pricing(fee_fen, full, subsidy, fee_fen - subsidy, shortfall, rules.version)

    if not window.contains(service_date):
        return priced(0, Shortfall.OUTSIDE_WINDOW if full else None)
    if not voucher_valid_from <= service_date <= voucher_valid_to:
        return priced(0, Shortfall.VOUCHER_NOT_VALID if full else None)
    cap_left = max(0, rules.own_cap_fen - cap_used_fen)
    if rules.year_cap_fen is not None:
        cap_left = min(cap_left, max(0, rules.cap_fen - lifetime_used_fen))
    subsidy = min(full, cap_left, voucher_balance_fen)
    if subsidy == full:
        return priced(subsidy, None)
    # Both limits bind: name the tighter one (the cap, when they are equal: it is final).
    if cap_left <= voucher_balance_fen:
        return priced(subsidy, Shortfall.CAP_REACHED)
    return priced(subsidy, Shortfall.VOUCHER_EXHAUSTED)
