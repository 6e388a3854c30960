"""Adjustments: a provider refunds part or all of an earlier record's fee.

The original record is never edited: the adjustment is a new record pointing at it, with a
negative fee and the (negative) subsidy the reduced fee no longer earns at the original's
rule version (``domain.usage.reversal_fen``). The ledger gives that subsidy back to the
voucher (on to its pool if the voucher has closed) and restores the enterprise's cap by as
much. Adjustments are exactly-once like usage: a retry with the same id and body replays.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from voucher_service import audit_log as audit
from voucher_service.db.tables.usage import RecordKind
from voucher_service.domain.rules import BASIS_POINTS
from voucher_service.domain.stacking import PricedLayer, reversals_fen
from voucher_service.domain.usage import AdjustmentReport
from voucher_service.errors import ErrorCode, NotFound, RecordConflict, RefundExceedsFee
from voucher_service.ledger import counters
from voucher_service.ledger import service as ledger
from voucher_service.ledger.counters import CapCounter, CapKey, VoucherCounter
from voucher_service.ledger.service import Draw
from voucher_service.money import fen_to_yuan
from voucher_service.usage import repository
from voucher_service.usage.rows import UsageRow
from voucher_service.usage.service import Ingested, PostingProvider, require_active


@dataclass(frozen=True)
class _Layer:
    """A layer of the record being adjusted (the record itself, or a top-up record of a
    stacked one), with its counters locked."""

    row: UsageRow[int]
    voucher: VoucherCounter | None
    caps: tuple[CapCounter, ...]  # its own counter, then the lifetime one beside a year cap


def adjust_usage(
    session: Session, provider: PostingProvider, adjustment: AdjustmentReport, *, now: datetime
) -> Ingested:
    """Refund part or all of a record's fee; the subsidy it no longer earns goes back — on a
    stacked record, each program's layer as ``domain.stacking.reversals_fen`` says."""
    require_active(provider)
    assert provider.id is not None
    layers = _lock_layers(session, provider.id, adjustment.adjusts_record_id)
    stored = repository.stored_records(session, provider.id, [adjustment.record_id])
    if adjustment.record_id in stored:
        return _replay(adjustment, stored[adjustment.record_id])
    record = layers[0].row
    returned = _subsidies_returned(session, layers, adjustment.refund_fen)
    row = repository.adjustment_record(record, adjustment, returned[0], now)
    layer_rows = [
        repository.layer_adjustment(layer.row, adjustment, back, now)
        for layer, back in zip(layers[1:], returned[1:], strict=True)
    ]
    adjusting = [repository.insert_record(session, row)]
    if layer_rows:
        adjusting += repository.insert_records(session, layer_rows)
    for layer, adjusted, back in zip(layers, adjusting, returned, strict=True):
        if back and layer.caps and layer.voucher is not None:
            terms = _terms(session, layer.row)
            draw = Draw(
                voucher_id=layer.voucher.id,
                pool_id=terms.pool_id,
                provider_id=provider.id,
                cap_id=layer.caps[0].id,
                lifetime_cap_id=layer.caps[1].id if len(layer.caps) > 1 else None,
                amount_fen=back,
                usage_record_id=adjusted.id,
                memo=f"refund of {layer.row.record_id}",
            )
            ledger.reverse_subsidy(session, draw, voucher_open=layer.voucher.active, now=now)
    audit.record(
        session,
        "usage.adjust",
        "usage_record",
        f"{provider.uscc}/{record.record_id}",
        after={
            "record_id": adjustment.record_id,
            "refund_fen": adjustment.refund_fen,
            "subsidy_returned_fen": sum(returned),
        },
    )
    stored = repository.stored_records(session, provider.id, [adjustment.record_id])
    return Ingested(adjustment.record_id, stored[adjustment.record_id])


def _lock_layers(session: Session, provider_id: int, record_id: str) -> list[_Layer]:
    """The usage record being adjusted and its top-up layers, their vouchers then their cap
    counters locked (the lock order of ``ledger.counters``)."""
    record = repository.stored_records(session, provider_id, [record_id]).get(record_id)
    if record is None or record.kind != RecordKind.USAGE:
        raise NotFound(
            "you have no usage record {record_id!r}",
            record_id=record_id,
            code=ErrorCode.RECORD_NOT_FOUND,
        )
    rows = [record]
    if record.ceiling_bp is not None:
        rows += repository.top_up_records(session, {record.id}).get(record.id, [])
    keys = {row.id: _cap_keys(session, row) for row in rows}
    caps, vouchers = counters.lock(
        session,
        {key for row_keys in keys.values() for key in row_keys},
        {row.voucher_id for row in rows if row.voucher_id},
    )
    return [
        _Layer(
            row,
            vouchers.get(row.voucher_id) if row.voucher_id is not None else None,
            tuple(caps[key] for key in keys[row.id]),
        )
        for row in rows
    ]


def _cap_keys(session: Session, row: UsageRow[int]) -> tuple[CapKey, ...]:
    """The cap counters a record counted against: its cap period's, and the lifetime one
    (period 0) when its rule version had a cap per year beside its lifetime cap."""
    if row.enrolment_id is None or row.cap_period is None:
        return ()
    own = CapKey(row.enrolment_id, row.cap_period)
    if row.subsidy_fen and row.cap_period and _terms(session, row).counted_lifetime:
        return own, CapKey(row.enrolment_id, 0)
    return (own,)


def _replay(adjustment: AdjustmentReport, stored: UsageRow[int]) -> Ingested:
    if stored.body_hash != adjustment.body_hash:
        raise RecordConflict(
            "record id {record_id!r} was already used with another body",
            record_id=adjustment.record_id,
        )
    return Ingested(adjustment.record_id, stored, replayed=True)


def _subsidies_returned(session: Session, layers: list[_Layer], refund_fen: int) -> list[int]:
    """How much subsidy this refund gives back, layer by layer. Refused when the refund is
    more than the fee left after earlier refunds."""
    record = layers[0].row
    refunded, _ = repository.adjusted_so_far(session, record.id)
    fee_left = record.fee_fen - refunded
    if refund_fen > fee_left:
        raise RefundExceedsFee(
            (
                "record {record_id!r} has {fee_left_yuan} yuan of fee left to "
                "refund; asked {refund_yuan}"
            ),
            record_id=record.record_id,
            fee_left_yuan=fen_to_yuan(fee_left),
            refund_yuan=fen_to_yuan(refund_fen),
        )
    priced = []
    for layer in layers:
        row = layer.row
        rate = 0
        if row.subsidy_fen:
            rate = _terms(session, row).rate_bp
        priced.append(PricedLayer(rate or BASIS_POINTS, row.subsidy_fen))
    return list(
        reversals_fen(
            priced,
            ceiling_bp=record.ceiling_bp or BASIS_POINTS,
            fee_left_fen=fee_left,
            refund_fen=refund_fen,
        )
    )


def _terms(session: Session, row: UsageRow[int]) -> repository.VoucherTerms:
    """The terms of the voucher a subsidised record drew on (a priced record names both its
    voucher and its rule version)."""
    assert row.voucher_id is not None and row.rule_version is not None
    return repository.voucher_terms(session, row.voucher_id, row.rule_version)
