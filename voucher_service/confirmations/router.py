"""The checker's queue: what waits for a second person, and confirming, rejecting or
withdrawing it (the proposer only withdraws). A reviewer checks approvals and revocations, a
program administrator pools, rule versions, top-up layers and second-review amounts; the
service refuses anyone else (``auth.proposals.DUTY_OF``)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from voucher_service.auth.access import BUREAU_READ, CHECK, allow, rule
from voucher_service.auth.schemas import ConfirmationOut
from voucher_service.auth.service import Caller
from voucher_service.confirmations import service
from voucher_service.deps import NowDep, SessionDep, TodayDep
from voucher_service.fields import Id
from voucher_service.pagination import Page
from voucher_service.routing import DatabaseRoute

admin_router = APIRouter(route_class=DatabaseRoute, tags=["confirmations (maker-checker)"])


@admin_router.get("/confirmations")
def list_confirmations(
    session: SessionDep,
    caller: Annotated[Caller, allow(BUREAU_READ)],
    everyone: Annotated[
        bool, Query(description="Every pending proposal, not only those I may confirm.")
    ] = False,
) -> Page[ConfirmationOut]:
    """What waits for a second person: by default, what the caller may confirm (others'
    proposals), oldest first, with who proposed what and the difference it makes."""
    views = service.waiting(session, None if everyone else caller.principal_id)
    return Page(items=[ConfirmationOut.of(v) for v in views])


def _one(session: SessionDep, confirmation_id: int) -> ConfirmationOut:
    return ConfirmationOut.of(service.view(session, confirmation_id))


@admin_router.post("/confirmations/{confirmation_id}/confirm", dependencies=rule(CHECK))
def confirm(
    confirmation_id: Id, session: SessionDep, today: TodayDep, now: NowDep
) -> ConfirmationOut:
    """A second person with the proposal's duty (never the proposer) confirms: the action is
    done now, or refused with nothing written if it no longer holds."""
    service.confirm(session, confirmation_id, today=today, now=now)
    return _one(session, confirmation_id)


@admin_router.post("/confirmations/{confirmation_id}/reject", dependencies=rule(CHECK))
def reject(confirmation_id: Id, session: SessionDep, now: NowDep) -> ConfirmationOut:
    """A second person with the proposal's duty refuses it: nothing is done."""
    service.reject(session, confirmation_id, now=now)
    return _one(session, confirmation_id)


@admin_router.post("/confirmations/{confirmation_id}/withdraw", dependencies=rule(CHECK))
def withdraw(confirmation_id: Id, session: SessionDep, now: NowDep) -> ConfirmationOut:
    """The proposer takes the proposal back: nothing is done."""
    service.withdraw(session, confirmation_id, now=now)
    return _one(session, confirmation_id)
