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
from voucher_service.db.tables.providers import Provider
from voucher_service.db.tables.usage import RecordKind
from voucher_service.domain.usage import AdjustmentReport, reversal_fen
from voucher_service.errors import ErrorCode, NotFound, RecordConflict, RefundExceedsFee
from voucher_service.ledger import counters
from voucher_service.ledger import service as ledger
from voucher_service.ledger.counters import CapCounter, CapKey, VoucherCounter
from voucher_service.ledger.service import Draw
from voucher_service.money import fen_to_yuan
from voucher_service.usage import repository
from voucher_service.usage.repository import Record
from voucher_service.usage.service import Ingested, require_active


@dataclass(frozen=True)
class _Original:
    """The record being adjusted, with its counters locked (voucher, then cap)."""

    record: Record
    cap: CapCounter | None
    voucher: VoucherCounter | None


def adjust_usage(
    session: Session, provider: Provider, adjustment: AdjustmentReport, *, now: datetime
) -> Ingested:
    """Refund part or all of a record's fee; the subsidy it no longer earns goes back."""
    require_active(provider)
    assert provider.id is not None
    original = _lock_original(session, provider.id, adjustment.adjusts_record_id)
    stored = repository.stored_records(session, provider.id, [adjustment.record_id])
    if adjustment.record_id in stored:
        return _replay(adjustment, stored[adjustment.record_id])
    record = original.record
    reverse, pool_id = _subsidy_returned(session, record, adjustment.refund_fen)
    row = repository.adjustment_record(record, adjustment, reverse, now)
    repository.insert_record(session, row)
    if reverse and pool_id and original.cap is not None and original.voucher is not None:
        draw = Draw(
            voucher_id=original.voucher.id,
            pool_id=pool_id,
            provider_id=provider.id,
            cap_id=original.cap.id,
            amount_fen=reverse,
            usage_record_id=row["id"],
            memo=f"refund of {record['record_id']}",
        )
        ledger.reverse_subsidy(session, draw, voucher_open=original.voucher.active, now=now)
    audit.record(
        session,
        "usage.adjust",
        "usage_record",
        f"{provider.uscc}/{record['record_id']}",
        after={
            "record_id": adjustment.record_id,
            "refund_fen": adjustment.refund_fen,
            "subsidy_returned_fen": reverse,
        },
    )
    stored = repository.stored_records(session, provider.id, [adjustment.record_id])
    return Ingested(adjustment.record_id, stored[adjustment.record_id])


def _lock_original(session: Session, provider_id: int, record_id: str) -> _Original:
    record = repository.stored_records(session, provider_id, [record_id]).get(record_id)
    if record is None or record["kind"] != RecordKind.USAGE:
        raise NotFound(f"you have no usage record {record_id!r}", code=ErrorCode.RECORD_NOT_FOUND)
    cap = voucher = None
    if record["voucher_id"] is not None:
        voucher = counters.lock_vouchers(session, {record["voucher_id"]})[record["voucher_id"]]
    if record["enrolment_id"] is not None and record["cap_period"] is not None:
        key = CapKey(record["enrolment_id"], record["cap_period"])
        cap = counters.lock_caps(session, {key})[key]
    return _Original(record, cap, voucher)


def _replay(adjustment: AdjustmentReport, stored: Record) -> Ingested:
    if stored["body_hash"] != adjustment.body_hash:
        raise RecordConflict(
            f"record id {adjustment.record_id!r} was already used with another body"
        )
    return Ingested(adjustment.record_id, stored, replayed=True)


def _subsidy_returned(session: Session, record: Record, refund_fen: int) -> tuple[int, int | None]:
    """How much subsidy this refund gives back, and the pool of the voucher it goes to.
    Refused when the refund is more than the fee left after earlier refunds."""
    refunded, returned = repository.adjusted_so_far(session, record["id"])
    fee_left = record["fee_fen"] - refunded
    if refund_fen > fee_left:
        raise RefundExceedsFee(
            f"record {record['record_id']!r} has {fen_to_yuan(fee_left)} yuan of fee left "
            f"to refund; asked {fen_to_yuan(refund_fen)}"
        )
    subsidy_left = record["subsidy_fen"] - returned
    if not subsidy_left:
        return 0, None
    terms = repository.voucher_terms(session, record["voucher_id"], record["rule_version"])
    reverse = reversal_fen(
        fee_left_fen=fee_left,
        subsidy_left_fen=subsidy_left,
        refund_fen=refund_fen,
        rate_bp=terms.rate_bp,
    )
    return reverse, terms.pool_id
