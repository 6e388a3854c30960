"""The audit log (审计日志) with its filters — the object (``application:6``), action, actor,
target, days — as ``GET /v1/admin/audit`` gives it, oldest first, guarded by the same rule
(AUDIT_READ: the bureau's administrators and auditors). Each entry reads as an object's
history does (console/history.py): the action's name, the person by name, the changes field
by field with money in ¥; the CSV and XLSX carry the same text."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request

from voucher_service.audit import service
from voucher_service.audit.history import readable
from voucher_service.auth.access import AUDIT_READ
from voucher_service.console.auth import guard
from voucher_service.console.bureau.common import ListingPage
from voucher_service.console.history import action_codes, shown
from voucher_service.console.pages import translator
from voucher_service.console.tables import Column, Filter
from voucher_service.deps import PageDep, SessionDep, SettingsDep
from voucher_service.pagination import PageParams, Slice
from voucher_service.routing import DatabaseRoute

router = APIRouter(route_class=DatabaseRoute)

COLUMNS = (
    Column("id", "audit.id"),
    Column("occurred_at", "audit.occurred_at", "datetime"),
    Column("person", "history.person"),
    Column("action", "history.action"),
    Column("target", "history.object"),
    Column("changes", "history.changes"),
    Column("seq", "audit.seq"),
)
FILTERS = (
    Filter("object", "history.filter_object"),
    Filter(
        "action",
        "audit.action",
        tuple((code, f"history.action.{code}") for code in action_codes()),
    ),
    Filter("actor", "audit.actor"),
    Filter("target_type", "audit.target_type"),
    Filter("target_id", "audit.target_id"),
    Filter("from", "audit.from", input_type="date"),
    Filter("to", "audit.to", input_type="date"),
)
LISTING = ListingPage("audit", COLUMNS, FILTERS, row_key="id", file_name="audit-log")


@router.get("/bureau/audit", dependencies=[guard(AUDIT_READ)])
def audit_log(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    page: PageDep,
    object: Annotated[str | None, Query(max_length=250)] = None,
    actor: Annotated[str | None, Query(max_length=200)] = None,
    action: Annotated[str | None, Query(max_length=100)] = None,
    target_type: Annotated[str | None, Query(max_length=100)] = None,
    target_id: Annotated[str | None, Query(max_length=200)] = None,
    date_from: Annotated[date | None, Query(alias="from")] = None,
    date_to: Annotated[date | None, Query(alias="to")] = None,
) -> Any:
    """``object`` is ``<kind>:<id>`` (the kind alone: every object of it)."""
    if object and object.strip():
        kind, _, ident = object.strip().partition(":")
        target_type, target_id = kind, ident or target_id
    where = service.AuditFilter.of_days(
        date_from=date_from,
        date_to=date_to,
        tz=settings.tz,
        actor=actor,
        action=action,
        target_type=target_type,
        target_id=target_id,
    )
    t = translator(request)

    def listing(params: PageParams) -> Slice[dict[str, Any]]:
        found = service.list_entries(session, params, where)
        rows = []
        for entry, row in zip(found.items, shown(t, readable(session, found.items)), strict=True):
            changes = "；".join(f"{c.field}：{c.before} → {c.after}" for c in row.changes)
            rows.append(
                {
                    "id": row.id,
                    "occurred_at": row.occurred_at,
                    "person": row.person,
                    "action": row.action,
                    "target": row.target,
                    "changes": changes,
                    "seq": entry["seq"],
                }
            )
        return replace(found, items=rows)

    return LISTING.show(request, listing, page)
