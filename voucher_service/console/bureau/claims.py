"""The claims queue (事后补助申报): enterprises' claims after payment in reimbursement
programs, oldest first (``GET /v1/admin/claims``, BUREAU_READ; ``?format=csv|xlsx``: the
whole filtered list as a file), one claim with its invoices, and the decisions: a reviewer
(REVIEW) approves each invoice in full or in part or rejects the claim, and corrects an
approved one; finance (FINANCE) pays it (``POST /v1/admin/claims/{id}/...``); the claim's
documents (contract, invoices, proof of payment) with download links. Same service calls as
the API."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from sqlalchemy.orm import Session

from voucher_service.auth.access import BUREAU_READ, FINANCE, REVIEW
from voucher_service.claims import service
from voucher_service.claims.service import ClaimQuery, ClaimView, InvoiceDecision
from voucher_service.console import pages
from voucher_service.console.auth import guard
from voucher_service.console.bureau.common import ListingPage, allows
from voucher_service.console.bureau.menu import BUREAU
from voucher_service.console.pages import attempt, describe, redirect, translator
from voucher_service.console.people.forms import plain_yuan
from voucher_service.console.tables import Column, Filter
from voucher_service.console.templating import render
from voucher_service.db.tables.claims import ClaimStatus
from voucher_service.deps import NowDep, SessionDep
from voucher_service.errors import ErrorCode, InvalidInput, ServiceError
from voucher_service.materials import service as materials
from voucher_service.materials.files import download_response
from voucher_service.money import MoneyError, yuan_to_fen
from voucher_service.pagination import PageParams, sorted_pages
from voucher_service.routing import DatabaseRoute

router = APIRouter(route_class=DatabaseRoute)

DONE = {
    "approved": "claims.done_approved",
    "rejected": "claims.done_rejected",
    "corrected": "claims.done_corrected",
    "paid": "claims.done_paid",
}
COLUMNS = (
    Column("id", "claims.id", link="url"),
    Column("enterprise_name", "claims.enterprise"),
    Column("program_code", "claims.program", "code"),
    Column("period", "claims.period"),
    Column("claimed_fen", "claims.claimed", "money", sort="claimed"),
    Column("approved_fen", "claims.approved", "money"),
    Column("subsidy_fen", "claims.subsidy", "money"),
    Column("status", "claims.status", "status", prefix="claim.status."),
    Column("submitted_at", "claims.submitted_at", "datetime", sort="submitted_at"),
)
FILTERS = (
    Filter("status", "claims.status", [(s.value, f"claim.status.{s.value}") for s in ClaimStatus]),
    Filter("q", "claims.search", hint="claims.search_hint"),
)
LISTING = ListingPage("claims", COLUMNS, FILTERS, row_key="id")
QueuePage = Annotated[PageParams, Depends(sorted_pages(list(service.CLAIM_SORTS)))]


def claim_row(view: ClaimView) -> dict[str, Any]:
    """A claim as the console's tables show it."""
    claim = view.claim
    return {
        "id": claim.id,
        "enterprise_name": view.enterprise_name,
        "enterprise_uscc": view.enterprise_uscc,
        "program_code": view.program_code,
        "period": f"{claim.period_start} – {claim.period_end}",
        "claimed_fen": claim.claimed_fen,
        "approved_fen": claim.approved_fen,
        "subsidy_fen": claim.subsidy_fen,
        "paid_fen": claim.paid_fen,
        "payable_fen": view.payable_fen,
        "status": claim.status,
        "submitted_at": claim.submitted_at,
    }


@router.get("/bureau/claims", dependencies=[guard(BUREAU_READ)])
def claims(
    request: Request,
    session: SessionDep,
    page: QueuePage,
    status: ClaimStatus | None = None,
    q: str | None = None,
) -> Any:
    """``GET /v1/admin/claims``: the queue (``?status=submitted``) or every claim."""
    query = ClaimQuery(status=status, q=(q or "")[:100] or None)

    def listing(params: PageParams) -> Any:
        found = service.find_claims(session, params, query)
        return found.map(lambda v: claim_row(v) | {"url": f"{BUREAU}/claims/{v.claim.id}"})

    return LISTING.show(request, listing, page)


def _detail(
    request: Request, session: Session, claim_id: int, error: ServiceError | None = None
) -> Any:
    view = service.get_claim(session, claim_id)
    t = translator(request)
    status = view.claim.status
    return render(
        request,
        "bureau/claim.html",
        status_code=error.status if error else 200,
        c=claim_row(view),
        view=view,
        materials=materials.materials_of(session, materials.Owner.of_claim(view.claim)),
        download_base=f"{BUREAU}/claims/{claim_id}/materials",
        may_decide=allows(request, REVIEW) and status == ClaimStatus.SUBMITTED,
        may_correct=allows(request, REVIEW) and status in (ClaimStatus.APPROVED, ClaimStatus.PAID),
        may_pay=allows(request, FINANCE) and status == ClaimStatus.APPROVED,
        error=describe(error, t) if error else None,
        notice=pages.notice(request, DONE),
    )


@router.get("/bureau/claims/{claim_id}", dependencies=[guard(BUREAU_READ)])
def claim(claim_id: int, request: Request, session: SessionDep) -> Any:
    """``GET /v1/admin/claims/{id}``: the claim, its invoices, and the decision forms."""
    return _detail(request, session, claim_id)


@router.get("/bureau/claims/{claim_id}/materials/{document_id}", dependencies=[guard(BUREAU_READ)])
def claim_material(claim_id: int, document_id: int, session: SessionDep) -> Any:
    """``GET /v1/admin/claims/{id}/materials/{document_id}``: one of the claim's documents."""
    owner = materials.claim_owner(session, claim_id)
    return download_response(materials.download(session, owner, document_id))


def _act(
    request: Request, session: Session, claim_id: int, action: Callable[[], Any], done: str
) -> Any:
    refused = attempt(session, action)
    if refused is not None:
        return _detail(request, session, claim_id, refused)
    return redirect(f"{BUREAU}/claims/{claim_id}?done={done}")


def _fen(text: str) -> int:
    """An amount typed in the form, as the API reads one (422 ``invalid_amount`` if not)."""
    try:
        return yuan_to_fen(plain_yuan(text))
    except MoneyError as exc:
        raise InvalidInput(
            "not an amount in yuan: {amount}", amount=text[:40], code=ErrorCode.INVALID_AMOUNT
        ) from exc


async def _approval_form(request: Request) -> dict[str, str]:
    """The approval form's fields: ``approved_<invoice id>``, ``reason_<invoice id>``, note."""
    form = await request.form(max_fields=400)
    return {key: str(value)[:1000] for key, value in form.items() if isinstance(value, str)}


@router.post("/bureau/claims/{claim_id}/approve", dependencies=[guard(REVIEW)])
def approve(
    claim_id: int,
    request: Request,
    session: SessionDep,
    now: NowDep,
    form: Annotated[dict[str, str], Depends(_approval_form)],
) -> Any:
    """Each invoice's approved amount (``approved_<id>``, blank: in full) and reason
    (``reason_<id>``)."""

    def decide() -> None:
        decisions = []
        for invoice in service.get_claim(session, claim_id).invoices:
            typed = form.get(f"approved_{invoice.id}", "").strip()
            if typed:
                assert invoice.id is not None
                reason = form.get(f"reason_{invoice.id}", "")
                decisions.append(InvoiceDecision(invoice.id, _fen(typed), reason))
        note = form.get("note", "")
        service.approve(session, claim_id, decisions, note=note, now=now)

    return _act(request, session, claim_id, decide, "approved")


@router.post("/bureau/claims/{claim_id}/reject", dependencies=[guard(REVIEW)])
def reject(
    claim_id: int,
    request: Request,
    session: SessionDep,
    now: NowDep,
    reason: Annotated[str, Form(max_length=1000)] = "",
) -> Any:
    return _act(
        request,
        session,
        claim_id,
        lambda: service.reject(session, claim_id, reason, now=now),
        "rejected",
    )


@router.post("/bureau/claims/{claim_id}/correct", dependencies=[guard(REVIEW)])
def correct(
    claim_id: int,
    request: Request,
    session: SessionDep,
    now: NowDep,
    invoice_id: Annotated[int, Form(ge=1, le=2**31 - 1)],
    approved_yuan: Annotated[str, Form(max_length=40)] = "",
    reason: Annotated[str, Form(max_length=1000)] = "",
) -> Any:
    return _act(
        request,
        session,
        claim_id,
        lambda: service.correct(
            session, claim_id, invoice_id, _fen(approved_yuan), reason, now=now
        ),
        "corrected",
    )


@router.post("/bureau/claims/{claim_id}/pay", dependencies=[guard(FINANCE)])
def pay(
    claim_id: int,
    request: Request,
    session: SessionDep,
    now: NowDep,
    payment_reference: Annotated[str, Form(max_length=100)] = "",
) -> Any:
    return _act(
        request,
        session,
        claim_id,
        lambda: service.pay(session, claim_id, payment_reference, now=now),
        "paid",
    )
