"""A usage record as metering handles it: one typed row of the ``usage_record`` table.

A ``UsageRow`` is a named tuple of the table's columns (``id`` first, then the rest in the
table's order), so mypy checks every field and the hot path pays for no more than a tuple:
PostgreSQL's ``COPY`` writes it as it is, and a row read back is built from the database's
row in one call. Rows never change: pricing and storing make new ones (``_replace``,
``with_id``). Its type says whether it is stored: ``UsageRow[None]`` is a row being priced
(no id yet), ``UsageRow[int]`` one the database holds, so an id is never read before it
exists.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Generic, NamedTuple, TypeVar

Id = TypeVar("Id", bound=int | None)


class UsageRow(NamedTuple, Generic[Id]):
    """One ``usage_record`` row, column by column (see ``db.tables.usage.UsageRecord`` for
    what each means)."""

    id: Id
    provider_id: int
    record_id: str
    body_hash: str
    kind: str
    original_id: int | None
    voucher_id: int | None
    enterprise_id: int | None
    enrolment_id: int | None
    cap_period: int | None
    voucher_code: str
    uscc: str
    resource_kind: str
    resource_model: str
    quantity: str
    unit: str
    unit_price_fen: int
    fee_fen: int
    full_subsidy_fen: int
    subsidy_fen: int
    enterprise_share_fen: int
    outcome: str
    reason: str | None
    rule_version: int | None
    ceiling_bp: int | None
    stack_layer: int | None
    service_start: datetime
    service_end: datetime
    service_date: date
    attributes: str  # JSON text
    created_at: datetime

    def with_id(self, id_: int) -> UsageRow[int]:
        """This row as stored under ``id_`` (``id`` is the first column: one tuple copy)."""
        return UsageRow._make((id_, *self[1:]))

    def unstored(self) -> UsageRow[None]:
        """A new row with this one's columns (an adjustment starts from its original)."""
        return UsageRow._make((None, *self[1:]))


# The columns a new row is written with (the database gives it its id).
COLUMNS_WRITTEN = UsageRow._fields[1:]
