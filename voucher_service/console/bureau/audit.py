"""The audit log (审计日志) with its filters — actor, action, target, days — as ``GET
/v1/admin/audit`` gives it, oldest first, guarded by the same rule (AUDIT_READ: the bureau's
administrators and auditors)."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request

from voucher_service.audit import service
from voucher_service.auth.access import AUDIT_READ
from voucher_service.console.auth import guard
from voucher_service.console.bureau.common import ListingPage
from voucher_service.console.tables import Column, Filter
from voucher_service.deps import PageDep, SessionDep, SettingsDep
from voucher_service.pagination import PageParams, Slice
from voucher_service.routing import DatabaseRoute

router = APIRouter(route_class=DatabaseRoute)

COLUMNS = (
    Column("id", "audit.id"),
    Column("occurred_at", "audit.occurred_at", "datetime"),
    Column("actor", "audit.actor", "code"),
    Column("action", "audit.action", "label", prefix="audit.action."),
    Column("target_type", "audit.target_type", "code"),
    Column("target_id", "audit.target_id", "code"),
    Column("before", "audit.before"),
    Column("after", "audit.after"),
    Column("seq", "audit.seq"),
)
FILTERS = (
    Filter("actor", "audit.actor"),
    Filter("action", "audit.action"),
    Filter("target_type", "audit.target_type"),
    Filter("target_id", "audit.target_id"),
    Filter("from", "audit.from"),
    Filter("to", "audit.to"),
)
LISTING = ListingPage("audit", COLUMNS, FILTERS, row_key="id", file_name="audit-log")


@router.get("/bureau/audit", dependencies=[guard(AUDIT_READ)])
def audit_log(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    page: PageDep,
    actor: Annotated[str | None, Query(max_length=200)] = None,
    action: Annotated[str | None, Query(max_length=100)] = None,
    target_type: Annotated[str | None, Query(max_length=100)] = None,
    target_id: Annotated[str | None, Query(max_length=200)] = None,
    date_from: Annotated[date | None, Query(alias="from")] = None,
    date_to: Annotated[date | None, Query(alias="to")] = None,
) -> Any:
    where = service.AuditFilter.of_days(
        date_from=date_from,
        date_to=date_to,
        tz=settings.tz,
        actor=actor,
        action=action,
        target_type=target_type,
        target_id=target_id,
    )

    def listing(params: PageParams) -> Slice[dict[str, Any]]:
        return service.list_entries(session, params, where)

    return LISTING.show(request, listing, page)
