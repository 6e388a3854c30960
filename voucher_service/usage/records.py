"""Reading usage records back: a page at a time, or one by its id, each with the record
id of the original it adjusts."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from voucher_service.db.tables.usage import RecordKind
from voucher_service.pagination import PageParams, Slice
from voucher_service.usage import repository
from voucher_service.usage.repository import RecordFilter
from voucher_service.usage.rows import UsageRow


@dataclass(frozen=True)
class RecordView:
    """A record as it is shown: with the provider's id of the original it adjusts (for an
    adjustment or a top-up layer), and, for a stacked usage record, its top-up layers."""

    row: UsageRow[int]
    original_record_id: str | None = None
    # A stacked usage record's top-up layers; for a refund of one, each layer's reversal.
    top_ups: tuple[UsageRow[int], ...] = ()
    enterprise_name: str = ""  # the voucher holder's name ("" when the voucher was unknown)

    @property
    def enterprise_pays_fen(self) -> int:
        """What the enterprise pays of the fee, every program's subsidy taken off; for a
        refund, how much its payment really changes (the refund less every layer's subsidy
        given back)."""
        share: int = self.row.enterprise_share_fen
        taken_off: int = sum(layer.subsidy_fen for layer in self.top_ups)
        return share - taken_off


def list_records(session: Session, params: PageParams, where: RecordFilter) -> Slice[RecordView]:
    """A page of records, each as it is shown."""
    found = repository.list_records(session, params, where)
    return found.with_items(describe(session, found.items))


def get_record(session: Session, provider_id: int, record_id: str) -> RecordView:
    [view] = describe(session, [repository.get_record(session, provider_id, record_id)])
    return view


def describe(session: Session, rows: list[UsageRow[int]]) -> list[RecordView]:
    """Each record with what it is shown with: five queries at most, whatever the rows."""
    originals = repository.original_record_ids(session, rows)
    stacked = {row.id for row in rows if row.ceiling_bp is not None}
    refunds = [row for row in rows if row.kind == RecordKind.ADJUSTMENT and row.ceiling_bp]
    layers = repository.top_up_records(
        session, stacked | {row.original_id for row in refunds if row.original_id is not None}
    )
    reversals = _layer_reversals(session, refunds, layers)
    names = repository.enterprise_names(session, {r.enterprise_id for r in rows})
    return [
        RecordView(
            row,
            originals.get(row.original_id) if row.original_id is not None else None,
            tuple(
                layers.get(row.id, ())
                if row.kind == RecordKind.USAGE
                else reversals.get(row.id, ())
            ),
            names.get(row.enterprise_id, "") if row.enterprise_id is not None else "",
        )
        for row in rows
    ]


def _layer_reversals(
    session: Session, refunds: list[UsageRow[int]], layers: dict[int, list[UsageRow[int]]]
) -> dict[int, tuple[UsageRow[int], ...]]:
    """For each refund of a stacked record, its layers' reversals (the adjustments that
    ``adjustments.adjust_usage`` writes beside it, one per top-up layer), by the refund's id."""
    wanted: dict[int, list[str]] = {}
    for refund in refunds:
        codes = [
            layer.record_id.rsplit("+", 1)[1] for layer in layers.get(refund.original_id or 0, ())
        ]
        wanted[refund.id] = [repository.layer_record_id(refund.record_id, code) for code in codes]
    by_provider: dict[int, list[str]] = {}
    for refund in refunds:
        by_provider.setdefault(refund.provider_id, []).extend(wanted[refund.id])
    found: dict[tuple[int, str], UsageRow[int]] = {}
    for provider_id, record_ids in by_provider.items():
        for record_id, row in repository.stored_records(session, provider_id, record_ids).items():
            found[provider_id, record_id] = row
    return {
        refund.id: tuple(
            found[refund.provider_id, record_id]
            for record_id in wanted[refund.id]
            if (refund.provider_id, record_id) in found
        )
        for refund in refunds
    }
