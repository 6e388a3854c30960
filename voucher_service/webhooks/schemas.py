"""API models for webhook endpoints and their delivery log."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from voucher_service.db.tables.webhooks import DeliveryStatus, EndpointStatus
from voucher_service.fields import Name, OutModel
from voucher_service.webhooks.service import DeliveryLog, NewSecret


class EndpointCreate(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [{"url": "https://ops.example.cn/voucher-events", "description": "运维"}]
        },
    )

    url: Name = Field(min_length=1, max_length=500, description="https; http only to localhost")
    description: Name = Field(default="", max_length=200)


class RotateIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    keep_previous_hours: float = Field(
        default=24,
        strict=True,
        ge=0,
        le=168,
        description="How long the old secret still signs beside the new one (0: not at all).",
    )


class EndpointOut(OutModel):
    id: int
    url: str
    description: str
    status: EndpointStatus
    created_at: datetime
    previous_expires_at: datetime | None = Field(
        description="Until when the previous secret signs too (a rotation in progress)."
    )


class EndpointWithSecret(EndpointOut):
    secret: str = Field(description="The signing secret: shown this once, store it now.")

    @classmethod
    def of(cls, made: NewSecret) -> EndpointWithSecret:
        return cls.read(made, made.endpoint)


class AttemptOut(OutModel):
    attempted_at: datetime
    latency_ms: int
    response_status: int | None
    error: str


class DeliveryOut(OutModel):
    id: int
    endpoint_id: int
    event_id: str
    event_type: str
    status: DeliveryStatus
    attempts: int
    next_attempt_at: datetime | None
    created_at: datetime
    delivered_at: datetime | None


class DeliveryDetail(DeliveryOut):
    url: str
    body: str = Field(description="The event exactly as it is sent (signed as these bytes).")
    attempt_log: list[AttemptOut]

    @classmethod
    def of(cls, log: DeliveryLog) -> DeliveryDetail:
        return cls.read(
            log.delivery,
            url=log.url,
            attempt_log=[AttemptOut.read(a) for a in log.attempts],
        )
