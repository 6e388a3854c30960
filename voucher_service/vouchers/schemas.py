"""API models for vouchers."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel, ConfigDict, Field

from voucher_service.fields import USCC, PositiveYuan, Yuan
from voucher_service.vouchers.service import VoucherView


class VoucherIssue(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "program_code": "WH-AI-M2",
                    "year": 2026,
                    "uscc": "91420106MA4K00005Y",
                    "face_value_yuan": "50000.00",
                }
            ]
        },
    )

    program_code: str
    year: int = Field(ge=2000, le=2100, description="The annual pool to reserve from.")
    uscc: USCC
    face_value_yuan: PositiveYuan
    valid_from: date | None = Field(
        default=None, description="Default: today, or the pool year's start if later."
    )
    valid_to: date | None = Field(
        default=None,
        description="Inclusive. Default: end of the pool year, clipped to the program's "
        "validity and the enterprise's subsidy window.",
    )


class VoucherRevoke(BaseModel):
    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"reason": "enterprise deregistered"}]}
    )

    reason: str = Field(min_length=1, max_length=480)


class VoucherOut(BaseModel):
    code: str
    program_code: str
    year: int
    uscc: str
    status: str = Field(description="active, revoked or expired")
    face_value_yuan: Yuan
    balance_yuan: Yuan = Field(description="Left to draw.")
    subsidised_yuan: Yuan = Field(description="Net subsidies applied.")
    released_yuan: Yuan = Field(description="Returned to the pool on revocation or expiry.")
    valid_from: date
    valid_to: date
    issued_at: datetime
    closed_at: datetime | None
    close_reason: str | None

    @classmethod
    def of(cls, view: VoucherView) -> VoucherOut:
        v = view.voucher
        return cls(
            code=v.code,
            program_code=view.program_code,
            year=view.year,
            uscc=view.uscc,
            status=v.status,
            face_value_yuan=v.face_value_fen,
            balance_yuan=v.balance_fen,
            subsidised_yuan=v.subsidised_fen,
            released_yuan=v.released_fen,
            valid_from=v.valid_from,
            valid_to=v.valid_to,
            issued_at=v.issued_at,
            closed_at=v.closed_at,
            close_reason=v.close_reason,
        )
