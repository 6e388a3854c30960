"""Pricing a claim after payment (reimbursement mode): each invoice's approved amount is
priced as a usage fee is (``domain.pricing.price_fee``: the rate rounded down to the fen,
nothing outside the window or the program's validity, limited by the cap counter of the
invoice date's cap period), and the year's pool stands where a voucher's balance stands at
the point of sale: a claim never draws more than the pool has available.

Pure: the caller reads the cap counters and the pool under their locks and writes what this
returns through the ledger.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date

from voucher_service.domain.pricing import Pricing, Shortfall, price_fee
from voucher_service.domain.rules import Rules, Window, cap_limits, rules_on


@dataclass(frozen=True)
class ClaimedInvoice:
    """An invoice as approved: its date and the amount the reviewer approved (fen)."""

    invoice_date: date
    approved_fen: int


@dataclass(frozen=True)
class PricedInvoice:
    """An invoice's subsidy, the rule version and cap period that priced it, and why it is
    below the full rate (None: the full rate). ``rule_version`` is None when no version was
    in force on the invoice's date (then nothing is paid)."""

    pricing: Pricing | None
    rule_version: int | None
    cap_period: int | None
    shortfall: str | None
    # The cap counters its subsidy counts on: its cap period's, and with a cap per year beside
    # the lifetime cap, the lifetime counter (period 0) too.
    cap_periods: tuple[int, ...] = ()

    @property
    def subsidy_fen(self) -> int:
        return self.pricing.subsidy_fen if self.pricing else 0


NO_RULES = "no_rules_in_force"
POOL_EXHAUSTED = "pool_exhausted"
OUTSIDE_PROGRAM = "outside_program"


def price_claim(
    invoices: Sequence[ClaimedInvoice],
    versions: Sequence[Rules],
    *,
    window: Window,
    program_valid: tuple[date, date],
    cap_used: Mapping[int, int],
    pool_available_fen: int,
) -> list[PricedInvoice]:
    """Price ``invoices`` in order. ``cap_used`` is each cap period's counter (0 lifetime,
    else the subsidy year) as read under its lock; each invoice's subsidy counts against the
    next. The invoices together draw at most ``pool_available_fen``."""
    used = dict(cap_used)
    pool_left = pool_available_fen
    priced: list[PricedInvoice] = []
    for invoice in invoices:
        rules = rules_on(versions, invoice.invoice_date)
        if rules is None:
            priced.append(PricedInvoice(None, None, None, NO_RULES))
            continue
        periods = tuple(limit.period for limit in cap_limits(rules, window, invoice.invoice_date))
        pricing = price_fee(
            fee_fen=invoice.approved_fen,
            service_date=invoice.invoice_date,
            rules=rules,
            window=window,
            voucher_valid_from=program_valid[0],
            voucher_valid_to=program_valid[1],
            cap_used_fen=used.get(periods[0], 0),
            voucher_balance_fen=pool_left,
            lifetime_used_fen=used.get(0, 0),
        )
        for period in periods:
            used[period] = used.get(period, 0) + pricing.subsidy_fen
        pool_left -= pricing.subsidy_fen
        priced.append(
            PricedInvoice(pricing, rules.version, periods[0], _shortfall(pricing), periods)
        )
    return priced


def _shortfall(pricing: Pricing) -> str | None:
    """Pricing's shortfall in a claim's words: the pool stands where the voucher stood."""
    if pricing.shortfall is Shortfall.VOUCHER_EXHAUSTED:
        return POOL_EXHAUSTED
    if pricing.shortfall is Shortfall.VOUCHER_NOT_VALID:
        return OUTSIDE_PROGRAM
    return pricing.shortfall.value if pricing.shortfall else None
