"""The checker's queue (待复核): proposals waiting for a second reviewer — an approval or a
revocation above the program's second-review amount — with who proposed what and the
difference it makes; confirm or reject another's, withdraw one's own. Guarded like ``GET
/v1/admin/confirmations`` (reading BUREAU_READ) and its ``confirm``, ``reject`` and
``withdraw`` (REVIEW), calling the same service functions (``confirmations.service``)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Request

from voucher_service.auth.access import BUREAU_READ, REVIEW
from voucher_service.auth.service import Caller
from voucher_service.confirmations import service
from voucher_service.console.auth import guard
from voucher_service.console.bureau.common import allows, notice, translator
from voucher_service.console.bureau.menu import BUREAU
from voucher_service.console.pages import attempt, describe, redirect
from voucher_service.console.templating import render
from voucher_service.deps import NowDep, SessionDep, TodayDep
from voucher_service.errors import ServiceError
from voucher_service.routing import DatabaseRoute

router = APIRouter(route_class=DatabaseRoute)
PAGE = f"{BUREAU}/confirmations"


def _page(
    request: Request, session: SessionDep, caller: Caller, error: ServiceError | None = None
) -> Any:
    views = service.waiting(session, None)
    return render(
        request,
        "bureau/confirmations.html",
        status_code=error.status if error else 200,
        items=views,
        me=caller.principal_id,
        may_decide=allows(request, REVIEW),
        error=describe(error, translator(request)) if error else None,
        notice=notice(request),
    )


@router.get("/bureau/confirmations")
def queue(
    request: Request, session: SessionDep, caller: Annotated[Caller, guard(BUREAU_READ)]
) -> Any:
    """Every pending proposal, oldest first: another's to confirm or reject, one's own to
    withdraw."""
    return _page(request, session, caller)


@router.post("/bureau/confirmations/{confirmation_id}/{verb}")
def decide(
    confirmation_id: int,
    verb: Literal["confirm", "reject", "withdraw"],
    request: Request,
    session: SessionDep,
    today: TodayDep,
    now: NowDep,
    caller: Annotated[Caller, guard(REVIEW)],
) -> Any:
    """``POST /v1/admin/confirmations/{id}/confirm`` (``reject``, ``withdraw``)."""

    def act() -> None:
        if verb == "confirm":
            service.confirm(session, confirmation_id, today=today, now=now)
        elif verb == "reject":
            service.reject(session, confirmation_id, now=now)
        else:
            service.withdraw(session, confirmation_id, now=now)

    refused = attempt(session, act)
    if refused is not None:
        return _page(request, session, caller, refused)
    return redirect(f"{PAGE}?done={DONE[verb]}")


DONE = {"confirm": "confirmed", "reject": "proposal_rejected", "withdraw": "withdrawn"}
