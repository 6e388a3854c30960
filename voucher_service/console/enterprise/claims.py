"""Claim a subsidy after payment (事后补助申报), and follow my claims.

The form is read through the API's ``ClaimIn`` and filed with the same service call as
``POST /v1/enterprise/{uscc}/claims`` (``claims.service.submit``), so it is checked the
same way (an invoice claimed once; a point-of-sale program takes no claims). Invoices are
typed one a line: ``number, date, amount, seller name, seller credit code``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from sqlalchemy.orm import Session

from voucher_service.auth.access import ENTERPRISE_SELF
from voucher_service.claims import service
from voucher_service.claims.schemas import ClaimIn
from voucher_service.console.auth import guard
from voucher_service.console.pages import attempt, describe, translator
from voucher_service.console.people.forms import FormRefused, plain_yuan, read_form
from voucher_service.console.people.pages import done, notice
from voucher_service.console.tables import Column, Table
from voucher_service.console.templating import render
from voucher_service.console.viewer import CONSOLE
from voucher_service.db.tables.claims import ClaimStatus
from voucher_service.db.tables.enterprises import Enterprise
from voucher_service.deps import NowDep, PageDep, SessionDep, TodayDep
from voucher_service.enterprises.service import get_enterprise
from voucher_service.fields import parse_uscc_param
from voucher_service.materials import service as materials
from voucher_service.materials.kinds import CLAIM_KINDS
from voucher_service.pagination import PageParams
from voucher_service.routing import DatabaseRoute

router = APIRouter(route_class=DatabaseRoute, dependencies=[guard(ENTERPRISE_SELF)])

COLUMNS = (
    Column("id", "claims.id"),
    Column("program_code", "claims.program", "code"),
    Column("period", "claims.period"),
    Column("claimed_fen", "claims.claimed", "money"),
    Column("approved_fen", "claims.approved", "money"),
    Column("subsidy_fen", "claims.subsidy", "money"),
    Column("status", "claims.status", "status", prefix="claim.status."),
    Column("submitted_at", "claims.submitted_at", "datetime"),
)
LABELS = {
    "program_code": "claims.program",
    "period_start": "claims.period_start",
    "period_end": "claims.period_end",
    "contract_reference": "claims.contract",
    "payment_proof": "claims.payment_proof",
    "invoices": "claims.invoices",
}
INVOICE_FIELDS = ("invoice_number", "invoice_date", "amount_yuan", "seller_name", "seller_uscc")


@dataclass(frozen=True)
class ClaimForm:
    """What the form holds, as typed: shown again, unchanged, when it is refused."""

    program_code: str = ""
    period_start: str = ""
    period_end: str = ""
    contract_reference: str = ""
    payment_proof: str = ""
    invoices: str = ""

    def body(self, request: Request) -> ClaimIn:
        """The form as the API's schema reads it (or FormRefused, in the page's language)."""
        lines = [line for line in self.invoices.splitlines() if line.strip()][:100]
        invoices = []
        for line in lines:
            parts = [part.strip() for part in line.replace("，", ",").split(",")]
            if len(parts) > len(INVOICE_FIELDS):  # an amount typed with thousands separators
                parts = [*parts[:2], ",".join(parts[2:-2]), *parts[-2:]]
            invoice = dict(zip(INVOICE_FIELDS, parts, strict=False))
            invoice["amount_yuan"] = plain_yuan(invoice.get("amount_yuan", ""))
            invoices.append(invoice)
        data = {
            "program_code": self.program_code.strip(),
            "period_start": self.period_start,
            "period_end": self.period_end,
            "contract_reference": self.contract_reference,
            "payment_proof": self.payment_proof,
            "invoices": invoices,
        }
        return read_form(ClaimIn, data, translator(request), LABELS)


async def _form(
    program_code: Annotated[str, Form(max_length=40)] = "",
    period_start: Annotated[str, Form(max_length=20)] = "",
    period_end: Annotated[str, Form(max_length=20)] = "",
    contract_reference: Annotated[str, Form(max_length=100)] = "",
    payment_proof: Annotated[str, Form(max_length=500)] = "",
    invoices: Annotated[str, Form(max_length=40_000)] = "",
) -> ClaimForm:
    return ClaimForm(
        program_code, period_start, period_end, contract_reference, payment_proof, invoices
    )


FormDep = Annotated[ClaimForm, Depends(_form)]


def _show(
    request: Request,
    session: Session,
    enterprise: Enterprise,
    params: PageParams,
    *,
    form: ClaimForm,
    status_code: int = 200,
    error: str | None = None,
) -> Any:
    found = service.find_claims(session, params, service.ClaimQuery(enterprise=enterprise.uscc))
    rows = [
        {
            "id": v.claim.id,
            "program_code": v.program_code,
            "period": f"{v.claim.period_start} – {v.claim.period_end}",
            "claimed_fen": v.claim.claimed_fen,
            "approved_fen": v.claim.approved_fen,
            "subsidy_fen": v.claim.subsidy_fen,
            "status": v.claim.status,
            "submitted_at": v.claim.submitted_at,
        }
        for v in found.items
    ]
    table = Table.page(
        request,
        id="claims",
        caption="claims.caption",
        columns=COLUMNS,
        rows=rows,
        next_cursor=found.next_cursor,
        row_key="id",
    )
    return render(
        request,
        "enterprise/claims.html",
        status_code=status_code,
        table=table,
        form=form,
        error=error,
        notice=notice(request),
        action=request.url.path,
    )


@router.get("/{uscc}/claims")
def claims_page(uscc: str, request: Request, session: SessionDep, page: PageDep) -> Any:
    enterprise = get_enterprise(session, parse_uscc_param(uscc))
    blank = ClaimForm(program_code=request.query_params.get("program", "")[:40])
    return _show(request, session, enterprise, page, form=blank)


@router.post("/{uscc}/claims")
def submit_claim(
    uscc: str,
    request: Request,
    session: SessionDep,
    page: PageDep,
    today: TodayDep,
    now: NowDep,
    form: FormDep,
) -> Any:
    enterprise = get_enterprise(session, parse_uscc_param(uscc))
    try:
        body = form.body(request)
    except FormRefused as refusal:
        return _show(
            request, session, enterprise, page, form=form, status_code=422, error=refusal.message
        )
    refused = attempt(
        session,
        lambda: service.submit(session, enterprise, body.claim(), today=today, now=now),
    )
    if refused is not None:
        error = describe(refused, translator(request))
        return _show(
            request, session, enterprise, page, form=form, status_code=refused.status, error=error
        )
    return done(request.url.path, "claim_submitted")


@router.get("/{uscc}/claims/{claim_id}")
def claim_page(uscc: str, claim_id: int, request: Request, session: SessionDep) -> Any:
    """``GET /v1/enterprise/{uscc}/claims/{id}``: my claim, its invoices and the decision;
    its documents, with the upload form while it waits for the reviewer."""
    enterprise = get_enterprise(session, parse_uscc_param(uscc))
    view = service.get_claim(session, claim_id, enterprise_id=enterprise.id)
    path = f"{CONSOLE}/enterprise/{enterprise.uscc}/claims/{claim_id}/materials"
    return render(
        request,
        "enterprise/claim.html",
        view=view,
        error=None,
        notice=notice(request),
        materials=materials.materials_of(session, materials.Owner.of_claim(view.claim)),
        download_base=path,
        upload_action=path if view.claim.status == ClaimStatus.SUBMITTED else None,
        kinds=CLAIM_KINDS,
    )
