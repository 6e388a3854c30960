"""API models for enterprises."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from voucher_service.fields import USCC, Name


class EnterpriseCreate(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [{"uscc": "91420106MA4K00005Y", "name": "武汉光谷智算科技有限公司"}]
        },
    )

    uscc: USCC
    name: Name = Field(min_length=1, max_length=200)


class EnterpriseOut(BaseModel):
    uscc: str
    name: str
    district_code: str = Field(description="Administrative division (positions 3-8 of the USCC).")
    created_at: datetime
