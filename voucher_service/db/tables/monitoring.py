"""Provider telemetry and health probes."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, Column, Index, String
from sqlmodel import Field, SQLModel

from voucher_service.db import base  # noqa: F401  (naming convention before any table)
from voucher_service.db.columns import money
from voucher_service.db.types import BigInt, UTCDateTime


class TelemetrySnapshot(SQLModel, table=True):
    """A provider's report of its capacity for one accelerator model at one moment."""

    __tablename__ = "telemetry_snapshot"
    __table_args__ = (
        Index(None, "provider_id", "resource_model", "observed_at"),
        CheckConstraint("available >= 0 AND available <= total", name="available_within_total"),
        CheckConstraint("utilisation_bp BETWEEN 0 AND 10000", name="utilisation_range"),
        CheckConstraint("queue_wait_seconds >= 0", name="wait_nonnegative"),
        CheckConstraint("list_price_fen >= 0", name="price_nonnegative"),
    )

    id: int | None = Field(default=None, sa_column=Column(BigInt, primary_key=True))
    provider_id: int = Field(foreign_key="provider.id", nullable=False)
    observed_at: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))
    resource_model: str = Field(sa_column=Column(String(100), nullable=False))
    total: int
    available: int
    utilisation_bp: int
    queue_wait_seconds: int
    list_price_fen: int = money()  # type: ignore[assignment]


class ProbeResult(SQLModel, table=True):
    """One health probe of a provider's registered endpoint."""

    __tablename__ = "probe_result"
    __table_args__ = (Index(None, "provider_id", "probed_at"),)

    id: int | None = Field(default=None, sa_column=Column(BigInt, primary_key=True))
    provider_id: int = Field(foreign_key="provider.id", nullable=False)
    probed_at: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))
    ok: bool
    latency_ms: int | None = None
    status_code: int | None = None
    error: str | None = Field(default=None, sa_column=Column(String(300), nullable=True))


class JobRun(SQLModel, table=True):
    """The last outcome of each scheduled job the service cannot see run (backup, verify,
    checkpoint): what /metrics exports and the alerts watch, so a job that stopped running
    or keeps failing is noticed (``monitoring/jobs.py``)."""

    __tablename__ = "job_run"

    job: str = Field(sa_column=Column(String(40), primary_key=True))
    last_success_at: datetime | None = Field(
        default=None, sa_column=Column(UTCDateTime, nullable=True)
    )
    last_failure_at: datetime | None = Field(
        default=None, sa_column=Column(UTCDateTime, nullable=True)
    )
