"""Measure 3's selection queue (算力模型遴选): the models enterprises put up for a program's
yearly batch, as ``GET /v1/admin/selections`` gives them (submitted ones unless another
status is asked for, oldest first); one opened with its automatic checks and its history;
select, or decline with a reason (``POST /v1/admin/selections/{id}/select``, ``.../decline``),
one by one or ticked in the list (``.../decide-bulk``). The same service calls as the API
(``applications.selection``), guarded by the same rules (reading: BUREAU_READ; deciding:
REVIEW)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Form, Query, Request
from sqlalchemy.orm import Session

from voucher_service.applications import selection
from voucher_service.applications.selection import BulkDecision, SelectionView
from voucher_service.auth.access import BUREAU_READ, REVIEW
from voucher_service.console.auth import guard
from voucher_service.console.bureau.common import ListingPage, allows, notice
from voucher_service.console.bureau.filters import status_options
from voucher_service.console.bureau.menu import BUREAU
from voucher_service.console.history import decided_by
from voucher_service.console.history import section as history_section
from voucher_service.console.pages import act_then, describe, translator
from voucher_service.console.tables import Column, Filter
from voucher_service.console.templating import render
from voucher_service.db.tables.applications import Sector, SelectionStatus
from voucher_service.deps import NowDep, PageDep, SessionDep, TodayDep
from voucher_service.errors import ServiceError
from voucher_service.pagination import PageParams
from voucher_service.programs.service import get_program
from voucher_service.routing import DatabaseRoute

router = APIRouter(route_class=DatabaseRoute)

SECTORS = tuple((s.value, f"sector.{s.value}") for s in Sector)
COLUMNS = (
    Column("id", "selections.id", link="url"),
    Column("enterprise_name", "selections.enterprise"),
    Column("uscc", "enterprises.uscc", "code"),
    Column("program_code", "applications.program", "code"),
    Column("year", "overview.year"),
    Column("model_name", "selections.model_name"),
    Column("sector", "selections.sector", "label", prefix="sector."),
    Column("checks", "applications.checks", "label", prefix="applications.checks_"),
    Column("status", "applications.status", "status"),
    Column("created_at", "applications.created_at", "datetime"),
)
FILTERS = (
    Filter(
        "status",
        "applications.status",
        status_options(s for s in SelectionStatus if s != SelectionStatus.SUBMITTED)
        + [("all", "filter.all")],
        blank="status.submitted",
    ),
    Filter("program", "applications.program"),
    Filter("year", "overview.year"),
    Filter("sector", "selections.sector", SECTORS),
)
STATUSES = "^(" + "|".join([*SelectionStatus, "all"]) + ")$"
LISTING = ListingPage("selections", COLUMNS, FILTERS, row_key="id")
VERBS: dict[str, tuple[SelectionStatus, str]] = {
    "select": (SelectionStatus.SELECTED, "selected"),
    "decline": (SelectionStatus.DECLINED, "declined"),
}


def row_of(view: SelectionView) -> dict[str, Any]:
    s = view.selection
    return {
        "id": s.id,
        "url": f"{BUREAU}/selections/{s.id}",
        "enterprise_name": view.enterprise_name,
        "uscc": view.uscc,
        "program_code": view.program_code,
        "year": s.year,
        "model_name": s.model_name,
        "sector": s.sector,
        "checks": "passed" if s.eligible else "failed",
        "status": s.status,
        "created_at": s.created_at,
    }


@router.get("/bureau/selections", dependencies=[guard(BUREAU_READ)])
def queue(
    request: Request,
    session: SessionDep,
    page: PageDep,
    status: Annotated[str | None, Query(pattern=STATUSES)] = None,
    program: Annotated[str | None, Query(max_length=40)] = None,
    year: Annotated[int | None, Query(ge=2000, le=2100)] = None,
    sector: Sector | None = None,
) -> Any:
    """The queue: submitted selections unless another status (or all) is asked for."""
    chosen = None if status == "all" else SelectionStatus(status or SelectionStatus.SUBMITTED)
    return _queue(request, session, page, chosen, program or None, year, sector)


def _queue(
    request: Request,
    session: Session,
    page: PageParams,
    status: SelectionStatus | None,
    program: str | None = None,
    year: int | None = None,
    sector: Sector | None = None,
    *,
    results: list[dict[str, Any]] | None = None,
) -> Any:
    program_id = get_program(session, program).id if program else None

    def listing(params: PageParams) -> tuple[list[dict[str, Any]], str | None]:
        views, cursor = selection.list_selections(
            session, params, status=status, program_id=program_id, year=year, sector=sector
        )
        return [row_of(v) for v in views], cursor

    may_decide = allows(request, REVIEW)
    return LISTING.show(
        request,
        listing,
        page,
        select_form="bulk" if may_decide and status == SelectionStatus.SUBMITTED else "",
        may_decide=may_decide,
        results=results,
    )


@router.post("/bureau/selections/decide-bulk", dependencies=[guard(REVIEW)])
def decide_bulk(
    request: Request,
    session: SessionDep,
    today: TodayDep,
    now: NowDep,
    ids: Annotated[list[int], Form(max_length=500)],
    decision: Annotated[Literal["select", "decline"], Form()],
    reason: Annotated[str, Form(max_length=1000)] = "",
) -> Any:
    """``POST /v1/admin/selections/decide-bulk``: each decision stands or fails on its own;
    the queue comes back with what became of each."""
    status, _ = VERBS[decision]
    outcomes = selection.decide_many(session, ids, status, reason=reason, today=today, now=now)
    t = translator(request)
    results = [_result(o, t) for o in outcomes]
    return _queue(request, session, PageParams(), SelectionStatus.SUBMITTED, results=results)


def _result(outcome: BulkDecision, t: Any) -> dict[str, Any]:
    if outcome.decided is not None:
        status = outcome.decided.selection.status
        return {"id": outcome.selection_id, "ok": True, "text": t(f"status.{status}")}
    assert outcome.error is not None
    return {"id": outcome.selection_id, "ok": False, "text": describe(outcome.error, t)}


def _detail(
    request: Request,
    session: Session,
    selection_id: int,
    *,
    error: ServiceError | None = None,
    reason: str = "",
) -> Any:
    [view] = selection.describe(session, [selection.get_selection(session, selection_id)])
    t = translator(request)
    entries = history_section(session, t, "model_selection", selection_id)
    s = view.selection
    return render(
        request,
        "bureau/selection.html",
        status_code=error.status if error else 200,
        view=view,
        s=s,
        decider=decided_by(entries, t, decided=s.decided_at is not None),
        may_decide=allows(request, REVIEW) and s.status == SelectionStatus.SUBMITTED,
        error=describe(error, t) if error else None,
        reason=reason,
        notice=notice(request),
        object_history=entries,
    )


@router.get("/bureau/selections/{selection_id}", dependencies=[guard(BUREAU_READ)])
def selection_page(selection_id: int, request: Request, session: SessionDep) -> Any:
    """``GET /v1/admin/selections/{id}``: the model, its checks, the decision, its history."""
    return _detail(request, session, selection_id)


@router.post("/bureau/selections/{selection_id}/{verb}", dependencies=[guard(REVIEW)])
def decide(
    selection_id: int,
    verb: Literal["select", "decline"],
    request: Request,
    session: SessionDep,
    today: TodayDep,
    now: NowDep,
    reason: Annotated[str, Form(max_length=1000)] = "",
) -> Any:
    """Select, or decline with a reason (required): the form again with the refusal, or back
    to the selection with a notice."""
    status, done = VERBS[verb]

    def act() -> None:
        row = selection.get_selection(session, selection_id)
        selection.decide(session, row, status, reason=reason, today=today, now=now)

    return act_then(
        session,
        act,
        f"{BUREAU}/selections/{selection_id}?done={done}",
        lambda refused: _detail(request, session, selection_id, error=refused, reason=reason),
    )
