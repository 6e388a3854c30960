"""API models for the compute network: provider telemetry and health endpoints."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from voucher_service.fields import Instant, Name, NonNegativeYuan, input_of
from voucher_service.monitoring.network import Snapshot


class SnapshotIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    observed_at: Instant
    resource_model: Name = Field(min_length=1, max_length=100, examples=["Ascend 910B"])
    total: int = Field(strict=True, ge=0, le=10_000_000, description="Accelerators of this model.")
    available: int = Field(strict=True, ge=0, le=10_000_000, description="Of which free now.")
    utilisation_percent: int = Field(strict=True, ge=0, le=100)
    queue_wait_seconds: int = Field(strict=True, ge=0, le=30 * 86400)
    list_price_yuan: NonNegativeYuan = Field(description="Current list price per card-hour.")

    def to_snapshot(self) -> Snapshot:
        return input_of(Snapshot, self, utilisation_bp=self.utilisation_percent * 100)


class TelemetryIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "snapshots": [
                        {
                            "observed_at": "2026-06-15T10:00:00+08:00",
                            "resource_model": "Ascend 910B",
                            "total": 512,
                            "available": 64,
                            "utilisation_percent": 87,
                            "queue_wait_seconds": 300,
                            "list_price_yuan": "12.50",
                        }
                    ]
                }
            ]
        },
    )

    snapshots: list[SnapshotIn] = Field(min_length=1, max_length=1000)


class HealthEndpointIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"url": "https://ai.example.cn/healthz"}]}
    )

    url: str | None = Field(
        default=None,
        max_length=500,
        pattern=r"^https?://[^\x00-\x20\x7f-\x9f]+$",
        description="null to stop probing",
    )
