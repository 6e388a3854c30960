"""Principals, their API keys, and failed authentications."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import CheckConstraint, Column, Index, String, UniqueConstraint
from sqlmodel import Field, SQLModel

from voucher_service.db import base  # noqa: F401  (naming convention before any table)
from voucher_service.db.columns import one_of, timestamp
from voucher_service.db.types import UTCDateTime


class Role(StrEnum):
    BUREAU_ADMIN = "bureau_admin"  # everything
    BUREAU_REVIEWER = "bureau_reviewer"  # enterprises, vouchers, providers; no rules or pools
    AUDITOR = "auditor"  # reads everything, changes nothing
    ENTERPRISE = "enterprise"  # its own enterprise only
    PROVIDER = "provider"  # its own redemptions and records only


class Principal(SQLModel, table=True):
    """Who acts: a bureau user (admin, reviewer, auditor), an enterprise or a provider."""

    __tablename__ = "principal"
    __table_args__ = (
        Index(None, "role", "name"),
        UniqueConstraint("enterprise_id"),
        UniqueConstraint("provider_id"),
        one_of("role", Role, name="role_known"),
        CheckConstraint(
            "(role = 'enterprise') = (enterprise_id IS NOT NULL)"
            " AND (role = 'provider') = (provider_id IS NOT NULL)",
            name="subject_matches_role",
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    role: str = Field(sa_column=Column(String(20), nullable=False))
    name: str = Field(sa_column=Column(String(200), nullable=False))
    enterprise_id: int | None = Field(default=None, foreign_key="enterprise.id")
    provider_id: int | None = Field(default=None, foreign_key="provider.id")
    created_at: datetime = timestamp()  # type: ignore[assignment]


class ApiKey(SQLModel, table=True):
    """A bearer key of a principal. Only a hash of the secret is kept; several keys per
    principal allow rotation (create the new one, switch, revoke the old)."""

    __tablename__ = "api_key"
    __table_args__ = (UniqueConstraint("prefix"), Index(None, "principal_id"))

    id: int | None = Field(default=None, primary_key=True)
    principal_id: int = Field(foreign_key="principal.id", nullable=False)
    prefix: str = Field(sa_column=Column(String(16), nullable=False))
    secret_hash: str = Field(sa_column=Column(String(64), nullable=False))
    name: str = Field(sa_column=Column(String(200), nullable=False))
    created_by_key_id: int | None = None
    created_at: datetime = timestamp()  # type: ignore[assignment]
    last_used_at: datetime | None = timestamp(nullable=True)  # type: ignore[assignment]
    expires_at: datetime | None = timestamp(nullable=True)  # type: ignore[assignment]
    revoked_at: datetime | None = timestamp(nullable=True)  # type: ignore[assignment]


class AuthFailure(SQLModel, table=True):
    """Counters of failed authentications, one per source (``key:<prefix>`` of an existing
    key, or ``address:<client address>``) in a fixed window: past its limit a source's
    failures are answered 429 until the window has passed. Rows whose window has passed
    are deleted (by ``window_start``), so the table holds only the current window's
    sources."""

    __tablename__ = "auth_failure"
    __table_args__ = (UniqueConstraint("source"), Index(None, "window_start"))

    id: int | None = Field(default=None, primary_key=True)
    source: str = Field(sa_column=Column(String(200), nullable=False))
    window_start: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))
    failures: int
