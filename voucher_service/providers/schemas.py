"""API models for providers."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from voucher_service.db.tables.providers import (
    ProviderStatus,
)
from voucher_service.domain.usage import ResourceKind, Unit
from voucher_service.fields import USCC, Name, NonNegativeYuan, OutModel, Text, Yuan
from voucher_service.providers.service import ProviderView


class OfferingIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    resource_kind: ResourceKind
    resource_model: Name = Field(min_length=1, max_length=100, examples=["Ascend 910B"])
    unit: Unit
    list_price_yuan: NonNegativeYuan


class OfferingOut(OutModel):
    resource_kind: str
    resource_model: str
    unit: str
    list_price_yuan: Yuan


PROVIDER_EXAMPLE: dict[str, Any] = {
    "uscc": "91420100MA4K00100E",
    "name": "武汉人工智能计算中心",
    "offerings": [
        {
            "resource_kind": "accelerator",
            "resource_model": "Ascend 910B",
            "unit": "card_hour",
            "list_price_yuan": "12.50",
        }
    ],
}


class ProviderCreate(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [PROVIDER_EXAMPLE]})

    uscc: USCC
    name: Name = Field(min_length=1, max_length=200)
    offerings: list[OfferingIn] = Field(default_factory=list, max_length=200)


class StatusChangeIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"reason": "metering audit pending"}]}
    )

    reason: Text = Field(min_length=1, max_length=480)


class StatusChangeOut(OutModel):
    status: ProviderStatus
    reason: str
    created_at: datetime


class ProviderOut(OutModel):
    uscc: str
    name: str
    status: ProviderStatus
    status_reason: str
    created_at: datetime
    offerings: list[OfferingOut]
    status_history: list[StatusChangeOut]

    @classmethod
    def of(cls, view: ProviderView) -> ProviderOut:
        return cls.read(view, view.provider, status_history=view.history)
