"""Grants (项目资助): a grants program's year against its ceiling — approved, paid, held and
left to approve (``GET /v1/admin/grants/budgets/{code}/{year}``) — with its grants
(``GET /v1/admin/grants``, BUREAU_READ), and one grant with its milestones and the actions
its people may take: approve or reject, declare and accept a milestone (REVIEW), pay an
accepted milestone's instalment (FINANCE). Same service calls as the API."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from sqlalchemy.orm import Session

from voucher_service.auth.access import BUREAU_READ, FINANCE, REVIEW
from voucher_service.console import pages
from voucher_service.console.auth import guard
from voucher_service.console.bureau.common import allows
from voucher_service.console.bureau.menu import BUREAU
from voucher_service.console.formatting import fen_from_display
from voucher_service.console.pages import attempt, describe, redirect, translator
from voucher_service.console.templating import render
from voucher_service.deps import NowDep, PageDep, SessionDep, TodayDep
from voucher_service.errors import ErrorCode, InvalidInput, NotFound, ServiceError
from voucher_service.grants import service
from voucher_service.money import MoneyError
from voucher_service.routing import DatabaseRoute

router = APIRouter(route_class=DatabaseRoute)
DONE = {"saved": "grants.done"}


@router.get("/bureau/grants", dependencies=[guard(BUREAU_READ)])
def grants(
    request: Request,
    session: SessionDep,
    page: PageDep,
    today: TodayDep,
    program: str | None = None,
    year: int | None = None,
) -> Any:
    """A grants program's year (the first program and this year unless chosen)."""
    programs = service.grants_programs(session)
    code = program or (programs[0].code if programs else None)
    year = year or today.year
    budget: service.YearBudget | None = None
    rows: list[service.GrantView] = []
    cursor: str | None = None
    error: str | None = None
    if code is not None:
        try:
            budget = service.year_budget(session, code, year)
            rows, cursor = service.list_grants(session, page, program_code=code, year=year)
        except NotFound as exc:
            error = describe(exc, translator(request))
    return render(
        request,
        "bureau/grants.html",
        programs=[p.code for p in programs],
        code=code,
        year=year,
        budget=budget,
        grants=rows,
        next_cursor=cursor,
        error=error,
        notice=None,
    )


def _detail(
    request: Request, session: Session, grant_id: int, error: ServiceError | None = None
) -> Any:
    view = service.get_grant(session, grant_id)
    return render(
        request,
        "bureau/grant.html",
        status_code=error.status if error else 200,
        v=view,
        g=view.grant,
        may_review=allows(request, REVIEW),
        may_pay=allows(request, FINANCE),
        error=describe(error, translator(request)) if error else None,
        notice=pages.notice(request, DONE),
    )


@router.get("/bureau/grants/{grant_id}", dependencies=[guard(BUREAU_READ)])
def grant(grant_id: int, request: Request, session: SessionDep) -> Any:
    """``GET /v1/admin/grants/{id}``: the grant, its milestones and the actions."""
    return _detail(request, session, grant_id)


def _fen(amount: str) -> int:
    """An amount as a person types it (``1,500,000.00`` understood), refused as the service
    refuses it (422 ``invalid_amount``)."""
    try:
        return fen_from_display(amount)
    except MoneyError as exc:
        raise InvalidInput(exc.template, code=ErrorCode.INVALID_AMOUNT, **exc.params) from exc


def _act(request: Request, session: Session, grant_id: int, action: Callable[[], Any]) -> Any:
    refused = attempt(session, action)
    if refused is not None:
        return _detail(request, session, grant_id, refused)
    return redirect(f"{BUREAU}/grants/{grant_id}?done=saved")


Amount = Annotated[str, Form(max_length=32)]
Reason = Annotated[str, Form(max_length=1000)]


@router.post("/bureau/grants/{grant_id}/approve", dependencies=[guard(REVIEW)])
def approve(
    grant_id: int,
    request: Request,
    session: SessionDep,
    now: NowDep,
    amount: Amount = "",
    reason: Reason = "",
) -> Any:
    return _act(
        request,
        session,
        grant_id,
        lambda: service.approve(session, grant_id, amount_fen=_fen(amount), reason=reason, now=now),
    )


@router.post("/bureau/grants/{grant_id}/reject", dependencies=[guard(REVIEW)])
def reject(
    grant_id: int, request: Request, session: SessionDep, now: NowDep, reason: Reason = ""
) -> Any:
    return _act(
        request,
        session,
        grant_id,
        lambda: service.reject(session, grant_id, reason=reason, now=now),
    )


@router.post("/bureau/grants/{grant_id}/milestones", dependencies=[guard(REVIEW)])
def add_milestone(
    grant_id: int,
    request: Request,
    session: SessionDep,
    description: Annotated[str, Form(max_length=500)] = "",
    amount: Amount = "",
) -> Any:
    return _act(
        request,
        session,
        grant_id,
        lambda: service.add_milestone(
            session, grant_id, description=description, amount_fen=_fen(amount)
        ),
    )


@router.post(
    "/bureau/grants/{grant_id}/milestones/{milestone_id}/accept", dependencies=[guard(REVIEW)]
)
def accept(
    grant_id: int, milestone_id: int, request: Request, session: SessionDep, now: NowDep
) -> Any:
    return _act(
        request,
        session,
        grant_id,
        lambda: service.accept_milestone(session, grant_id, milestone_id, now=now),
    )


@router.post(
    "/bureau/grants/{grant_id}/milestones/{milestone_id}/pay", dependencies=[guard(FINANCE)]
)
def pay(
    grant_id: int, milestone_id: int, request: Request, session: SessionDep, now: NowDep
) -> Any:
    return _act(
        request,
        session,
        grant_id,
        lambda: service.pay_milestone(session, grant_id, milestone_id, now=now),
    )
