"""API models for redemptions."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from voucher_service.db.tables.redemptions import RedemptionStatus
from voucher_service.fields import USCC, OutModel, VoucherCode
from voucher_service.redemptions.service import RedemptionView


class RedemptionCreate(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"voucher_code": "7KQ3-MZ8D-R2XW-HT4T", "provider_uscc": "91420100MA4K00100E"}
            ]
        },
    )

    voucher_code: VoucherCode
    provider_uscc: USCC


class RedemptionOut(OutModel):
    id: int
    voucher_code: str
    uscc: str
    enterprise_name: str = Field(description="The voucher holder's registered name.")
    provider_uscc: str
    provider_name: str
    status: RedemptionStatus
    created_at: datetime
    ended_at: datetime | None

    @classmethod
    def of(cls, view: RedemptionView) -> RedemptionOut:
        return cls.read(view, view.redemption)
