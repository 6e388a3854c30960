"""API models for enterprises and their subsidy status."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel, ConfigDict, Field

from voucher_service.domain.rules import CapScope
from voucher_service.enterprises.service import SubsidyStatus
from voucher_service.fields import USCC, Yuan
from voucher_service.vouchers.schemas import VoucherOut
from voucher_service.vouchers.service import VoucherView


class EnterpriseCreate(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [{"uscc": "91420106MA4K00005Y", "name": "武汉光谷智算科技有限公司"}]
        },
    )

    uscc: USCC
    name: str = Field(min_length=1, max_length=200)


class EnterpriseOut(BaseModel):
    uscc: str
    name: str
    district_code: str = Field(description="Administrative division (positions 3-8 of the USCC).")
    created_at: datetime


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
