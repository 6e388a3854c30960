"""API models for applications, model selections (measure 3), their review and the
blacklist."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, Strict

from voucher_service.applications import service
from voucher_service.applications.selection import BulkDecision, SelectionInput, SelectionView
from voucher_service.db.tables.applications import (
    ApplicationStatus,
    SelectionStatus,
    SizeClass,
)
from voucher_service.db.tables.programs import Program
from voucher_service.domain.rules import SELECTION_FIELD_CODE
from voucher_service.errors import ServiceError
from voucher_service.fields import (
    USCC,
    Id,
    Name,
    NonNegativeYuan,
    OutModel,
    PositiveYuan,
    ProgramCode,
    Text,
    Year,
    Yuan,
    input_of,
)

APPLICATION_EXAMPLE: dict[str, Any] = {
    "program_code": "WH-AI-M2",
    "year": 2026,
    "requested_yuan": "100000.00",
    "planned_use": "fine-tuning a visual inspection model for steel plates",
    "intended_providers": ["91420100MA4K00100E"],
    "size_class": "small",
    "headcount": 45,
    "revenue_yuan": "12000000.00",
    "declares_no_related_party": True,
}


class ApplicationIn(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [APPLICATION_EXAMPLE]})

    program_code: ProgramCode
    year: Year = Field(strict=True)
    requested_yuan: PositiveYuan
    planned_use: Text = Field(min_length=1, max_length=2000)
    intended_providers: list[USCC] = Field(default_factory=list, max_length=20)
    size_class: SizeClass
    headcount: int = Field(strict=True, ge=0, le=10_000_000)
    revenue_yuan: NonNegativeYuan
    declares_no_related_party: bool = Field(
        strict=True,
        description="That the enterprise has no related-party relationship with those providers.",
    )

    def to_input(self, program: Program) -> service.ApplicationInput:
        return input_of(service.ApplicationInput, self, program=program)


class CheckOut(OutModel):
    check: str
    ok: bool
    message: str


class ReviewedOut(OutModel):
    """What any reviewed application shows of its decision."""

    decision_reason: str | None
    decided_by: str | None
    decided_at: datetime | None
    created_at: datetime
    updated_at: datetime


def error_body(error: ServiceError) -> dict[str, str]:
    """A refused item of a bulk decision, in the error shape."""
    return {"code": error.code, "message": error.message}


class ApplicationOut(ReviewedOut):
    id: int
    uscc: str
    enterprise_name: str = Field(description="The applicant's registered name.")
    program_code: str
    year: int
    status: ApplicationStatus
    eligible: bool = Field(description="Whether every automatic check passed.")
    checks: list[CheckOut]
    flags: list[str] = Field(description="For the reviewer: related parties, unknown providers.")
    requested_yuan: Yuan
    approved_yuan: Yuan | None
    voucher_code: str | None
    planned_use: str
    intended_providers: list[str]
    size_class: SizeClass
    headcount: int
    revenue_yuan: Yuan
    declares_no_related_party: bool
    notice_start: date | None = Field(
        default=None, description="Public notice (公示): its first day, while in_notice."
    )
    notice_end: date | None = Field(default=None, description="... and its last day.")

    awaiting_confirmation: int | None = Field(
        default=None,
        description="The proposal waiting for a second reviewer (GET /v1/admin/confirmations).",
    )

    @classmethod
    def of(cls, view: service.ApplicationView) -> ApplicationOut:
        return cls.read(view, view.application)


class DecisionIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"reason": "planned use too vague"}]}
    )

    reason: Text = Field(default="", max_length=1000)


class ApproveIn(DecisionIn):
    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"amount_yuan": "80000.00"}]}
    )

    amount_yuan: PositiveYuan | None = Field(
        default=None, description="Less than requested, if need be."
    )


class BulkApproveIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"ids": [12, 13, 14]}]}
    )

    ids: list[Annotated[Id, Strict()]] = Field(min_length=1, max_length=500)
    reason: Text = Field(default="", max_length=1000)


class BulkResultOut(BaseModel):
    id: int
    ok: bool
    application: ApplicationOut | None = None
    error: dict[str, str] | None = None

    @classmethod
    def of(cls, outcome: service.BulkOutcome) -> BulkResultOut:
        if outcome.approved is not None:
            return cls(
                id=outcome.application_id, ok=True, application=ApplicationOut.of(outcome.approved)
            )
        assert outcome.error is not None
        return cls(id=outcome.application_id, ok=False, error=error_body(outcome.error))


class BlacklistIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    uscc: USCC
    reason: Text = Field(min_length=1, max_length=480)


SELECTION_EXAMPLE: dict[str, Any] = {
    "program_code": "WH-AI-M3",
    "year": 2026,
    "model_name": "光谷钢铁缺陷检测大模型",
    "sector": "manufacturing",
    "filing_reference": "Hubei-GuangguSteel-202605010001",
    "description": "visual defect detection for hot-rolled steel",
}


class SelectionIn(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [SELECTION_EXAMPLE]})

    program_code: ProgramCode
    year: Year = Field(strict=True)
    model_name: Name = Field(min_length=1, max_length=200)
    sector: str = Field(
        pattern=SELECTION_FIELD_CODE,
        description="The model's field (领域): a code of the program's selection fields "
        "(GET /v1/admin/programs/{code} lists them; by default the policy's seven: "
        "manufacturing, industrial_inspection, education, healthcare, remote_sensing, "
        "culture, finance).",
    )
    filing_reference: str = Field(
        min_length=1,
        max_length=100,
        pattern=r"^[^\x00-\x1f\x7f-\x9f]*[^\s\x00-\x1f\x7f-\x9f][^\x00-\x1f\x7f-\x9f]*$",
        description="The model's filing (备案) or registration (登记) reference.",
    )
    description: Text = Field(default="", max_length=2000)

    def to_input(self, program: Program) -> SelectionInput:
        return input_of(SelectionInput, self, program=program)


class SelectionOut(ReviewedOut):
    id: int
    uscc: str
    enterprise_name: str
    program_code: str
    year: int
    model_name: str
    sector: str
    filing_reference: str
    description: str
    status: SelectionStatus
    eligible: bool = Field(description="Whether every automatic check passed.")
    checks: list[CheckOut]

    @classmethod
    def of(cls, view: SelectionView) -> SelectionOut:
        return cls.read(view, view.selection)


class BulkDecisionIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [{"ids": [3, 4, 7], "decision": "selected", "reason": "2026 batch"}]
        },
    )

    ids: list[Annotated[Id, Strict()]] = Field(min_length=1, max_length=500)
    decision: Literal[SelectionStatus.SELECTED, SelectionStatus.DECLINED]
    reason: Text = Field(default="", max_length=1000)


class BulkDecisionOut(BaseModel):
    id: int
    ok: bool
    selection: SelectionOut | None = None
    error: dict[str, str] | None = None

    @classmethod
    def of(cls, outcome: BulkDecision) -> BulkDecisionOut:
        if outcome.decided is not None:
            return cls(id=outcome.selection_id, ok=True, selection=SelectionOut.of(outcome.decided))
        assert outcome.error is not None
        return cls(id=outcome.selection_id, ok=False, error=error_body(outcome.error))
