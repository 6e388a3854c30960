"""API models for settlement statements."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from voucher_service.db.tables.settlement import StatementStatus
from voucher_service.fields import USCC, Name, OutModel, Yuan
from voucher_service.settlement.service import StatementView

Period = Annotated[str, Field(pattern=r"^20[0-9]{2}-(0[1-9]|1[0-2])$", examples=["2026-06"])]


class CloseIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [{"provider_uscc": "91420100MA4K00100E", "period": "2026-06"}]
        },
    )

    provider_uscc: USCC
    period: Period


class PayIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"payment_reference": "WH-TREAS-2026-0715-001"}]},
    )

    payment_reference: Name = Field(min_length=1, max_length=100)


class StatementOut(OutModel):
    id: int
    provider_uscc: str
    provider_name: str = Field(description="The provider's registered name.")
    program_code: str | None = Field(
        description="The funding source the statement bills: the program whose subsidies it "
        "settles (a district top-up is billed on a statement of its own)."
    )
    period: str
    status: StatementStatus
    record_count: int
    fee_yuan: Yuan
    subsidy_yuan: Yuan = Field(description="What the bureau owes the provider for the month.")
    enterprise_share_yuan: Yuan
    closed_at: datetime
    approved_at: datetime | None
    paid_at: datetime | None
    payment_reference: str | None

    @classmethod
    def of(cls, view: StatementView) -> StatementOut:
        return cls.read(view, view.statement)


class ClosedMonthOut(BaseModel):
    """A provider's month closed: one statement per funding source."""

    statements: list[StatementOut]
