"""API models for vouchers, and for an enterprise's subsidy status (which lists them)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from voucher_service.db.tables.vouchers import VoucherStatus
from voucher_service.domain.rules import CapScope
from voucher_service.enterprises.service import SubsidyStatus
from voucher_service.fields import USCC, Day, OutModel, PositiveYuan, ProgramCode, Text, Year, Yuan
from voucher_service.vouchers.service import VoucherView

VOUCHER_EXAMPLE: dict[str, Any] = {
    "program_code": "WH-AI-M2",
    "year": 2026,
    "uscc": "91420106MA4K00005Y",
    "face_value_yuan": "50000.00",
}


class VoucherIssue(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [VOUCHER_EXAMPLE]})

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


class VoucherOut(OutModel):
    code: str
    program_code: str
    year: int
    uscc: str
    enterprise_name: str = Field(description="The holder's registered name.")
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
        return cls.read(view, view.voucher)


class SubsidyStatusOut(OutModel):
    """How much of its cap the enterprise has used, what is left, and until when."""

    uscc: str
    program_code: str
    enrolled: bool = Field(description="False until the enterprise's first voucher.")
    rate_bp: int
    cap_scope: CapScope
    cap_yuan: Yuan
    year_cap_yuan: Yuan | None = Field(
        default=None, description="The cap per subsidy year beside the lifetime cap, if any."
    )
    binding_cap_yuan: Yuan = Field(
        description="The cap that binds today (cap_yuan, or beside a cap per year the one "
        "with less left): cap_used_yuan and cap_remaining_yuan are its."
    )
    cap_used_yuan: Yuan = Field(description="Net subsidies counted against the binding cap.")
    cap_remaining_yuan: Yuan
    outstanding_yuan: Yuan = Field(description="Unspent balances of active vouchers.")
    issuable_yuan: Yuan = Field(description="Largest face value a new voucher may have.")
    window_start: date | None
    window_end: date | None = Field(description="Last day of the subsidy window (inclusive).")
    window_ended: bool
    vouchers: list[VoucherOut]

    @classmethod
    def of(cls, uscc: str, status: SubsidyStatus, views: list[VoucherView]) -> SubsidyStatusOut:
        window = status.window
        return cls.read(
            status,
            status.rules,
            uscc=uscc,
            window_start=window.start if window else None,
            window_end=window.last_day if window else None,
            vouchers=[VoucherOut.of(v) for v in views],
        )
