"""Claims over HTTP: the enterprise submits and reads its own
(``/v1/enterprise/{uscc}/claims``); the bureau reads the queue (BUREAU_READ), a reviewer
(REVIEW, as for applications) approves in part, rejects or corrects, and finance pays."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, status

from voucher_service.auth.access import BUREAU_READ, ENTERPRISE_SELF, FINANCE, REVIEW, rule
from voucher_service.claims import service
from voucher_service.claims.schemas import (
    ApproveClaimIn,
    ClaimIn,
    ClaimOut,
    CorrectClaimIn,
    PayClaimIn,
    RejectClaimIn,
)
from voucher_service.db.tables.claims import ClaimStatus
from voucher_service.deps import NowDep, PageDep, SessionDep, TodayDep
from voucher_service.enterprises.service import get_enterprise
from voucher_service.fields import USCC, Id, ProgramCode, Search, parse_uscc_param
from voucher_service.pagination import Page, PageParams, sorted_pages
from voucher_service.routing import DatabaseRoute

enterprise_router = APIRouter(
    route_class=DatabaseRoute, tags=["my subsidy (enterprise)"], dependencies=rule(ENTERPRISE_SELF)
)
admin_router = APIRouter(route_class=DatabaseRoute, tags=["claims (bureau)"])


def _enterprise_id(session: SessionDep, uscc: str) -> int:
    enterprise = get_enterprise(session, parse_uscc_param(uscc))
    assert enterprise.id is not None
    return enterprise.id


@enterprise_router.post("/{uscc}/claims", status_code=status.HTTP_201_CREATED)
def submit_claim(
    uscc: USCC, body: ClaimIn, session: SessionDep, today: TodayDep, now: NowDep
) -> ClaimOut:
    """Claim a reimbursement program's subsidy for a period, after paying: the contract,
    the invoices and the proof of payment. An invoice is claimed once, ever (409
    ``invoice_already_claimed``); spending subsidised at the point of sale is refused (409
    ``already_subsidised``); a point-of-sale program takes no claims (409
    ``not_reimbursement``)."""
    enterprise = get_enterprise(session, parse_uscc_param(uscc))
    return ClaimOut.of(service.submit(session, enterprise, body.claim(), today=today, now=now))


@enterprise_router.get("/{uscc}/claims")
def my_claims(uscc: USCC, session: SessionDep, page: PageDep) -> Page[ClaimOut]:
    """My claims, oldest first, with the bureau's decision on each."""
    query = service.ClaimQuery(enterprise=uscc)
    return Page.of(service.find_claims(session, page, query), ClaimOut.of)


@enterprise_router.get("/{uscc}/claims/{claim_id}")
def my_claim(uscc: USCC, claim_id: Id, session: SessionDep) -> ClaimOut:
    enterprise_id = _enterprise_id(session, uscc)
    return ClaimOut.of(service.get_claim(session, claim_id, enterprise_id=enterprise_id))


@admin_router.get("/claims", dependencies=rule(BUREAU_READ))
def claim_queue(
    session: SessionDep,
    page: Annotated[PageParams, Depends(sorted_pages(list(service.CLAIM_SORTS)))],
    status: Annotated[
        ClaimStatus | None, Query(description="submitted (the queue), approved, rejected, paid.")
    ] = None,
    program: ProgramCode | None = None,
    enterprise: USCC | None = None,
    q: Annotated[Search | None, Query(description="Part of a name, code or contract.")] = None,
) -> Page[ClaimOut]:
    """Claims, oldest first (or sorted): ``status=submitted`` is the reviewers' queue; ``q``
    finds part of the enterprise's name or credit code, the contract, the program or a
    claim's number."""
    query = service.ClaimQuery(status=status, program=program, enterprise=enterprise, q=q)
    return Page.of(service.find_claims(session, page, query), ClaimOut.of)


@admin_router.get("/claims/{claim_id}", dependencies=rule(BUREAU_READ))
def get_claim(claim_id: Id, session: SessionDep) -> ClaimOut:
    return ClaimOut.of(service.get_claim(session, claim_id))


@admin_router.post("/claims/{claim_id}/approve", dependencies=rule(REVIEW))
def approve(claim_id: Id, body: ApproveClaimIn, session: SessionDep, now: NowDep) -> ClaimOut:
    """Approve a submitted claim, each invoice in full or in part (with a reason when
    less). The subsidy is priced by the program's rules (rate, caps, window) and drawn from
    the year's pool, payable to the enterprise."""
    return ClaimOut.of(
        service.approve(session, claim_id, body.decisions(), note=body.note, now=now)
    )


@admin_router.post("/claims/{claim_id}/reject", dependencies=rule(REVIEW))
def reject(claim_id: Id, body: RejectClaimIn, session: SessionDep, now: NowDep) -> ClaimOut:
    return ClaimOut.of(service.reject(session, claim_id, body.reason, now=now))


@admin_router.post("/claims/{claim_id}/correct", dependencies=rule(REVIEW))
def correct(claim_id: Id, body: CorrectClaimIn, session: SessionDep, now: NowDep) -> ClaimOut:
    """Reduce an approved invoice's amount, with a reason: the subsidy it no longer earns
    goes back to the pool through the ledger."""
    return ClaimOut.of(
        service.correct(
            session, claim_id, body.invoice_id, body.approved_yuan, body.reason, now=now
        )
    )


@admin_router.post("/claims/{claim_id}/pay", dependencies=rule(FINANCE))
def pay(claim_id: Id, body: PayClaimIn, session: SessionDep, now: NowDep) -> ClaimOut:
    """Pay an approved claim to its enterprise, with the payment's reference (finance; never
    the claim's approver)."""
    return ClaimOut.of(service.pay(session, claim_id, body.payment_reference, now=now))
