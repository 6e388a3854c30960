"""The query parameters of every usage-record listing, declared once for the API's endpoints
and the console's pages (both read them into a ``queries.RecordQuery``)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Query

from voucher_service.domain.usage import Outcome
from voucher_service.fields import Day, Search, VoucherCode
from voucher_service.pagination import PageParams, sorted_pages
from voucher_service.usage.queries import RecordQuery
from voucher_service.usage.repository import RECORD_SORTS


def record_query(
    voucher: Annotated[VoucherCode | None, Query(description="Voucher code.")] = None,
    outcome: Annotated[Outcome | None, Query()] = None,
    date_from: Annotated[Day | None, Query(alias="from", description="First service date.")] = None,
    date_to: Annotated[Day | None, Query(alias="to", description="Last service date.")] = None,
    q: Annotated[
        Search | None,
        Query(
            description="Part of the record's id, of its voucher's code, of the enterprise's "
            "credit code or name."
        ),
    ] = None,
) -> RecordQuery:
    """The filters every record listing takes; the owner comes from the path."""
    return RecordQuery(
        voucher=voucher, outcome=outcome, date_from=date_from, date_to=date_to, q=q or None
    )


RecordQueryDep = Annotated[RecordQuery, Depends(record_query)]
# A record listing's pages: keyset by default, numbered when sorted (RECORD_SORTS).
RecordPages = Annotated[PageParams, Depends(sorted_pages(list(RECORD_SORTS)))]
