"""API models of public notice, objections and the open-data figures."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel, ConfigDict, Field

from voucher_service.db.tables.paperwork import ObjectionStatus
from voucher_service.fields import OutModel, Text, Yuan
from voucher_service.materials.kinds import MaterialKind


class PublicNoticeOut(OutModel):
    application_id: int
    enterprise_name: str
    uscc: str = Field(description="The enterprise's unified social credit code (public).")
    district_code: str
    district_name: str
    program_code: str
    program_name: str
    amount_yuan: Yuan
    notice_start: date
    notice_end: date


class NoticesOut(BaseModel):
    items: list[PublicNoticeOut]


class ObjectionIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [{"name": "张三", "contact": "13800000000", "text": "该企业已停止经营。"}]
        },
    )

    name: Text = Field(min_length=1, max_length=100)
    contact: Text = Field(min_length=1, max_length=200, description="Phone or e-mail.")
    text: Text = Field(min_length=1, max_length=2000)


class ObjectionFiledOut(OutModel):
    id: int
    application_id: int
    status: ObjectionStatus


class ObjectionOut(OutModel):
    id: int
    application_id: int
    name: str
    contact: str
    text: str
    status: ObjectionStatus
    decision_reason: str | None
    decided_by: str | None
    decided_at: datetime | None
    created_at: datetime


class ObjectionDecisionIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"reason": "checked: still trading"}]}
    )

    reason: Text = Field(min_length=1, max_length=1000)


class PaperworkIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "required_materials": ["business_licence", "size_declaration"],
                    "notice_enabled": True,
                    "notice_working_days": 5,
                }
            ]
        },
    )

    required_materials: list[MaterialKind] = Field(default_factory=list, max_length=10)
    notice_enabled: bool = Field(default=False, strict=True)
    notice_working_days: int = Field(default=5, strict=True, ge=1, le=30)


class PaperworkOut(BaseModel):
    program_code: str
    required_materials: list[MaterialKind]
    notice_enabled: bool
    notice_working_days: int


class ClosedOut(BaseModel):
    issued: list[int]
    held: list[int] = Field(description="Waiting for an open objection to be decided.")
    failed: dict[int, str]


class CellOut(OutModel):
    key: str
    label: str
    suppressed: bool = Field(description="Fewer than 3 enterprises: no amounts shown.")
    enterprise_count: int | None
    issued_yuan: Yuan | None = Field(validation_alias="issued")
    subsidised_yuan: Yuan | None = Field(validation_alias="subsidised")


class OpenFiguresOut(BaseModel):
    program_code: str
    program_name: str
    year: int
    pool_total_yuan: Yuan
    pool_available_yuan: Yuan
    issued_yuan: Yuan
    subsidised_yuan: Yuan
    enterprises_supported: int
    by_district: list[CellOut]
    by_industry: list[CellOut]
    by_month: list[CellOut]
