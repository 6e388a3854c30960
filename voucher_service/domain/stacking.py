"""Stacking programs on one fee: a city program and the district top-ups declared on it.

武政规〔2025〕3号 encourages the districts to add measures of their own (鼓励各区因地制宜出台
…增强政策协同效应). A district top-up pays on the same usage as the city's program, from its own
voucher, under its own rate, cap and window; together the layers never pay more than the fee,
nor more than the stack's combined rate ceiling.

Pricing (``price_stack``). The layers come in their order: the base program first, then its
top-ups by their declared order. The ceiling is the lowest any of the stack's top-ups declares
(100% if none): ``ceiling = floor(fee x ceiling_bp / 10000)``. Then, layer by layer::

    alone(i)   = price_fee(layer i): its own rate on the fee rounded down to the fen, limited
                 by its cap left and its voucher balance; nothing outside its window or its
                 voucher's validity (exactly what the program would pay on its own)
    subsidy(i) = min(alone(i), ceiling - subsidy(1) - ... - subsidy(i-1))

So an earlier layer is never reduced by a later one, and a layer falls short of what it would
pay alone only once the ceiling is used up (its shortfall is then ``stack_ceiling``).

Refunds (``kept_fen``, ``reversals_fen``). When ``F`` of a record's fee still stands, layer
``i`` (which paid ``s(i)`` at rate ``r(i)``) keeps::

    kept(i, F) = min( s(i),
                      floor(F x r(i)),
                      floor((F x ceiling_bp - sum over earlier layers j of min(s(j) x 10000,
                                                                        F x r(j))) / 10000) )

that is: no more than it paid, its own rate on the fee left, and what the ceiling on the fee
left leaves after the earlier layers' shares (counted exactly, before rounding). A refund gives
back ``kept(i, fee before) - kept(i, fee after)`` per layer. Each term only grows with ``F``
(the last is a convex function through zero), so a refund never raises a layer; ``kept`` at the
original fee is what was paid, and at zero it is nothing. Because it depends only on the
original subsidies and the fee left, refunding in two steps gives back exactly what one
refund of the sum gives. With one layer and no ceiling it is measure 2's own refund rule
(``domain.usage.reversal_fen``).

A stacked record keeps the ceiling that priced it, as it keeps its rule versions: refunds use
the same numbers, and a later declaration never re-prices anything.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from voucher_service.domain.messages import RefusedValue
from voucher_service.domain.pricing import Pricing, Shortfall, price_fee
from voucher_service.domain.rules import BASIS_POINTS, Rules, Window, full_subsidy_fen


class StackError(RefusedValue):
    """A stack that makes no sense (no layer, a program twice, a ceiling above 100%)."""


def check_ceiling(ceiling_bp: int) -> int:
    """A combined rate ceiling is between 0.01% and 100% of the fee."""
    if not 0 < ceiling_bp <= BASIS_POINTS:
        raise StackError(
            "a combined rate ceiling must be between 1 and 10000 bp, got {ceiling_bp}",
            ceiling_bp=ceiling_bp,
        )
    return ceiling_bp


@dataclass(frozen=True)
class Layer:
    """One program's part in pricing a fee: what ``price_fee`` needs of its rules, the
    enterprise's window and cap used in that program (its lifetime counter too when the
    program has a cap per year beside its lifetime cap), and the voucher drawn on.
    ``ceiling_bp`` is the combined rate ceiling a top-up declares (None for the base)."""

    program_code: str
    rules: Rules
    window: Window
    voucher_valid_from: date
    voucher_valid_to: date
    cap_used_fen: int
    voucher_balance_fen: int
    ceiling_bp: int | None = None
    lifetime_used_fen: int = 0  # the lifetime counter, when a cap per year is beside it

    def __post_init__(self) -> None:
        if self.ceiling_bp is not None:
            check_ceiling(self.ceiling_bp)

    def alone(self, fee_fen: int, service_date: date) -> Pricing:
        """What this program would pay on the fee on its own."""
        return price_fee(
            fee_fen=fee_fen,
            service_date=service_date,
            rules=self.rules,
            window=self.window,
            voucher_valid_from=self.voucher_valid_from,
            voucher_valid_to=self.voucher_valid_to,
            cap_used_fen=self.cap_used_fen,
            voucher_balance_fen=self.voucher_balance_fen,
            lifetime_used_fen=self.lifetime_used_fen,
        )


@dataclass(frozen=True)
class PricedLayer:
    """What a refund needs to know of one layer of a priced record."""

    rate_bp: int
    subsidy_fen: int


@dataclass(frozen=True)
class LayerSubsidy:
    """One layer of a priced stack: what it would pay alone, and what it pays."""

    program_code: str
    rate_bp: int
    alone: Pricing
    subsidy_fen: int

    @property
    def shortfall(self) -> Shortfall | None:
        """Why the layer pays less than its full rate: its own reason, or the ceiling."""
        if self.subsidy_fen < self.alone.subsidy_fen:
            return Shortfall.STACK_CEILING
        return self.alone.shortfall


@dataclass(frozen=True)
class StackPricing:
    fee_fen: int
    ceiling_bp: int
    layers: tuple[LayerSubsidy, ...]

    @property
    def ceiling_fen(self) -> int:
        """The most the layers together may pay: the ceiling rate, rounded down to the fen."""
        return full_subsidy_fen(self.fee_fen, self.ceiling_bp)

    @property
    def subsidy_fen(self) -> int:
        return sum(layer.subsidy_fen for layer in self.layers)

    @property
    def enterprise_share_fen(self) -> int:
        return self.fee_fen - self.subsidy_fen

    def priced(self) -> tuple[PricedLayer, ...]:
        """The layers as a refund of this record will need them."""
        return tuple(PricedLayer(layer.rate_bp, layer.subsidy_fen) for layer in self.layers)


def stack_ceiling_bp(layers: Sequence[Layer]) -> int:
    """The stack's combined rate ceiling: the lowest a top-up declares, else 100%."""
    return min(
        (layer.ceiling_bp for layer in layers if layer.ceiling_bp is not None),
        default=BASIS_POINTS,
    )


def price_stack(*, fee_fen: int, service_date: date, layers: Sequence[Layer]) -> StackPricing:
    """Price a fee through a stack of programs, in the order given (base program first)."""
    if not layers:
        raise StackError("a stack has at least one layer")
    codes = [layer.program_code for layer in layers]
    if len(set(codes)) != len(codes):
        raise StackError("a program appears twice in the stack: a fee is subsidised once by each")
    ceiling_bp = stack_ceiling_bp(layers)
    left = full_subsidy_fen(fee_fen, ceiling_bp)
    priced = []
    for layer in layers:
        alone = layer.alone(fee_fen, service_date)
        subsidy = min(alone.subsidy_fen, left)
        left -= subsidy
        priced.append(LayerSubsidy(layer.program_code, layer.rules.rate_bp, alone, subsidy))
    return StackPricing(fee_fen, ceiling_bp, tuple(priced))


def kept_fen(layers: Sequence[PricedLayer], *, ceiling_bp: int, fee_fen: int) -> tuple[int, ...]:
    """What each layer of a priced record still pays when ``fee_fen`` of its fee stands
    (the formula in the module docstring). ``layers`` are as priced, in their order."""
    check_ceiling(ceiling_bp)
    if fee_fen < 0:
        raise StackError("the fee left must not be negative")
    kept = []
    earlier_bp_fen = 0  # the earlier layers' shares of the fee left, in fen x basis points
    for layer in layers:
        if layer.subsidy_fen < 0 or not 0 < layer.rate_bp <= BASIS_POINTS:
            raise StackError("a priced layer has a rate of 1..10000 bp and a subsidy >= 0")
        room = max(0, (fee_fen * ceiling_bp - earlier_bp_fen) // BASIS_POINTS)
        kept.append(min(layer.subsidy_fen, full_subsidy_fen(fee_fen, layer.rate_bp), room))
        earlier_bp_fen += min(layer.subsidy_fen * BASIS_POINTS, fee_fen * layer.rate_bp)
    return tuple(kept)


def reversals_fen(
    layers: Sequence[PricedLayer], *, ceiling_bp: int, fee_left_fen: int, refund_fen: int
) -> tuple[int, ...]:
    """What each layer gives back when ``refund_fen`` of the ``fee_left_fen`` still standing
    (the fee less earlier refunds) is refunded. Never negative; the sum over several
    refunds equals one refund of their total."""
    if not 0 <= refund_fen <= fee_left_fen:
        raise StackError("a refund is between zero and the fee left to refund")
    before = kept_fen(layers, ceiling_bp=ceiling_bp, fee_fen=fee_left_fen)
    after = kept_fen(layers, ceiling_bp=ceiling_bp, fee_fen=fee_left_fen - refund_fen)
    return tuple(b - a for b, a in zip(before, after, strict=True))
