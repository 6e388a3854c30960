"""Grants over HTTP (``/v1/admin/grants``): the bureau reads them (BUREAU_READ); a reviewer
(REVIEW) records an application, approves or rejects it, declares and accepts milestones;
a person of finance (FINANCE) who did not accept a milestone pays its instalment. A grants
program and its yearly budget (pool) are made as any program and pool are
(``/v1/admin/programs``, PROGRAM_ADMIN)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, status

from voucher_service.auth.access import BUREAU_READ, FINANCE, REVIEW, rule
from voucher_service.db.tables.grants import GrantStatus
from voucher_service.deps import NowDep, PageDep, SessionDep, TodayDep
from voucher_service.fields import Id, ProgramCode, Year
from voucher_service.grants import service
from voucher_service.grants.schemas import (
    GrantApply,
    GrantApprove,
    GrantOut,
    GrantReject,
    MilestoneIn,
    YearBudgetOut,
)
from voucher_service.pagination import Page
from voucher_service.routing import DatabaseRoute

admin_router = APIRouter(route_class=DatabaseRoute, tags=["grants (bureau)"])

StatusQuery = Annotated[GrantStatus | None, Query(description="applied, approved or rejected.")]


# A program named that spends its pools on vouchers has no grants to list or budget to show.
NOT_GRANTS: dict[int | str, dict[str, Any]] = {
    409: {"description": "The program named is funded as vouchers, not as grants (invalid_state)."}
}


@admin_router.get("/grants", dependencies=rule(BUREAU_READ), responses=NOT_GRANTS)
def list_grants(
    session: SessionDep,
    page: PageDep,
    program: Annotated[ProgramCode | None, Query(description="A grants program.")] = None,
    year: Annotated[Year | None, Query()] = None,
    status: StatusQuery = None,
) -> Page[GrantOut]:
    """Grants, oldest first: of a program and a year when given."""
    views, cursor = service.list_grants(
        session, page, program_code=program, year=year, status=status
    )
    return Page(items=[GrantOut.of(v) for v in views], next_cursor=cursor)


@admin_router.post("/grants", status_code=status.HTTP_201_CREATED, dependencies=rule(REVIEW))
def apply(body: GrantApply, session: SessionDep, today: TodayDep) -> GrantOut:
    """Record a project's application for a year's grant (the project is an enterprise
    already registered, by its credit code)."""
    return GrantOut.of(
        service.apply(
            session,
            program_code=body.program_code,
            year=body.year,
            uscc=body.uscc,
            title=body.title,
            asked_fen=body.asked_yuan,
            today=today,
        )
    )


@admin_router.get(
    "/grants/budgets/{code}/{year}", dependencies=rule(BUREAU_READ), responses=NOT_GRANTS
)
def year_budget(code: ProgramCode, year: Year, session: SessionDep) -> YearBudgetOut:
    """A grants program's year against its ceiling: approved, paid, held, remaining."""
    return YearBudgetOut.of(service.year_budget(session, code, year))


@admin_router.get("/grants/{grant_id}", dependencies=rule(BUREAU_READ))
def get_grant(grant_id: Id, session: SessionDep) -> GrantOut:
    return GrantOut.of(service.get_grant(session, grant_id))


@admin_router.post("/grants/{grant_id}/approve", dependencies=rule(REVIEW))
def approve(grant_id: Id, body: GrantApprove, session: SessionDep, now: NowDep) -> GrantOut:
    """Approve an amount (at most what was asked), held at once from the year's budget:
    refused (409 ``pool_insufficient``, nothing written) above the year's ceiling."""
    return GrantOut.of(
        service.approve(session, grant_id, amount_fen=body.amount_yuan, reason=body.reason, now=now)
    )


@admin_router.post("/grants/{grant_id}/reject", dependencies=rule(REVIEW))
def reject(grant_id: Id, body: GrantReject, session: SessionDep, now: NowDep) -> GrantOut:
    return GrantOut.of(service.reject(session, grant_id, reason=body.reason, now=now))


@admin_router.post(
    "/grants/{grant_id}/milestones",
    status_code=status.HTTP_201_CREATED,
    dependencies=rule(REVIEW),
)
def add_milestone(grant_id: Id, body: MilestoneIn, session: SessionDep) -> GrantOut:
    """Declare a milestone and its instalment; the milestones together stay within the
    approved amount (409 ``grant_exceeded``)."""
    return GrantOut.of(
        service.add_milestone(
            session, grant_id, description=body.description, amount_fen=body.amount_yuan
        )
    )


@admin_router.post("/grants/{grant_id}/milestones/{milestone_id}/accept", dependencies=rule(REVIEW))
def accept_milestone(grant_id: Id, milestone_id: Id, session: SessionDep, now: NowDep) -> GrantOut:
    """Accept a milestone's work: its instalment may then be paid."""
    return GrantOut.of(service.accept_milestone(session, grant_id, milestone_id, now=now))


@admin_router.post("/grants/{grant_id}/milestones/{milestone_id}/pay", dependencies=rule(FINANCE))
def pay_milestone(grant_id: Id, milestone_id: Id, session: SessionDep, now: NowDep) -> GrantOut:
    """Pay an accepted milestone's instalment through the ledger, by a person of finance
    who did not accept it (403 ``same_person``); never above the approved amount (409
    ``grant_exceeded``)."""
    return GrantOut.of(service.pay_milestone(session, grant_id, milestone_id, now=now))
