"""API models of claims after payment: a claim as the enterprise submits it, a reviewer's
decisions, a claim as both sides read it."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from voucher_service.claims.service import (
    ClaimInput,
    ClaimView,
    InvoiceDecision,
    InvoiceInput,
)
from voucher_service.db.tables.claims import ClaimStatus
from voucher_service.fields import (
    USCC,
    Day,
    Id,
    Name,
    NonNegativeYuan,
    OutModel,
    PositiveYuan,
    ProgramCode,
    Text,
    Yuan,
)

INVOICE_NUMBER_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9-]{0,39}$"


class InvoiceIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    invoice_number: str = Field(
        pattern=INVOICE_NUMBER_PATTERN, description="The invoice's number (发票号码)."
    )
    invoice_date: Day
    amount_yuan: PositiveYuan = Field(description="The invoice's amount, tax included.")
    seller_name: Name = Field(min_length=1, max_length=200)
    seller_uscc: USCC = Field(description="The seller's credit code (销售方统一社会信用代码).")

    def invoice(self) -> InvoiceInput:
        return InvoiceInput(
            self.invoice_number,
            self.invoice_date,
            self.amount_yuan,
            self.seller_name,
            self.seller_uscc,
        )


CLAIM_EXAMPLE: dict[str, Any] = {
    "program_code": "YZ-AI-CLAIM",
    "period_start": "2026-04-01",
    "period_end": "2026-06-30",
    "contract_reference": "HT-2026-0042",
    "payment_proof": "ICBC transfer 2026063000123 (bank receipt on file)",
    "invoices": [
        {
            "invoice_number": "24420000000012345678",
            "invoice_date": "2026-05-31",
            "amount_yuan": "60000.00",
            "seller_name": "武汉算力科技有限公司",
            "seller_uscc": "91420100MA4K00003K",
        }
    ],
}


class ClaimIn(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [CLAIM_EXAMPLE]})

    program_code: ProgramCode = Field(description="A program in reimbursement mode.")
    period_start: Day
    period_end: Day = Field(description="Inclusive; the period lies within one year.")
    contract_reference: Text = Field(min_length=1, max_length=100)
    payment_proof: Text = Field(
        min_length=1,
        max_length=500,
        description="Proof of payment, by reference (a bank transfer's number, a receipt).",
    )
    invoices: list[InvoiceIn] = Field(min_length=1, max_length=100)

    def claim(self) -> ClaimInput:
        return ClaimInput(
            self.program_code,
            self.period_start,
            self.period_end,
            self.contract_reference,
            self.payment_proof,
            tuple(i.invoice() for i in self.invoices),
        )


class InvoiceDecisionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    invoice_id: Id
    approved_yuan: NonNegativeYuan = Field(description="At most the invoice's amount.")
    reason: Text = Field(
        default="", max_length=1000, description="Required when less than the invoice's amount."
    )

    def decision(self) -> InvoiceDecision:
        return InvoiceDecision(self.invoice_id, self.approved_yuan, self.reason)


class ApproveClaimIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "invoices": [
                        {
                            "invoice_id": 2,
                            "approved_yuan": "30000.00",
                            "reason": "half the invoice is storage, not compute",
                        }
                    ],
                    "note": "contract and transfer checked",
                }
            ]
        },
    )

    invoices: list[InvoiceDecisionIn] = Field(
        default_factory=list,
        max_length=100,
        description="Invoices approved in part (or not at all); those not listed: in full.",
    )
    note: Text = Field(default="", max_length=1000)

    def decisions(self) -> list[InvoiceDecision]:
        return [d.decision() for d in self.invoices]


class RejectClaimIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: Text = Field(min_length=1, max_length=1000)


class CorrectClaimIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"invoice_id": 1, "approved_yuan": "50000.00", "reason": "credit note 0042"}
            ]
        },
    )

    invoice_id: Id
    approved_yuan: NonNegativeYuan = Field(description="The new, lower approved amount.")
    reason: Text = Field(min_length=1, max_length=1000)


class PayClaimIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    payment_reference: Text = Field(min_length=1, max_length=100)


class InvoiceOut(OutModel):
    id: int
    invoice_number: str
    invoice_date: date
    amount_yuan: Yuan
    seller_name: str
    seller_uscc: str
    approved_yuan: Yuan
    subsidy_yuan: Yuan
    reason: str
    rule_version: int | None
    shortfall: str | None = Field(
        description="Why the subsidy is below the rate: cap_reached, pool_exhausted, "
        "outside_window, outside_program, no_rules_in_force."
    )


class CorrectionOut(OutModel):
    invoice_id: int
    reduced_yuan: Yuan
    subsidy_back_yuan: Yuan
    reason: str
    corrected_by: str
    corrected_at: datetime


class ClaimOut(OutModel):
    id: int
    enterprise_uscc: str
    enterprise_name: str
    program_code: str
    year: int
    period_start: date
    period_end: date
    contract_reference: str
    payment_proof: str
    status: ClaimStatus
    claimed_yuan: Yuan
    approved_yuan: Yuan
    subsidy_yuan: Yuan = Field(description="Net of corrections.")
    paid_yuan: Yuan
    payable_yuan: Yuan = Field(description="Not yet paid (below zero: owed back).")
    reason: str
    submitted_by: str
    submitted_at: datetime
    decided_by: str | None
    decided_at: datetime | None
    paid_at: datetime | None
    payment_reference: str | None
    invoices: list[InvoiceOut]
    corrections: list[CorrectionOut]

    @classmethod
    def of(cls, view: ClaimView) -> ClaimOut:
        return cls.read(
            view,
            view.claim,
            invoices=[InvoiceOut.read(i) for i in view.invoices],
            corrections=[CorrectionOut.read(c) for c in view.corrections],
        )
