"""API models of disputes: raising one, a reviewer's decision, a dispute as both sides read it."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from voucher_service.db.tables.disputes import Correction
from voucher_service.disputes.repository import DisputeView
from voucher_service.disputes.service import Decision
from voucher_service.fields import RecordId, Text, Yuan


class DisputeIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "reason": "the customer's credit code was corrected on 2026-06-03; "
                    "the job ran on its voucher"
                }
            ]
        },
    )

    reason: Text = Field(max_length=1000, description="Why the record should be priced otherwise.")


class AcceptIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "correction": "repost",
                    "resolution": "the holder's credit code was right; repost under a new id",
                }
            ]
        },
    )

    correction: Correction = Field(
        description="repost (post the work again under a new record id), refund (an "
        "adjustment of the disputed record) or none (nothing to correct in the books)."
    )
    resolution: Text = Field(max_length=1000, description="What was decided, in words.")
    correction_record_id: RecordId | None = Field(
        default=None,
        description="The record that made the correction, if it is posted already: a new "
        "usage record (repost) or an adjustment of the disputed one (refund).",
    )

    def decision(self) -> Decision:
        return Decision(True, self.resolution, self.correction, self.correction_record_id)


class DeclineIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: Text = Field(max_length=1000, description="Why the record stands as priced.")

    def decision(self) -> Decision:
        return Decision(False, self.reason)


class DisputeOut(BaseModel):
    id: int
    provider_uscc: str
    provider_name: str
    record_id: str
    record_outcome: str = Field(description="subsidised, partial or refused")
    record_reason: str | None
    fee_yuan: Yuan
    subsidy_yuan: Yuan
    service_date: date
    reason: str
    status: Literal["open", "accepted", "declined"]
    correction: str | None = Field(description="repost, refund or none (an accepted dispute).")
    correction_record_id: str | None
    resolution: str = Field(description="The reviewer's resolution or reason for declining.")
    raised_by: str
    raised_at: datetime
    decided_by: str | None
    decided_at: datetime | None

    @classmethod
    def of(cls, view: DisputeView) -> DisputeOut:
        d = view.dispute
        assert d.id is not None
        return cls.model_validate(
            {
                "id": d.id,
                "provider_uscc": view.provider_uscc,
                "provider_name": view.provider_name,
                "record_id": view.record_id,
                "record_outcome": view.outcome,
                "record_reason": view.record_reason,
                "fee_yuan": view.fee_fen,
                "subsidy_yuan": view.subsidy_fen,
                "service_date": view.service_date,
                "reason": d.reason,
                "status": d.status,
                "correction": d.correction,
                "correction_record_id": d.correction_record_id,
                "resolution": d.resolution,
                "raised_by": d.raised_by,
                "raised_at": d.raised_at,
                "decided_by": d.decided_by,
                "decided_at": d.decided_at,
            }
        )
