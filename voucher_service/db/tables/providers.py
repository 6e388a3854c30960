"""Compute-service providers, their catalogues and their status history."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import CheckConstraint, Column, String, UniqueConstraint
from sqlmodel import Field, SQLModel

from voucher_service.db import base  # noqa: F401  (naming convention before any table)
from voucher_service.db.columns import money, one_of, status_column, timestamp


class ProviderStatus(StrEnum):
    ACTIVE = "active"
    SUSPENDED = "suspended"  # its usage records and new redemptions are refused


class Provider(SQLModel, table=True):
    """A registered compute-service provider (算力服务商)."""

    __tablename__ = "provider"
    __table_args__ = (
        UniqueConstraint("uscc"),
        one_of("status", ProviderStatus),
    )

    id: int | None = Field(default=None, primary_key=True)
    uscc: str = Field(sa_column=Column(String(18), nullable=False))
    name: str = Field(sa_column=Column(String(200), nullable=False))
    status: str = status_column(ProviderStatus.ACTIVE)  # type: ignore[assignment]
    status_reason: str = Field(default="", sa_column=Column(String(500), nullable=False))
    health_url: str | None = Field(default=None, sa_column=Column(String(500), nullable=True))
    created_at: datetime = timestamp()  # type: ignore[assignment]


class ProviderOffering(SQLModel, table=True):
    """One line of a provider's catalogue: a resource and its list price per unit."""

    __tablename__ = "provider_offering"
    __table_args__ = (
        UniqueConstraint("provider_id", "resource_kind", "resource_model", "unit"),
        CheckConstraint("list_price_fen >= 0", name="price_nonnegative"),
    )

    id: int | None = Field(default=None, primary_key=True)
    provider_id: int = Field(foreign_key="provider.id", nullable=False)
    resource_kind: str = Field(sa_column=Column(String(20), nullable=False))
    resource_model: str = Field(sa_column=Column(String(100), nullable=False))
    unit: str = Field(sa_column=Column(String(20), nullable=False))
    list_price_fen: int = money()  # type: ignore[assignment]


class ProviderStatusChange(SQLModel, table=True):
    """Suspensions and reinstatements, with their reasons: the history is kept."""

    __tablename__ = "provider_status_change"

    id: int | None = Field(default=None, primary_key=True)
    provider_id: int = Field(foreign_key="provider.id", nullable=False, index=True)
    status: str = Field(sa_column=Column(String(16), nullable=False))
    reason: str = Field(sa_column=Column(String(500), nullable=False))
    created_at: datetime = timestamp()  # type: ignore[assignment]
