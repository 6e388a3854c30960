"""API models of grants: an application, a decision, a milestone, a grant and a year's
budget as the bureau reads them."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from voucher_service.db.tables.grants import GrantStatus, MilestoneStatus
from voucher_service.fields import USCC, OutModel, PositiveYuan, ProgramCode, Text, Year, Yuan
from voucher_service.grants.service import GrantView, YearBudget


class GrantApply(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "program_code": "WH-NET-MON",
                    "year": 2026,
                    "uscc": "91420100MA4K0000X1",
                    "title": "算力网络运行监测平台（一期）",
                    "asked_yuan": "1500000.00",
                }
            ]
        },
    )

    program_code: ProgramCode = Field(description="A program funded as grants.")
    year: Year = Field(strict=True, description="The year whose budget (pool) pays it.")
    uscc: USCC = Field(description="The project's organisation, registered as an enterprise.")
    title: Text = Field(min_length=1, max_length=200)
    asked_yuan: PositiveYuan


class GrantApprove(BaseModel):
    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"amount_yuan": "1200000.00"}]}
    )

    amount_yuan: PositiveYuan = Field(description="At most what was asked.")
    reason: Text = Field(default="", max_length=1000, description="Why, in words (optional).")


class GrantReject(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: Text = Field(min_length=1, max_length=1000)


class MilestoneIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [{"description": "监测平台上线试运行", "amount_yuan": "600000.00"}]
        },
    )

    description: Text = Field(min_length=1, max_length=500)
    amount_yuan: PositiveYuan = Field(description="The instalment it earns once accepted.")


class MilestoneOut(OutModel):
    id: int
    description: str
    amount_yuan: Yuan
    status: MilestoneStatus
    accepted_at: datetime | None
    paid_at: datetime | None


class GrantOut(OutModel):
    id: int
    program_code: str
    year: int
    project_name: str
    project_uscc: str
    title: str
    asked_yuan: Yuan
    approved_yuan: Yuan | None
    paid_yuan: Yuan = Field(description="Instalments paid so far.")
    status: GrantStatus
    reason: str
    applied_by: str
    decided_at: datetime | None
    created_at: datetime
    milestones: list[MilestoneOut]

    @classmethod
    def of(cls, view: GrantView) -> GrantOut:
        return cls.read(
            view,
            view.grant,
            milestones=[MilestoneOut.read(m) for m in view.milestones],
        )


class YearBudgetOut(OutModel):
    program_code: str
    year: int
    ceiling_yuan: Yuan = Field(description="The year's budget: its pool's total.")
    maximum_yuan: Yuan | None = Field(description="The program's largest allowed pool.")
    approved_yuan: Yuan = Field(description="Approved grants of the year, paid or not.")
    paid_yuan: Yuan = Field(description="Instalments paid.")
    held_yuan: Yuan = Field(description="Approved, not yet paid.")
    remaining_yuan: Yuan = Field(description="Left to approve within the ceiling.")
    grants: int

    @classmethod
    def of(cls, budget: YearBudget) -> YearBudgetOut:
        return cls.read(budget)
