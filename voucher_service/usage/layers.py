"""Pricing a record: on its voucher alone, or through a stack of programs (a district
top-up declared on the record's program, ``domain/stacking.py``).

A stacked record is stored as the usage record (the base program's subsidy, with the
combined ceiling that priced it) and one ``topup`` record per top-up layer: drawn on that
program's own voucher and cap counter, with no fee of its own (fees count once) and a
negative enterprise share (what the top-up takes off the bill). Each layer's subsidy is a
draw the ledger posts on its own voucher.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

from voucher_service.db.tables.usage import RecordKind
from voucher_service.domain.pricing import Pricing, Shortfall
from voucher_service.domain.rules import Rules
from voucher_service.domain.stacking import Layer, LayerSubsidy, price_stack
from voucher_service.domain.usage import Refusal, outcome_of
from voucher_service.ledger.counters import CapCounter, CapKey, VoucherCounter
from voucher_service.usage.plans import Plan, TopUpLayer
from voucher_service.usage.repository import NamedVoucher, layer_record_id
from voucher_service.usage.rows import UsageRow


@dataclass(frozen=True)
class PendingDraw:
    """A priced record's subsidy, posted once the record has its id."""

    row: UsageRow[None]
    voucher: NamedVoucher
    cap_id: int
    lifetime_cap_id: int | None = None  # beside a cap per year, the lifetime counter


class PricedRecord(NamedTuple):
    """A report's record priced (or refused, with its reason), the top-up records of a
    stacked one, and the draws to post once they are stored."""

    row: UsageRow[None]
    layers: list[UsageRow[None]]
    draws: list[PendingDraw]


def price_record(
    plan: Plan,
    row: UsageRow[None],
    caps: dict[CapKey, CapCounter],
    vouchers: dict[int, VoucherCounter],
) -> PricedRecord:
    """Price ``plan``'s record (``row``, refused until priced) against the locked counters
    (which follow the subsidies in memory)."""
    key, voucher, rules = plan.cap_key, plan.voucher, plan.rules
    if key is None or voucher is None or rules is None:
        reason = plan.refusal.value if plan.refusal else None
        return PricedRecord(row._replace(reason=reason) if reason else row, [], [])
    balance, cap = vouchers[voucher.id], caps[key]
    lifetime = caps[plan.lifetime_key] if plan.lifetime_key else None
    if not balance.active:  # closed since the plan was made
        return PricedRecord(row._replace(reason=Refusal.VOUCHER_NOT_ACTIVE.value), [], [])
    top_ups = [layer for layer in plan.top_ups if vouchers[layer.voucher.id].active]
    own = _layer(str(voucher.program_id), rules, voucher, (cap, lifetime), balance, None)
    if not top_ups:
        pricing = own.alone(plan.report.fee_fen, plan.service_date)
        row = _priced(row, pricing, pricing.subsidy_fen, pricing.shortfall, key.period)
        return PricedRecord(row, [], _drawn(row, voucher, (cap, lifetime), balance))
    stack = price_stack(
        fee_fen=plan.report.fee_fen,
        service_date=plan.service_date,
        layers=[
            own,
            *(
                _layer(
                    layer.top_up.program_code,
                    layer.rules,
                    layer.voucher,
                    _caps_of(caps, layer),
                    vouchers[layer.voucher.id],
                    layer.top_up.ceiling_bp,
                )
                for layer in top_ups
            ),
        ],
    )
    base, *rest = stack.layers
    row = _priced(row, base.alone, base.subsidy_fen, base.shortfall, key.period)._replace(
        ceiling_bp=stack.ceiling_bp
    )
    draws = _drawn(row, voucher, (cap, lifetime), balance)
    layer_rows = []
    for order, (layer, priced) in enumerate(zip(top_ups, rest, strict=True), start=1):
        layer_row = _top_up_row(row, layer.voucher, priced, layer.cap_key, order)
        layer_rows.append(layer_row)
        draws += _drawn(layer_row, layer.voucher, _caps_of(caps, layer), vouchers[layer.voucher.id])
    return PricedRecord(row, layer_rows, draws)


_Caps = tuple[CapCounter, CapCounter | None]  # the record's own counter, the lifetime one


def _caps_of(caps: dict[CapKey, CapCounter], layer: TopUpLayer) -> _Caps:
    return caps[layer.cap_key], caps[layer.lifetime_key] if layer.lifetime_key else None


def _layer(
    code: str,
    rules: Rules,
    voucher: NamedVoucher,
    counted: _Caps,
    balance: VoucherCounter,
    ceiling_bp: int | None,
) -> Layer:
    cap, lifetime = counted
    return Layer(
        program_code=code,
        rules=rules,
        window=voucher.window,
        voucher_valid_from=voucher.valid_from,
        voucher_valid_to=voucher.facts.valid_to,
        cap_used_fen=cap.used_fen,
        voucher_balance_fen=balance.balance_fen,
        ceiling_bp=ceiling_bp,
        lifetime_used_fen=lifetime.used_fen if lifetime else 0,
    )


def _priced(
    row: UsageRow[None], alone: Pricing, subsidy_fen: int, shortfall: Shortfall | None, period: int
) -> UsageRow[None]:
    """``row`` with its priced columns: what its program pays, by its own rule version."""
    fee = alone.fee_fen
    paid = Pricing(fee, alone.full_subsidy_fen, subsidy_fen, fee - subsidy_fen, shortfall, 0)
    return row._replace(
        cap_period=period,
        full_subsidy_fen=alone.full_subsidy_fen,
        subsidy_fen=subsidy_fen,
        enterprise_share_fen=fee - subsidy_fen,
        outcome=outcome_of(paid).value,
        reason=shortfall.value if shortfall else None,
        rule_version=alone.rule_version,
    )


def _top_up_row(
    base: UsageRow[None], voucher: NamedVoucher, priced: LayerSubsidy, key: CapKey, order: int
) -> UsageRow[None]:
    """A top-up layer of ``base`` (with its stack's ceiling): the same service, on the
    top-up's voucher, no fee."""
    columns = _priced(base, priced.alone, priced.subsidy_fen, priced.shortfall, key.period)
    return columns._replace(
        record_id=layer_record_id(base.record_id, priced.program_code),
        kind=RecordKind.TOP_UP.value,
        voucher_id=voucher.id,
        enterprise_id=voucher.enterprise_id,
        enrolment_id=voucher.enrolment_id,
        voucher_code=voucher.code,
        fee_fen=0,
        enterprise_share_fen=-priced.subsidy_fen,
        stack_layer=order,
        original_id=None,  # the usage record's id, once it has one
    )


def _drawn(
    row: UsageRow[None], voucher: NamedVoucher, counted: _Caps, balance: VoucherCounter
) -> list[PendingDraw]:
    """Follow the row's subsidy on the counters (both, beside a cap per year); its draw, if
    it draws anything."""
    subsidy = row.subsidy_fen
    cap, lifetime = counted
    cap.count(subsidy)
    if lifetime is not None:
        lifetime.count(subsidy)
    balance.draw(subsidy)
    lifetime_id = lifetime.id if lifetime else None
    return [PendingDraw(row, voucher, cap.id, lifetime_id)] if subsidy else []
