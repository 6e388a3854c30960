"""API models for providers."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from voucher_service.db.tables.providers import (
    ProviderOffering,
    ProviderStatus,
    ProviderStatusChange,
)
from voucher_service.domain.usage import ResourceKind, Unit
from voucher_service.fields import USCC, Name, NonNegativeYuan, Text, Yuan
from voucher_service.providers.service import ProviderView


class OfferingIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    resource_kind: ResourceKind
    resource_model: Name = Field(min_length=1, max_length=100, examples=["Ascend 910B"])
    unit: Unit
    list_price_yuan: NonNegativeYuan


class OfferingOut(BaseModel):
    resource_kind: str
    resource_model: str
    unit: str
    list_price_yuan: Yuan

    @classmethod
    def of(cls, row: ProviderOffering) -> OfferingOut:
        return cls(
            resource_kind=row.resource_kind,
            resource_model=row.resource_model,
            unit=row.unit,
            list_price_yuan=row.list_price_fen,
        )


class ProviderCreate(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
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
            ]
        },
    )

    uscc: USCC
    name: Name = Field(min_length=1, max_length=200)
    offerings: list[OfferingIn] = Field(default_factory=list, max_length=200)


class StatusChangeIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"reason": "metering audit pending"}]}
    )

    reason: Text = Field(min_length=1, max_length=480)


class StatusChangeOut(BaseModel):
    status: ProviderStatus
    reason: str
    created_at: datetime

    @classmethod
    def of(cls, row: ProviderStatusChange) -> StatusChangeOut:
        return cls(status=ProviderStatus(row.status), reason=row.reason, created_at=row.created_at)


class ProviderOut(BaseModel):
    uscc: str
    name: str
    status: ProviderStatus
    status_reason: str
    created_at: datetime
    offerings: list[OfferingOut]
    status_history: list[StatusChangeOut]

    @classmethod
    def of(cls, view: ProviderView) -> ProviderOut:
        provider = view.provider
        return cls(
            uscc=provider.uscc,
            name=provider.name,
            status=ProviderStatus(provider.status),
            status_reason=provider.status_reason,
            created_at=provider.created_at,
            offerings=[OfferingOut.of(o) for o in view.offerings],
            status_history=[StatusChangeOut.of(h) for h in view.history],
        )
