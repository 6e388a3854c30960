"""The dispute queue (异议处理): providers' disputes of their usage records, oldest first
(``GET /v1/admin/disputes``, BUREAU_READ), one dispute with its record, and a reviewer's
decision (REVIEW): accept, naming the correction made through the ordinary paths (the
provider reposts under a new record id, or refunds by an adjustment), or decline with a
reason (``POST /v1/admin/disputes/{id}/accept|decline``). Same service calls as the API."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from sqlalchemy.orm import Session

from voucher_service.auth.access import BUREAU_READ, REVIEW
from voucher_service.console import pages
from voucher_service.console.auth import guard
from voucher_service.console.bureau.common import ListingPage, allows
from voucher_service.console.bureau.menu import BUREAU
from voucher_service.console.pages import act_then, describe, translator
from voucher_service.console.people.disputes import dispute_row, labels
from voucher_service.console.tables import Column, Filter
from voucher_service.console.templating import render
from voucher_service.db.tables.disputes import Correction, DisputeStatus
from voucher_service.deps import NowDep, PageDep, SessionDep
from voucher_service.disputes import service
from voucher_service.disputes.service import Decision
from voucher_service.errors import ServiceError
from voucher_service.pagination import PageParams
from voucher_service.routing import DatabaseRoute

router = APIRouter(route_class=DatabaseRoute)

DONE = {"accepted": "disputes.done_accepted", "declined": "disputes.done_declined"}
COLUMNS = (
    Column("id", "disputes.id", link="url"),
    Column("provider", "disputes.provider"),
    Column("record_id", "records.record_id", "code"),
    Column("record_outcome", "records.outcome", "status", prefix="usage.outcome."),
    Column("record_reason", "records.reason", "label", prefix="usage.reason."),
    Column("subsidy_fen", "records.subsidy", "money"),
    Column("reason", "disputes.reason"),
    Column("status", "disputes.status", "status", prefix="dispute.status."),
    Column("raised_at", "disputes.raised_at", "datetime"),
)
FILTERS = (
    Filter(
        "status",
        "disputes.status",
        [(s.value, f"dispute.status.{s.value}") for s in DisputeStatus],
    ),
)
LISTING = ListingPage("disputes", COLUMNS, FILTERS, row_key="id")
FORM_FIELDS = ("correction", "resolution", "correction_record_id", "decline_reason")


@router.get("/bureau/disputes", dependencies=[guard(BUREAU_READ)])
def disputes(
    request: Request, session: SessionDep, page: PageDep, status: DisputeStatus | None = None
) -> Any:
    """``GET /v1/admin/disputes``: the queue (``?status=open``) or every dispute."""

    def listing(params: PageParams) -> tuple[list[dict[str, Any]], str | None]:
        views, cursor = service.list_disputes(session, params, status=status)
        rows = [dispute_row(v) | {"url": f"{BUREAU}/disputes/{v.dispute.id}"} for v in views]
        return rows, cursor

    return LISTING.show(request, listing, page)


def _detail(
    request: Request,
    session: Session,
    dispute_id: int,
    error: ServiceError | None = None,
    form: dict[str, str] | None = None,
) -> Any:
    view = service.get_dispute(session, dispute_id)
    t = translator(request)
    return render(
        request,
        "bureau/dispute.html",
        status_code=error.status if error else 200,
        d=dispute_row(view),
        may_decide=allows(request, REVIEW) and view.dispute.status == DisputeStatus.OPEN,
        labels=labels(t, view.outcome, view.record_reason, view.dispute.correction),
        corrections=[(c.value, t(f"dispute.correction.{c.value}")) for c in Correction],
        form=dict.fromkeys(FORM_FIELDS, "") | (form or {}),
        error=describe(error, t) if error else None,
        notice=pages.notice(request, DONE),
    )


@router.get("/bureau/disputes/{dispute_id}", dependencies=[guard(BUREAU_READ)])
def dispute(dispute_id: int, request: Request, session: SessionDep) -> Any:
    """``GET /v1/admin/disputes/{id}``: the dispute, its record, and the decision forms."""
    return _detail(request, session, dispute_id)


def _decide(
    request: Request,
    session: Session,
    dispute_id: int,
    decision: Decision,
    now: Any,
    form: dict[str, str],
) -> Any:
    done = "accepted" if decision.accept else "declined"
    return act_then(
        session,
        lambda: service.decide(session, dispute_id, decision, now=now),
        f"{BUREAU}/disputes/{dispute_id}?done={done}",
        lambda refused: _detail(request, session, dispute_id, refused, form),
    )


@router.post("/bureau/disputes/{dispute_id}/accept", dependencies=[guard(REVIEW)])
def accept(
    dispute_id: int,
    request: Request,
    session: SessionDep,
    now: NowDep,
    correction: Annotated[Correction, Form()],
    resolution: Annotated[str, Form(max_length=1000)] = "",
    correction_record_id: Annotated[str, Form(max_length=128)] = "",
) -> Any:
    decision = Decision(True, resolution, correction, correction_record_id.strip() or None)
    form = {
        "correction": correction.value,
        "resolution": resolution,
        "correction_record_id": correction_record_id,
    }
    return _decide(request, session, dispute_id, decision, now, form)


@router.post("/bureau/disputes/{dispute_id}/decline", dependencies=[guard(REVIEW)])
def decline(
    dispute_id: int,
    request: Request,
    session: SessionDep,
    now: NowDep,
    reason: Annotated[str, Form(max_length=1000)] = "",
) -> Any:
    form = {"decline_reason": reason}
    return _decide(request, session, dispute_id, Decision(False, reason), now, form)
