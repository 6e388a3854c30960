"""The application queue (申请审核): the queue with its filters, an application with its
automatic checks and flags, and the reviewer's decisions — approve (for less, if need be),
return for changes, reject, and approve in bulk. Each page and form is guarded by the rule of
its API endpoint (reading: BUREAU_READ; deciding: REVIEW) and calls the same service
function (``applications.service``), so the audit log names the person who decided."""

from __future__ import annotations

from typing import Annotated, Any, Literal
from urllib.parse import quote, unquote, urlencode

from fastapi import APIRouter, Depends, Form, Query, Request
from sqlalchemy.orm import Session

from voucher_service.applications import service
from voucher_service.applications.queries import ApplicationQuery, find_applications
from voucher_service.applications.service import APPLICATION_SORTS, ApplicationView, BulkOutcome
from voucher_service.auth.access import BUREAU_READ, REVIEW
from voucher_service.auth.proposals import pending
from voucher_service.console.auth import guard
from voucher_service.console.bureau.common import ListingPage, allows, notice
from voucher_service.console.bureau.filters import (
    DISTRICT_FILTER,
    SEARCH_COMPANIES,
    YES_NO,
    amount_fen,
    status_options,
)
from voucher_service.console.bureau.menu import BUREAU
from voucher_service.console.history import decided_by
from voucher_service.console.history import section as history_section
from voucher_service.console.i18n import language_of
from voucher_service.console.pages import attempt, describe, redirect, translator
from voucher_service.console.tables import Column, Filter
from voucher_service.console.templating import render
from voucher_service.console.viewer import CONSOLE
from voucher_service.db.tables.applications import Application, ApplicationStatus
from voucher_service.db.tables.confirmations import ConfirmationKind
from voucher_service.deps import NowDep, SessionDep, TodayDep
from voucher_service.error_language import say
from voucher_service.errors import ErrorCode, ServiceError
from voucher_service.fields import Search
from voucher_service.materials import service as materials
from voucher_service.notices import service as notices
from voucher_service.pagination import PageParams, Slice, sorted_pages
from voucher_service.routing import DatabaseRoute

router = APIRouter(route_class=DatabaseRoute)

COLUMNS = (
    Column("id", "applications.id", link="url", sort="id"),
    Column("program_code", "applications.program", "code"),
    Column("year", "overview.year", sort="year"),
    Column("enterprise_name", "names.enterprise", sort="enterprise"),
    Column("uscc", "enterprises.uscc", "code"),
    Column("size_class", "applications.size_class", "label", prefix="size."),
    Column("requested_fen", "applications.requested", "money", sort="requested"),
    Column("approved_fen", "applications.approved", "money"),
    Column("checks", "applications.checks", "label", prefix="applications.checks_"),
    Column("flags", "applications.flags", "number"),
    Column("status", "applications.status", "status", sort="status"),
    Column("created_at", "applications.created_at", "datetime", sort="submitted_at"),
)
STATUS_FILTER = Filter(
    "status",
    "applications.status",
    status_options(s for s in ApplicationStatus if s != ApplicationStatus.SUBMITTED)
    + [("all", "filter.all")],
    blank="status.submitted",
)
STATUSES = "^(" + "|".join([*ApplicationStatus, "all"]) + ")$"
FILTERS = (
    SEARCH_COMPANIES,
    STATUS_FILTER,
    Filter("program", "applications.program"),
    Filter("year", "overview.year"),
    Filter("eligible", "applications.checks", YES_NO),
    DISTRICT_FILTER,
)
LISTING = ListingPage("applications", COLUMNS, FILTERS, row_key="id")


def row_of(view: ApplicationView) -> dict[str, Any]:
    a = view.application
    return {
        "id": a.id,
        "url": f"{BUREAU}/applications/{a.id}",
        "program_code": view.program_code,
        "year": a.year,
        "uscc": view.uscc,
        "enterprise_name": view.enterprise_name,
        "size_class": a.size_class,
        "requested_fen": a.requested_fen,
        "approved_fen": a.approved_fen,
        "checks": "passed" if a.eligible else "failed",
        "flags": len(view.flags),
        "status": a.status,
        "created_at": a.created_at,
    }


async def queue_filters(
    status: Annotated[str | None, Query(pattern=STATUSES)] = None,
    program: Annotated[str | None, Query(max_length=40)] = None,
    year: Annotated[int | None, Query(ge=2000, le=2100)] = None,
    eligible: bool | None = None,
    district_code: Annotated[str | None, Query(pattern=r"^\d{6}$")] = None,
    q: Annotated[Search | None, Query()] = None,
) -> ApplicationQuery:
    chosen = None if status == "all" else ApplicationStatus(status or ApplicationStatus.SUBMITTED)
    return ApplicationQuery(chosen, program or None, year, eligible, district_code, q=q or None)


QueuePage = Annotated[PageParams, Depends(sorted_pages(list(APPLICATION_SORTS)))]


@router.get("/bureau/applications", dependencies=[guard(BUREAU_READ)])
def queue(
    request: Request,
    session: SessionDep,
    page: QueuePage,
    filters: Annotated[ApplicationQuery, Depends(queue_filters)],
) -> Any:
    """The queue as ``GET /v1/admin/applications`` gives it: submitted ones unless another
    status (or all) is asked for, oldest first."""
    return _queue(request, session, page, filters)


def _queue(
    request: Request,
    session: Session,
    page: PageParams,
    filters: ApplicationQuery,
    *,
    results: list[dict[str, Any]] | None = None,
) -> Any:
    def listing(params: PageParams) -> Slice[dict[str, Any]]:
        return find_applications(session, params, filters).map(row_of)

    may_decide = allows(request, REVIEW)
    bulk = may_decide and filters.status == ApplicationStatus.SUBMITTED
    return LISTING.show(
        request,
        listing,
        page,
        select_form="bulk" if bulk else "",
        may_decide=may_decide,
        results=results,
    )


@router.post("/bureau/applications/approve-bulk", dependencies=[guard(REVIEW)])
def approve_bulk(
    request: Request,
    session: SessionDep,
    today: TodayDep,
    now: NowDep,
    ids: Annotated[list[int], Form(max_length=500)],
    reason: Annotated[str, Form(max_length=1000)] = "",
) -> Any:
    """``POST /v1/admin/applications/approve-bulk``: each stands or fails on its own; the
    queue comes back with what became of each."""
    outcomes = service.approve_many(session, ids, reason=reason, today=today, now=now)
    t = translator(request)
    results = [_result(o, t) for o in outcomes]
    return _queue(request, session, PageParams(), ApplicationQuery(), results=results)


def _result(outcome: BulkOutcome, t: Any) -> dict[str, Any]:
    if outcome.approved is not None:
        code = outcome.approved.voucher_code
        return {
            "id": outcome.application_id,
            "ok": True,
            "text": t("applications.bulk_ok", code=code),
        }
    assert outcome.error is not None
    return {"id": outcome.application_id, "ok": False, "text": describe(outcome.error, t)}


def paperwork_section(session: Session, row: Application) -> dict[str, Any]:
    """The application's materials (with download links) and the objections to it."""
    assert row.id is not None
    return {
        "materials": materials.materials_of(session, materials.Owner.of_application(row)),
        "download_base": f"{CONSOLE}/bureau/applications/{row.id}/materials",
        "objections": notices.list_objections(session, application_id=row.id),
    }


def _may_review(request: Request) -> dict[str, bool]:
    return {"allows_review": allows(request, REVIEW)}


def _detail(
    request: Request,
    session: Session,
    application_id: int,
    *,
    error: ServiceError | None = None,
    form: dict[str, str] | None = None,
    status: int | None = None,
) -> Any:
    view = service.describe(session, [service.get_application(session, application_id)])[0]
    t = translator(request)
    entries = history_section(session, t, "application", application_id)
    return render(
        request,
        "bureau/application.html",
        status_code=status or (error.status if error else 200),
        view=view,
        a=view.application,
        may_decide=allows(request, REVIEW)
        and view.application.status == ApplicationStatus.SUBMITTED,
        error=describe(error, t) if error else None,
        form=form or {"amount": "", "reason": ""},
        notice=notice(request),
        object_history=entries,
        decider=decided_by(entries, t, decided=view.application.decided_at is not None),
        **paperwork_section(session, view.application),
        **_may_review(request),
    )


@router.get("/bureau/applications/{application_id}", dependencies=[guard(BUREAU_READ)])
def application(
    application_id: int,
    request: Request,
    session: SessionDep,
    refused: Annotated[ErrorCode | None, Query()] = None,
    amount: Annotated[str, Query(max_length=40)] = "",
    reason: Annotated[str, Query(max_length=1000)] = "",
) -> Any:
    """An application as ``GET /v1/admin/applications/{id}`` gives it: its checks, flags,
    what it asks for and what became of it; after a refused decision (``?refused=<code>``)
    the refusal, with the form as it was filled in."""
    if refused is None:
        return _detail(request, session, application_id)
    message = unquote(request.cookies.get(REFUSAL_COOKIE, ""))  # already said, as refused
    error = ServiceError(message, code=refused)
    form = {"amount": amount, "reason": reason}
    page = _detail(request, session, application_id, error=error, form=form, status=200)
    page.delete_cookie(REFUSAL_COOKIE, path=request.url.path)
    return page


REFUSAL_COOKIE = "vs_refused"


@router.post("/bureau/applications/{application_id}/approve", dependencies=[guard(REVIEW)])
def approve(
    application_id: int,
    request: Request,
    session: SessionDep,
    today: TodayDep,
    now: NowDep,
    amount: Annotated[str, Form(max_length=40)] = "",
    reason: Annotated[str, Form(max_length=1000)] = "",
) -> Any:
    """Approve, issuing the voucher — for ``amount`` yuan if given (approve for less)."""

    def act() -> None:
        row = service.get_application(session, application_id)
        fen = amount_fen(amount) if amount.strip() else None
        service.approve(session, row, amount_fen=fen, reason=reason, today=today, now=now)

    waits = pending(session, ConfirmationKind.APPROVE_APPLICATION, application_id) is not None
    done = _decided(request, session, application_id, act, "approved", amount, reason)
    if not waits and pending(session, ConfirmationKind.APPROVE_APPLICATION, application_id):
        return redirect(f"{BUREAU}/applications/{application_id}?done=proposed")
    return done


DECLINES = {
    "return": (service.return_for_changes, "returned"),
    "reject": (service.reject, "rejected"),
}


@router.post("/bureau/applications/{application_id}/{verb}", dependencies=[guard(REVIEW)])
def decline(
    application_id: int,
    verb: Literal["return", "reject"],
    request: Request,
    session: SessionDep,
    now: NowDep,
    reason: Annotated[str, Form(max_length=1000)] = "",
) -> Any:
    """Return for changes or reject (``POST /v1/admin/applications/{id}/return``, ``.../reject``):
    a reason is required."""
    decide, done = DECLINES[verb]

    def act() -> None:
        decide(session, service.get_application(session, application_id), reason=reason, now=now)

    return _decided(request, session, application_id, act, done, "", reason)


def _decided(
    request: Request,
    session: Session,
    application_id: int,
    act: Any,
    done: str,
    amount: str,
    reason: str,
) -> Any:
    """After a decision: back to the application with a notice, or the form again with the
    refusal (nothing of the refused call is kept: it ran in a savepoint)."""
    refused = attempt(session, act)
    if refused is not None:
        # Post/redirect/get: a refresh of the page shown asks again, never re-submits.
        kept = {"refused": refused.code.value, "amount": amount, "reason": reason}
        query = urlencode({k: v for k, v in kept.items() if v})
        path = f"{BUREAU}/applications/{application_id}"
        response = redirect(f"{path}?{query}")
        # The refusal's own words ride in a one-minute cookie of that page, never in the
        # URL (a link could put any text there).
        response.set_cookie(
            REFUSAL_COOKIE,
            # said in the page's language now: the page shows it as it is
            quote(say(refused.template, refused.params, language_of(request))[:500]),
            max_age=60,
            path=path,
            httponly=True,
            samesite="strict",
        )
        return response
    return redirect(f"{BUREAU}/applications/{application_id}?done={done}")
