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
    """What kind of principal acts. A bureau person's rights are their duties (``Duty``);
    the three roles the bureau had before duties were split keep working as fixed sets of
    duties (``LEGACY_DUTIES``, docs/access.md)."""

    BUREAU = "bureau"  # a bureau person: may do what their duties allow
    BUREAU_ADMIN = "bureau_admin"  # legacy: program administration, review and finance
    BUREAU_REVIEWER = "bureau_reviewer"  # legacy: review
    AUDITOR = "auditor"  # legacy: audit
    ENTERPRISE = "enterprise"  # its own enterprise only
    PROVIDER = "provider"  # its own redemptions and records only


class Duty(StrEnum):
    """The bureau's separated duties (三权分立 and maker-checker, docs/access.md). A person
    may hold several where ``domain.duties.conflicts`` finds no conflict."""

    SYSTEM = "sysadmin"  # people, accounts, keys, settings: never money
    PROGRAM = "program"  # programs, pools, rule versions, top-up layers
    REVIEW = "review"  # applications, selections, enterprises, providers, revocations
    FINANCE = "finance"  # closing, approving and paying statements
    AUDIT = "audit"  # reads everything, changes nothing


BUREAU_ROLES = frozenset({Role.BUREAU, Role.BUREAU_ADMIN, Role.BUREAU_REVIEWER, Role.AUDITOR})
# The documented mapping of the roles before duties were split: bureau_admin keeps every
# duty that moves money but not system administration (it can no longer make keys and
# accounts: a system administrator does), so one old key can no longer give itself rights.
LEGACY_DUTIES: dict[Role, frozenset[Duty]] = {
    Role.BUREAU_ADMIN: frozenset({Duty.PROGRAM, Duty.REVIEW, Duty.FINANCE}),
    Role.BUREAU_REVIEWER: frozenset({Duty.REVIEW}),
    Role.AUDITOR: frozenset({Duty.AUDIT}),
}


def parse_duties(text: str) -> frozenset[Duty]:
    """A principal's ``duties`` column (comma-separated) as a set."""
    return frozenset(Duty(part) for part in text.split(",") if part)


def format_duties(duties: frozenset[Duty] | set[Duty]) -> str:
    """The ``duties`` column of a set of duties: sorted, comma-separated."""
    return ",".join(sorted(duty.value for duty in duties))


class Principal(SQLModel, table=True):
    """Who acts: a bureau person (their duties in ``duties``), an enterprise or a provider.
    A bureau principal is one person: maker-checker rules compare principals."""

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
        CheckConstraint(
            "role IN ('bureau', 'bureau_admin', 'bureau_reviewer', 'auditor') OR duties = ''",
            name="duties_only_bureau",
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    role: str = Field(sa_column=Column(String(20), nullable=False))
    name: str = Field(sa_column=Column(String(200), nullable=False))
    enterprise_id: int | None = Field(default=None, foreign_key="enterprise.id")
    provider_id: int | None = Field(default=None, foreign_key="provider.id")
    # A bureau person's duties, comma-separated and sorted (``format_duties``).
    duties: str = Field(default="", sa_column=Column(String(100), nullable=False, default=""))
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
