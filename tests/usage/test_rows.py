"""A usage record's typed row names the table's columns, every one, ``id`` first (the order
``COPY`` writes them in)."""

from __future__ import annotations

from voucher_service.db.base import table
from voucher_service.db.tables.usage import UsageRecord
from voucher_service.usage.rows import COLUMNS_WRITTEN, UsageRow


def test_a_usage_row_has_the_tables_columns_with_its_id_first() -> None:
    columns = [column.name for column in table(UsageRecord).columns]
    assert UsageRow._fields[0] == "id"
    assert sorted(UsageRow._fields) == sorted(columns)
    assert UsageRow._fields[1:] == COLUMNS_WRITTEN
