"""The audit log and audit samples, for auditors and admins."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query, Response

from voucher_service.audit import history, sampling, service
from voucher_service.audit.sample_export import sample_csv, sample_xlsx
from voucher_service.audit.schemas import AuditEntryOut, HistoryRowOut, SampleOut
from voucher_service.auth.access import AUDIT_READ, BUREAU_READ, rule
from voucher_service.deps import PageDep, SessionDep, SettingsDep
from voucher_service.fields import MAX_ID, Day, Id, Name, ProgramCode
from voucher_service.pagination import Page
from voucher_service.routing import CSV, XLSX, DatabaseRoute, downloads

admin_router = APIRouter(route_class=DatabaseRoute, tags=["audit"])


@admin_router.get("/audit", dependencies=rule(AUDIT_READ))
def list_audit_entries(
    session: SessionDep,
    settings: SettingsDep,
    page: PageDep,
    actor: Annotated[
        Name | None, Query(max_length=200, description="e.g. bureau_admin:Li Wei")
    ] = None,
    principal_id: Id | None = None,
    action: Annotated[Name | None, Query(max_length=100, description="e.g. voucher.issue")] = None,
    target_type: Annotated[Name | None, Query(max_length=100, description="e.g. voucher")] = None,
    target_id: Annotated[
        Name | None, Query(max_length=200, description="e.g. a voucher code")
    ] = None,
    date_from: Annotated[Day | None, Query(alias="from", description="First day.")] = None,
    date_to: Annotated[Day | None, Query(alias="to", description="Last day.")] = None,
) -> Page[AuditEntryOut]:
    """Who did what and when, oldest first; days count in the program's timezone."""
    where = service.AuditFilter.of_days(
        date_from=date_from,
        date_to=date_to,
        tz=settings.tz,
        actor=actor,
        principal_id=principal_id,
        action=action,
        target_type=target_type,
        target_id=target_id,
    )
    rows, cursor = service.list_entries(session, page, where)
    return Page(items=[AuditEntryOut.of(r) for r in rows], next_cursor=cursor)


@admin_router.get("/audit/history", dependencies=rule(BUREAU_READ))
def object_history(
    session: SessionDep,
    page: PageDep,
    object: Annotated[
        Name,
        Query(
            max_length=250,
            description="<kind>:<id>, e.g. application:6, voucher:V-2026-0001, provider:<USCC>",
        ),
    ],
) -> Page[HistoryRowOut]:
    """One object's history, oldest first, readable: who acted by name and role (never a
    login), the action's code, and each field an entry changed (old -> new, money in yuan).
    Any bureau person may read it (the whole log is the auditors'). It includes the entries
    of what belongs to the object (an application's or a voucher's proposals, a voucher's
    redemptions, a program's pools)."""
    rows, cursor = history.object_history(session, history.ObjectRef.parse(object), page)
    return Page(items=[HistoryRowOut.of(r) for r in rows], next_cursor=cursor)


@admin_router.get(
    "/audit/sample",
    dependencies=rule(AUDIT_READ),
    response_model=SampleOut,
    responses=downloads(CSV, XLSX, json=True),
)
def audit_sample(
    session: SessionDep,
    seed: Annotated[int, Query(ge=0, le=MAX_ID, description="The same seed draws the same.")],
    n: Annotated[int, Query(ge=1, le=sampling.MAX_SAMPLE, description="How many records.")],
    program: Annotated[ProgramCode | None, Query(description="Program code.")] = None,
    date_from: Annotated[Day | None, Query(alias="from", description="First service day.")] = None,
    date_to: Annotated[Day | None, Query(alias="to", description="Last service day.")] = None,
    format: Literal["json", "csv", "xlsx"] = "json",
) -> SampleOut | Response:
    """A reproducible random sample of priced usage records with their evidence (voucher,
    redemption, rule version, corrections, postings, audit entries), for the third-party
    auditor: as JSON, or as CSV or XLSX with Chinese headers."""
    spec = sampling.SampleSpec(seed, n, program, date_from, date_to)
    found = sampling.sample(session, spec)
    if format == "json":
        return SampleOut.of(found)
    name = f"audit-sample-seed{seed}-n{n}.{format}"
    body, media = (
        (sample_xlsx(found), XLSX)
        if format == "xlsx"
        else (sample_csv(found), "text/csv; charset=utf-8")
    )
    return Response(
        body,
        media_type=media,
        headers={
            "Content-Disposition": f'attachment; filename="{name}"',
            "X-Sample-Population": str(found.population),
        },
    )
