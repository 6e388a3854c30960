"""API models for vouchers, and for an enterprise's subsidy status (which lists them)."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel, ConfigDict, Field

from voucher_service.db.tables.vouchers import VoucherStatus
from voucher_service.domain.rules import CapScope
from voucher_service.enterprises.service import SubsidyStatus
from voucher_service.fields import USCC, Day, PositiveYuan, ProgramCode, Text, Year, Yuan
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

    program_code: ProgramCode
    year: Year = Field(strict=True, description="The annual pool to reserve from.")
    uscc: USCC
    face_value_yuan: PositiveYuan
    valid_from: Day | None = Field(
        default=None, description="Default: today, or the pool year's start if later."
    )
    valid_to: Day | None = Field(
        default=None,
        description="Inclusive. Default: end of the pool year, clipped to the program's "
        "validity and the enterprise's subsidy window.",
    )


class VoucherRevoke(BaseModel):
    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"reason": "enterprise deregistered"}]}
    )

    reason: Text = Field(min_length=1, max_length=480)


class VoucherOut(BaseModel):
    code: str
    program_code: str
    year: int
    uscc: str
    status: VoucherStatus
    face_value_yuan: Yuan
    balance_yuan: Yuan = Field(description="Left to draw.")
    subsidised_yuan: Yuan = Field(description="Net subsidies applied.")
    released_yuan: Yuan = Field(description="Returned to the pool on revocation or expiry.")
    valid_from: date
    valid_to: date
    issued_at: datetime
    closed_at: datetime | None
    close_reason: str | None

    awaiting_confirmation: int | None = Field(
        default=None,
        description="The proposal waiting for a second reviewer (GET /v1/admin/confirmations).",
    )

    @classmethod
    def of(cls, view: VoucherView) -> VoucherOut:
        v = view.voucher
        return cls(
            code=v.code,
            program_code=view.program_code,
            year=view.year,
            uscc=view.uscc,
            status=VoucherStatus(v.status),
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


class SubsidyStatusOut(BaseModel):
    """How much of its cap the enterprise has used, what is left, and until when."""

    uscc: str
    program_code: str
    enrolled: bool = Field(description="False until the enterprise's first voucher.")
    rate_bp: int
    cap_scope: CapScope
    cap_yuan: Yuan
    cap_used_yuan: Yuan = Field(description="Net subsidies counted against the cap.")
    cap_remaining_yuan: Yuan
    outstanding_yuan: Yuan = Field(description="Unspent balances of active vouchers.")
    issuable_yuan: Yuan = Field(description="Largest face value a new voucher may have.")
    window_start: date | None
    window_end: date | None = Field(description="Last day of the subsidy window (inclusive).")
    window_ended: bool
    vouchers: list[VoucherOut]

    @classmethod
    def of(cls, uscc: str, status: SubsidyStatus, views: list[VoucherView]) -> SubsidyStatusOut:
        return cls(
            uscc=uscc,
            program_code=status.program_code,
            enrolled=status.enrolled,
            rate_bp=status.rules.rate_bp,
            cap_scope=status.rules.cap_scope,
            cap_yuan=status.rules.cap_fen,
            cap_used_yuan=status.cap_used_fen,
            cap_remaining_yuan=status.cap_remaining_fen,
            outstanding_yuan=status.outstanding_fen,
            issuable_yuan=status.issuable_fen,
            window_start=status.window.start if status.window else None,
            window_end=status.window.last_day if status.window else None,
            window_ended=status.window_ended,
            vouchers=[VoucherOut.of(v) for v in views],
        )
