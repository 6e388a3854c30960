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
from typing import Any

from voucher_service.db.tables.usage import RecordKind
from voucher_service.domain.pricing import Pricing, Shortfall
from voucher_service.domain.stacking import Layer, LayerSubsidy, price_stack
from voucher_service.domain.usage import Refusal, outcome_of
from voucher_service.ledger.counters import CapCounter, CapKey, VoucherCounter
from voucher_service.usage.plans import Plan, TopUpLayer
from voucher_service.usage.repository import NamedVoucher, Record, layer_record_id


@dataclass(frozen=True)
class PendingDraw:
    """A priced record's subsidy, posted once the record has its id."""

    row: Record
    voucher: NamedVoucher
    cap_id: int


def price_record(
    plan: Plan,
    row: Record,
    caps: dict[CapKey, CapCounter],
    vouchers: dict[int, VoucherCounter],
) -> tuple[list[Record], list[PendingDraw]]:
    """Price ``plan``'s record into ``row`` against the locked counters (which follow the
    subsidies in memory); the top-up records of a stacked one; the draws to post."""
    key, voucher, rules = plan.cap_key, plan.voucher, plan.rules
    if key is None or voucher is None or rules is None:
        row.update(reason=plan.refusal.value if plan.refusal else None)
        return [], []
    balance, cap = vouchers[voucher.id], caps[key]
    if not balance.active:  # closed since the plan was made
        row.update(reason=Refusal.VOUCHER_NOT_ACTIVE.value)
        return [], []
    top_ups = [layer for layer in plan.top_ups if vouchers[layer.voucher.id].active]
    own = _layer(str(voucher.program_id), rules, voucher, cap, balance, None)
    if not top_ups:
        pricing = own.alone(plan.report.fee_fen, plan.service_date)
        row.update(_priced(pricing, pricing.subsidy_fen, pricing.shortfall, key.period))
        return [], _drawn(row, voucher, cap, balance)
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
                    caps[layer.cap_key],
                    vouchers[layer.voucher.id],
                    layer.top_up.ceiling_bp,
                )
                for layer in top_ups
            ),
        ],
    )
    base, *rest = stack.layers
    row.update(
        _priced(base.alone, base.subsidy_fen, base.shortfall, key.period),
        ceiling_bp=stack.ceiling_bp,
    )
    draws = _drawn(row, voucher, cap, balance)
    layer_rows, layer_draws = _top_up_rows(row, top_ups, rest, stack.ceiling_bp, caps, vouchers)
    return layer_rows, draws + layer_draws


def _top_up_rows(
    row: Record,
    top_ups: list[TopUpLayer],
    priced_layers: list[LayerSubsidy],
    ceiling_bp: int,
    caps: dict[CapKey, CapCounter],
    vouchers: dict[int, VoucherCounter],
) -> tuple[list[Record], list[PendingDraw]]:
    """A stacked record's top-up records, in stack order, and their draws."""
    layer_rows: list[Record] = []
    draws: list[PendingDraw] = []
    for order, (layer, priced) in enumerate(zip(top_ups, priced_layers, strict=True), start=1):
        layer_row = _top_up_row(row, layer.voucher, priced, layer.cap_key, order)
        layer_row["ceiling_bp"] = ceiling_bp
        layer_rows.append(layer_row)
        draws += _drawn(layer_row, layer.voucher, caps[layer.cap_key], vouchers[layer.voucher.id])
    return layer_rows, draws


def _layer(
    code: str,
    rules: Any,
    voucher: NamedVoucher,
    cap: CapCounter,
    balance: VoucherCounter,
    ceiling_bp: int | None,
) -> Layer:
    return Layer(
        program_code=code,
        rules=rules,
        window=voucher.window,
        voucher_valid_from=voucher.valid_from,
        voucher_valid_to=voucher.facts.valid_to,
        cap_used_fen=cap.used_fen,
        voucher_balance_fen=balance.balance_fen,
        ceiling_bp=ceiling_bp,
    )


def _priced(
    alone: Pricing, subsidy_fen: int, shortfall: Shortfall | None, period: int
) -> dict[str, Any]:
    """A record's priced columns: what its program pays, by its own rule version."""
    fee = alone.fee_fen
    paid = Pricing(fee, alone.full_subsidy_fen, subsidy_fen, fee - subsidy_fen, shortfall, 0)
    return {
        "cap_period": period,
        "full_subsidy_fen": alone.full_subsidy_fen,
        "subsidy_fen": subsidy_fen,
        "enterprise_share_fen": fee - subsidy_fen,
        "outcome": outcome_of(paid).value,
        "reason": shortfall.value if shortfall else None,
        "rule_version": alone.rule_version,
    }


def _top_up_row(
    base: Record, voucher: NamedVoucher, priced: LayerSubsidy, key: CapKey, order: int
) -> Record:
    """A top-up layer of ``base``: the same service, on the top-up's voucher, no fee."""
    columns = _priced(priced.alone, priced.subsidy_fen, priced.shortfall, key.period)
    return {
        **base,
        **columns,
        "record_id": layer_record_id(base["record_id"], priced.program_code),
        "kind": RecordKind.TOP_UP.value,
        "voucher_id": voucher.id,
        "enterprise_id": voucher.enterprise_id,
        "enrolment_id": voucher.enrolment_id,
        "voucher_code": voucher.code,
        "fee_fen": 0,
        "enterprise_share_fen": -priced.subsidy_fen,
        "stack_layer": order,
        "original_id": None,  # the usage record's id, once it has one
    }


def _drawn(
    row: Record, voucher: NamedVoucher, cap: CapCounter, balance: VoucherCounter
) -> list[PendingDraw]:
    """Follow the row's subsidy on the counters; its draw, if it draws anything."""
    subsidy = row["subsidy_fen"]
    cap.count(subsidy)
    balance.draw(subsidy)
    return [PendingDraw(row, voucher, cap.id)] if subsidy else []
