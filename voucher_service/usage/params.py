"""The query parameters of every usage-record listing, declared once for the API's endpoints
and the console's pages (both read them into a ``queries.RecordQuery``)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Query

from voucher_service.domain.usage import Outcome
from voucher_service.fields import Day, VoucherCode
from voucher_service.usage.queries import RecordQuery


def record_query(
    voucher: Annotated[VoucherCode | None, Query(description="Voucher code.")] = None,
    outcome: Annotated[Outcome | None, Query()] = None,
    date_from: Annotated[Day | None, Query(alias="from", description="First service date.")] = None,
    date_to: Annotated[Day | None, Query(alias="to", description="Last service date.")] = None,
) -> RecordQuery:
    """The filters every record listing takes; the owner comes from the path."""
    return RecordQuery(voucher=voucher, outcome=outcome, date_from=date_from, date_to=date_to)


RecordQueryDep = Annotated[RecordQuery, Depends(record_query)]
