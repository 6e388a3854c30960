"""Application endpoints: enterprises apply (for vouchers, and for measure 3's model
selection) and follow; reviewers work the queues."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Response, status
from sqlalchemy.orm import Session

from voucher_service.applications import queries, selection, service
from voucher_service.applications.schemas import (
    ApplicationIn,
    ApplicationOut,
    ApproveIn,
    BlacklistIn,
    BulkApproveIn,
    BulkDecisionIn,
    BulkDecisionOut,
    BulkResultOut,
    DecisionIn,
    SelectionIn,
    SelectionOut,
)
from voucher_service.auth.access import BUREAU_READ, ENTERPRISE_SELF, REVIEW, rule
from voucher_service.auth.proposals import pending
from voucher_service.db.tables.applications import (
    Application,
    ApplicationStatus,
    ModelSelection,
    SelectionStatus,
)
from voucher_service.db.tables.confirmations import ConfirmationKind
from voucher_service.deps import NowDep, PageDep, SessionDep, TodayDep
from voucher_service.domain.rules import SELECTION_FIELD_CODE
from voucher_service.enterprises.service import get_enterprise
from voucher_service.fields import USCC, Id, ProgramCode, Search, Year, parse_uscc_param
from voucher_service.pagination import Page, PageParams, sorted_pages
from voucher_service.programs.service import get_program
from voucher_service.routing import DatabaseRoute

admin_router = APIRouter(route_class=DatabaseRoute, tags=["applications (bureau)"])
enterprise_router = APIRouter(
    route_class=DatabaseRoute, tags=["my subsidy (enterprise)"], dependencies=rule(ENTERPRISE_SELF)
)


def _out(session: SessionDep, row: Application) -> ApplicationOut:
    return ApplicationOut.of(service.describe(session, [row])[0])


@enterprise_router.post("/{uscc}/applications", status_code=status.HTTP_201_CREATED)
def apply(
    uscc: USCC, body: ApplicationIn, session: SessionDep, today: TodayDep, now: NowDep
) -> ApplicationOut:
    """Apply for a voucher. The automatic checks answer at once, with their reasons."""
    enterprise = get_enterprise(session, parse_uscc_param(uscc))
    inp = body.to_input(get_program(session, body.program_code))
    return _out(session, service.submit(session, enterprise, inp, today=today, now=now))


@enterprise_router.get("/{uscc}/applications")
def my_applications(uscc: USCC, session: SessionDep, page: PageDep) -> Page[ApplicationOut]:
    query = queries.ApplicationQuery(status=None, enterprise=uscc)
    return Page.of(queries.find_applications(session, page, query), ApplicationOut.of)


@enterprise_router.get("/{uscc}/applications/{application_id}")
def my_application(uscc: USCC, application_id: Id, session: SessionDep) -> ApplicationOut:
    enterprise = get_enterprise(session, parse_uscc_param(uscc))
    return _out(
        session, service.get_application(session, application_id, enterprise_id=enterprise.id)
    )


@enterprise_router.post("/{uscc}/applications/{application_id}/resubmit")
def resubmit(
    uscc: USCC,
    application_id: Id,
    body: ApplicationIn,
    session: SessionDep,
    today: TodayDep,
    now: NowDep,
) -> ApplicationOut:
    """Resubmit a returned application with the changes asked for."""
    enterprise = get_enterprise(session, parse_uscc_param(uscc))
    row = service.get_application(session, application_id, enterprise_id=enterprise.id)
    inp = body.to_input(get_program(session, body.program_code))
    return _out(session, service.resubmit(session, row, enterprise, inp, today=today, now=now))


SEARCH_APPLICATIONS = "Part of the applicant's name or credit code, or of the program code."


@admin_router.get("/applications", dependencies=rule(BUREAU_READ))
def review_queue(
    session: SessionDep,
    page: Annotated[PageParams, Depends(sorted_pages(list(service.APPLICATION_SORTS)))],
    status: Annotated[ApplicationStatus | None, Query()] = ApplicationStatus.SUBMITTED,
    program: Annotated[ProgramCode | None, Query(description="Program code.")] = None,
    year: Year | None = None,
    eligible: bool | None = None,
    district_code: Annotated[str | None, Query(pattern=r"^\d{6}$")] = None,
    q: Annotated[Search | None, Query(description=SEARCH_APPLICATIONS)] = None,
) -> Page[ApplicationOut]:
    """The reviewers' queue: submitted applications by default, oldest first (``sort``:
    another order, with numbered pages and a total)."""
    query = queries.ApplicationQuery(status, program, year, eligible, district_code, q=q)
    return Page.of(queries.find_applications(session, page, query), ApplicationOut.of)


@admin_router.get("/applications/{application_id}", dependencies=rule(BUREAU_READ))
def get_application(application_id: Id, session: SessionDep) -> ApplicationOut:
    return _out(session, service.get_application(session, application_id))


@admin_router.post(
    "/applications/{application_id}/approve",
    dependencies=rule(REVIEW),
    responses={
        202: {
            "description": "Proposed: above the program's second-review amount, "
            "it waits for a second reviewer (awaiting_confirmation)."
        }
    },
)
def approve(
    application_id: Id,
    body: ApproveIn,
    response: Response,
    session: SessionDep,
    today: TodayDep,
    now: NowDep,
) -> ApplicationOut:
    """Approve: issues the voucher (for a smaller amount if given). Refused with nothing
    written if the checks no longer pass or the pool lacks the amount. Above the program's
    second-review amount it is a proposal (202) that a second reviewer confirms."""
    row = service.get_application(session, application_id)
    approved = service.approve(
        session, row, amount_fen=body.amount_yuan, reason=body.reason, today=today, now=now
    )
    out = _out(session, approved)
    waiting = pending(session, ConfirmationKind.APPROVE_APPLICATION, application_id)
    if waiting is not None:
        response.status_code, out.awaiting_confirmation = 202, waiting.id
    return out


def _decide_application(
    application_id: int,
    decide: Callable[..., Application],
    reason: str,
    session: Session,
    now: datetime,
) -> ApplicationOut:
    row = service.get_application(session, application_id)
    return _out(session, decide(session, row, reason=reason, now=now))


@admin_router.post("/applications/{application_id}/return", dependencies=rule(REVIEW))
def return_for_changes(
    application_id: Id, body: DecisionIn, session: SessionDep, now: NowDep
) -> ApplicationOut:
    return _decide_application(
        application_id, service.return_for_changes, body.reason, session, now
    )


@admin_router.post("/applications/{application_id}/reject", dependencies=rule(REVIEW))
def reject(
    application_id: Id, body: DecisionIn, session: SessionDep, now: NowDep
) -> ApplicationOut:
    return _decide_application(application_id, service.reject, body.reason, session, now)


@admin_router.post("/applications/approve-bulk", dependencies=rule(REVIEW))
def approve_bulk(
    body: BulkApproveIn, session: SessionDep, today: TodayDep, now: NowDep
) -> list[BulkResultOut]:
    """Approve a list; each approval stands or fails on its own."""
    outcomes = service.approve_many(session, body.ids, reason=body.reason, today=today, now=now)
    return [BulkResultOut.of(outcome) for outcome in outcomes]


@admin_router.post("/blacklist", status_code=status.HTTP_201_CREATED, dependencies=rule(REVIEW))
def add_to_blacklist(body: BlacklistIn, session: SessionDep) -> dict[str, Any]:
    """Bar an enterprise from applying (its existing vouchers are not touched)."""
    entry = service.blacklist(session, get_enterprise(session, body.uscc), reason=body.reason)
    return {"uscc": body.uscc, "reason": entry.reason, "created_at": entry.created_at}


def _selection_out(session: SessionDep, row: ModelSelection) -> SelectionOut:
    return SelectionOut.of(selection.describe(session, [row])[0])


@enterprise_router.post("/{uscc}/selections", status_code=status.HTTP_201_CREATED)
def apply_for_selection(
    uscc: USCC, body: SelectionIn, session: SessionDep, today: TodayDep, now: NowDep
) -> SelectionOut:
    """Apply to have a vertical-industry model selected (遴选) for a program's yearly batch
    (measure 3). The automatic checks answer at once."""
    enterprise = get_enterprise(session, parse_uscc_param(uscc))
    inp = body.to_input(get_program(session, body.program_code))
    return _selection_out(session, selection.apply(session, enterprise, inp, today=today, now=now))


@enterprise_router.get("/{uscc}/selections")
def my_selections(uscc: USCC, session: SessionDep, page: PageDep) -> Page[SelectionOut]:
    enterprise = get_enterprise(session, parse_uscc_param(uscc))
    views, cursor = selection.list_selections(session, page, enterprise_id=enterprise.id)
    return Page(items=[SelectionOut.of(v) for v in views], next_cursor=cursor)


@admin_router.get("/selections", dependencies=rule(BUREAU_READ))
def selection_queue(
    session: SessionDep,
    page: PageDep,
    status: Annotated[SelectionStatus | None, Query()] = SelectionStatus.SUBMITTED,
    program: Annotated[ProgramCode | None, Query(description="Program code.")] = None,
    year: Year | None = None,
    sector: Annotated[
        str | None, Query(pattern=SELECTION_FIELD_CODE, description="A selection field's code.")
    ] = None,
) -> Page[SelectionOut]:
    """The selection queue: submitted applications by default, oldest first."""
    program_id = get_program(session, program).id if program else None
    views, cursor = selection.list_selections(
        session, page, status=status, program_id=program_id, year=year, sector=sector
    )
    return Page(items=[SelectionOut.of(v) for v in views], next_cursor=cursor)


@admin_router.get("/selections/{selection_id}", dependencies=rule(BUREAU_READ))
def get_selection(selection_id: Id, session: SessionDep) -> SelectionOut:
    return _selection_out(session, selection.get_selection(session, selection_id))


def _decide(
    selection_id: Id,
    status: SelectionStatus,
    reason: str,
    session: Session,
    today: date,
    now: datetime,
) -> SelectionOut:
    row = selection.get_selection(session, selection_id)
    decided = selection.decide(session, row, status, reason=reason, today=today, now=now)
    return _selection_out(session, decided)


@admin_router.post("/selections/{selection_id}/select", dependencies=rule(REVIEW))
def select_model(
    selection_id: Id, body: DecisionIn, session: SessionDep, today: TodayDep, now: NowDep
) -> SelectionOut:
    """Select: the enterprise may be issued the program's vouchers of that year."""
    return _decide(selection_id, SelectionStatus.SELECTED, body.reason, session, today, now)


@admin_router.post("/selections/{selection_id}/decline", dependencies=rule(REVIEW))
def decline_model(
    selection_id: Id, body: DecisionIn, session: SessionDep, today: TodayDep, now: NowDep
) -> SelectionOut:
    """Decline, with a reason (required)."""
    return _decide(selection_id, SelectionStatus.DECLINED, body.reason, session, today, now)


@admin_router.post("/selections/decide-bulk", dependencies=rule(REVIEW))
def decide_bulk(
    body: BulkDecisionIn, session: SessionDep, today: TodayDep, now: NowDep
) -> list[BulkDecisionOut]:
    """A yearly batch: select (or decline) a list; each decision stands or fails on its own."""
    outcomes = selection.decide_many(
        session, body.ids, SelectionStatus(body.decision), reason=body.reason, today=today, now=now
    )
    return [BulkDecisionOut.of(outcome) for outcome in outcomes]
