"""The redemption table of the enterprise's and the provider's pages: one page of
``redemptions.queries.find_redemptions``, the same call as their API endpoints'."""

from __future__ import annotations

from collections.abc import Sequence

from fastapi import Request
from sqlalchemy.orm import Session

from voucher_service.console.tables import Column, Table
from voucher_service.pagination import PageParams
from voucher_service.redemptions.queries import RedemptionQuery, find_redemptions


def redemption_columns(*party: Column) -> tuple[Column, ...]:
    """A company's redemption table: the voucher, ``party`` (the other side: the provider,
    or the enterprise), the status, and when it began and ended."""
    return (
        Column("voucher_code", "redeem.voucher", "code"),
        *party,
        Column("status", "redeem.status", "status", prefix="redemption.status."),
        Column("created_at", "redeem.created_at", "datetime"),
        Column("ended_at", "redeem.ended_at", "datetime"),
    )


def redemption_table(
    request: Request,
    session: Session,
    params: PageParams,
    query: RedemptionQuery,
    *,
    caption: str,
    columns: Sequence[Column],
) -> Table:
    """One page of the redemptions ``query`` selects, as the company's table shows them."""
    views, cursor = find_redemptions(session, params, query)
    rows = [
        {
            "id": v.redemption.id,
            "voucher_code": v.voucher_code,
            "uscc": v.uscc,
            "enterprise_name": v.enterprise_name,
            "provider_name": v.provider_name,
            "provider_uscc": v.provider_uscc,
            "status": v.redemption.status,
            "created_at": v.redemption.created_at,
            "ended_at": v.redemption.ended_at,
        }
        for v in views
    ]
    return Table.page(
        request,
        id="redemptions",
        caption=caption,
        columns=columns,
        rows=rows,
        next_cursor=cursor,
        row_key="id",
    )
