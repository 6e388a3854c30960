"""Reading usage records back: a page at a time, or one by its id, each with the record
id of the original it adjusts."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from voucher_service.db.tables.usage import RecordKind
from voucher_service.pagination import PageParams
from voucher_service.usage import repository
from voucher_service.usage.repository import RecordFilter
from voucher_service.usage.rows import UsageRow


@dataclass(frozen=True)
class RecordView:
    """A record as it is shown: with the provider's id of the original it adjusts (for an
    adjustment or a top-up layer), and, for a stacked usage record, its top-up layers."""

    row: UsageRow[int]
    original_record_id: str | None = None
    top_ups: tuple[UsageRow[int], ...] = ()

    @property
    def enterprise_pays_fen(self) -> int:
        """What the enterprise pays of the fee, every program's subsidy taken off."""
        share: int = self.row.enterprise_share_fen
        taken_off: int = sum(layer.subsidy_fen for layer in self.top_ups)
        return share - taken_off


def list_records(
    session: Session, params: PageParams, where: RecordFilter
) -> tuple[list[RecordView], str | None]:
    """A page of records, each as it is shown."""
    rows, cursor = repository.list_records(session, params, where)
    return describe(session, rows), cursor


def get_record(session: Session, provider_id: int, record_id: str) -> RecordView:
    [view] = describe(session, [repository.get_record(session, provider_id, record_id)])
    return view


def describe(session: Session, rows: list[UsageRow[int]]) -> list[RecordView]:
    """Each record with what it is shown with: two queries at most, whatever the rows."""
    originals = repository.original_record_ids(session, rows)
    stacked = {row.id for row in rows if row.ceiling_bp is not None}
    layers = repository.top_up_records(session, stacked)
    return [
        RecordView(
            row,
            originals.get(row.original_id) if row.original_id is not None else None,
            tuple(layers.get(row.id, ()) if row.kind == RecordKind.USAGE else ()),
        )
        for row in rows
    ]
