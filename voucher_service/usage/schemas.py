"""API models for usage records, batches and adjustments."""

from __future__ import annotations

import json
import re
from datetime import date, datetime
from decimal import Decimal
from functools import lru_cache
from typing import Annotated, Any

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    TypeAdapter,
    ValidationError,
    WithJsonSchema,
    field_validator,
    model_validator,
)
from pydantic_core import to_json

from voucher_service.domain.usage import AdjustmentReport, ResourceKind, Unit, UsageReport
from voucher_service.errors import ErrorCode
from voucher_service.fields import (
    USCC,
    Id,
    Instant,
    Name,
    NonNegativeYuan,
    PositiveYuan,
    RecordId,
    SafeInt,
    Text,
    VoucherCode,
    Yuan,
    error_code_of,
)
from voucher_service.money import fen_to_yuan
from voucher_service.usage.batches import BatchResult, InvalidReport, ItemStatus
from voucher_service.usage.records import RecordView

MAX_BATCH = 10_000
# Greater than zero, at most twelve whole digits and six places ("0.0" and "8\n" are not).
_QUANTITY_PATTERN = (
    r"^([1-9][0-9]{0,11}(\.[0-9]{1,6})?|0\.("
    + "|".join(f"0{{{zeros}}}[1-9][0-9]{{0,{5 - zeros}}}" for zeros in range(6))
    + "))$"
)
_QUANTITY = re.compile(_QUANTITY_PATTERN)


def _quantity(value: Any) -> Decimal:
    if not isinstance(value, str) or _QUANTITY.fullmatch(value) is None:
        raise ValueError(
            "quantity must be a decimal string greater than zero with at most 6 places, "
            'such as "12.5"'
        )
    return Decimal(value)


Quantity = Annotated[
    Decimal,
    BeforeValidator(_quantity),
    WithJsonSchema({"type": "string", "pattern": _QUANTITY_PATTERN, "examples": ["8.5"]}),
]

RECORD_EXAMPLE: dict[str, Any] = {
    "record_id": "job-2026-06-0001",
    "voucher_code": "7KQ3-MZ8D-R2XW-HT4T",
    "uscc": "91420106MA4K00005Y",
    "resource_kind": "accelerator",
    "resource_model": "Ascend 910B",
    "quantity": "8",
    "unit": "card_hour",
    "unit_price_yuan": "12.50",
    "fee_yuan": "100.00",
    "service_start": "2026-06-01T09:00:00+08:00",
    "service_end": "2026-06-01T10:00:00+08:00",
    "attributes": {"job_id": "train-42", "region": "wuhan-east"},
}


class UsageRecordIn(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [RECORD_EXAMPLE]})

    record_id: RecordId = Field(
        description="Your own id for the record, unique among your records: retries reuse it.",
    )
    voucher_code: VoucherCode | None = Field(
        default=None, description="The voucher drawn on (or give redemption_id instead)."
    )
    redemption_id: Id | None = Field(
        strict=True, default=None, description="Instead of voucher_code: your redemption."
    )
    uscc: USCC = Field(description="The enterprise's credit code: must be the voucher holder's.")
    resource_kind: ResourceKind
    resource_model: Name = Field(min_length=1, max_length=100)
    quantity: Quantity
    unit: Unit
    unit_price_yuan: NonNegativeYuan
    fee_yuan: NonNegativeYuan = Field(description="quantity x unit price, to the fen.")
    service_start: Instant = Field(description="With a timezone; naive times are refused.")
    service_end: Instant
    attributes: dict[Name, Name | SafeInt | bool | None] = Field(
        default_factory=dict, description="Free-form: job id, region, ... (at most 4,000 bytes)."
    )

    @model_validator(mode="after")
    def _one_voucher_reference(self) -> UsageRecordIn:
        if (self.voucher_code is None) == (self.redemption_id is None):
            raise ValueError("give exactly one of voucher_code and redemption_id")
        return self

    @field_validator("attributes")
    @classmethod
    def _small(cls, value: dict[str, Any]) -> dict[str, Any]:
        if len(json.dumps(value, ensure_ascii=False).encode()) > 4000:
            raise ValueError("attributes must be at most 4,000 bytes as JSON")
        return value

    def report(self) -> UsageReport:
        return UsageReport(
            record_id=self.record_id,
            voucher_code=self.voucher_code,
            redemption_id=self.redemption_id,
            uscc=self.uscc,
            resource_kind=self.resource_kind.value,
            resource_model=self.resource_model,
            quantity=self.quantity,
            unit=self.unit.value,
            unit_price_fen=self.unit_price_yuan,
            fee_fen=self.fee_yuan,
            service_start=self.service_start,
            service_end=self.service_end,
            attributes=self.attributes,
        )


RECORD_ADAPTER = TypeAdapter(UsageRecordIn)


class BatchIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"records": [RECORD_EXAMPLE]}]}
    )

    records: list[Any] = Field(
        min_length=1,
        max_length=MAX_BATCH,
        description=f"1 to {MAX_BATCH} usage records; each is checked and priced on its own.",
    )


class AdjustmentIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "record_id": "refund-2026-06-0001",
                    "adjusts_record_id": "job-2026-06-0001",
                    "refund_yuan": "40.00",
                    "reason": "job pre-empted; 40 yuan refunded to the customer",
                }
            ]
        },
    )

    record_id: RecordId
    adjusts_record_id: RecordId
    refund_yuan: PositiveYuan = Field(description="How much of the original fee is refunded.")
    reason: Text = Field(default="", max_length=480)

    def report(self) -> AdjustmentReport:
        return AdjustmentReport(
            record_id=self.record_id,
            adjusts_record_id=self.adjusts_record_id,
            refund_fen=self.refund_yuan,
            reason=self.reason,
        )


class TopUpOut(BaseModel):
    """A top-up program's layer of a stacked record: drawn on that program's own voucher."""

    record_id: str
    voucher_code: str
    outcome: str
    reason: str | None
    subsidy_yuan: Yuan = Field(description="What the top-up program pays of the fee.")
    rule_version: int | None


class UsageRecordOut(BaseModel):
    record_id: str
    kind: str = Field(
        description="usage; adjustment (a refund of an earlier record); or topup (a top-up "
        "program's layer of a stacked usage record, with no fee of its own)"
    )
    adjusts_record_id: str | None = Field(
        default=None, description="The record an adjustment refunds or a top-up layer belongs to."
    )
    outcome: str = Field(description="subsidised, partial, refused, or adjusted")
    reason: str | None = Field(
        description="Why the subsidy is short or refused: cap_reached, voucher_exhausted, "
        "outside_window, voucher_not_valid_on_date, stack_ceiling, unknown_voucher, "
        "uscc_mismatch, unknown_redemption, voucher_not_active, fee_mismatch, "
        "invalid_period, service_in_future, reported_too_late (not_redeemed: records stored "
        "before 2026-12 only)."
    )
    voucher_code: str
    uscc: str
    resource_kind: str
    resource_model: str
    quantity: str
    unit: str
    unit_price_yuan: Yuan
    fee_yuan: Yuan
    full_subsidy_yuan: Yuan = Field(description="What the rate alone would give.")
    subsidy_yuan: Yuan = Field(description="What the program pays: deduct it from the bill.")
    enterprise_share_yuan: Yuan = Field(description="The fee less this record's subsidy.")
    top_ups: list[TopUpOut] = Field(
        default_factory=list,
        description="A stacked record's top-up layers (a district's program on the city's), "
        "each from its own voucher; for a refund of a stacked record, each layer's reversal; "
        "empty for most records.",
    )
    enterprise_pays_yuan: Yuan = Field(
        description="What the enterprise pays in the end: the fee less every program's "
        "subsidy (for a refund: how much its payment falls, every layer's reversal counted)."
    )
    rule_version: int | None
    service_start: datetime
    service_end: datetime
    service_date: date
    attributes: dict[str, Any]
    created_at: datetime

    @classmethod
    def of(cls, view: RecordView) -> UsageRecordOut:
        # Rows come from the database (or were just written to it): built without
        # re-validation, which matters for a 10,000-record batch.
        row = view.row
        return cls.model_construct(
            record_id=row.record_id,
            kind=row.kind,
            adjusts_record_id=view.original_record_id,
            outcome=row.outcome,
            reason=row.reason,
            voucher_code=row.voucher_code,
            uscc=row.uscc,
            resource_kind=row.resource_kind,
            resource_model=row.resource_model,
            quantity=row.quantity,
            unit=row.unit,
            unit_price_yuan=row.unit_price_fen,
            fee_yuan=row.fee_fen,
            full_subsidy_yuan=row.full_subsidy_fen,
            subsidy_yuan=row.subsidy_fen,
            enterprise_share_yuan=row.enterprise_share_fen,
            top_ups=[
                TopUpOut.model_construct(
                    record_id=layer.record_id,
                    voucher_code=layer.voucher_code,
                    outcome=layer.outcome,
                    reason=layer.reason,
                    subsidy_yuan=layer.subsidy_fen,
                    rule_version=layer.rule_version,
                )
                for layer in view.top_ups
            ],
            enterprise_pays_yuan=view.enterprise_pays_fen,
            rule_version=row.rule_version,
            service_start=row.service_start,
            service_end=row.service_end,
            service_date=row.service_date,
            attributes=json.loads(row.attributes),
            created_at=row.created_at,
        )


class ErrorOut(BaseModel):
    code: str
    message: str


class BatchItemOut(BaseModel):
    """One record's result, compact: the full record is at GET .../usage-records/{record_id}."""

    index: int
    record_id: str | None
    status: str = Field(description="created, replayed, conflict or invalid")
    outcome: str | None = Field(default=None, description="subsidised, partial or refused")
    reason: str | None = None
    fee_yuan: Yuan | None = None
    subsidy_yuan: Yuan | None = None
    top_up_yuan: Yuan | None = Field(
        default=None, description="A stacked record's top-up programs' subsidy, together."
    )
    enterprise_share_yuan: Yuan | None = None
    error: ErrorOut | None = None


class BatchOut(BaseModel):
    created: int
    replayed: int
    conflicts: int
    invalid: int
    subsidy_yuan: Yuan = Field(description="Subsidy on the records this request created.")
    results: list[BatchItemOut]

    @staticmethod
    def json_of(result: BatchResult) -> bytes:
        """The reply, serialised in one pass over plain values: this schema, without building
        and validating 10,000 models (rows come from the database or were just written)."""
        yuan = _yuan_text
        items = []
        for item in result.items:
            record = item.record
            items.append(
                {
                    "index": item.index,
                    "record_id": item.record_id,
                    "status": item.status.value,
                    "outcome": record.outcome if record else None,
                    "reason": record.reason if record else None,
                    "fee_yuan": yuan(record.fee_fen) if record else None,
                    "subsidy_yuan": yuan(record.subsidy_fen) if record else None,
                    "top_up_yuan": yuan(item.top_up_fen) if record else None,
                    "enterprise_share_yuan": (
                        yuan(record.enterprise_share_fen) if record else None
                    ),
                    "error": {"code": item.error_code.value, "message": item.error}
                    if item.error_code and item.error
                    else None,
                }
            )
        return to_json(
            {
                "created": result.count(ItemStatus.CREATED),
                "replayed": result.count(ItemStatus.REPLAYED),
                "conflicts": result.count(ItemStatus.CONFLICT),
                "invalid": result.count(ItemStatus.INVALID),
                "subsidy_yuan": yuan(result.subsidy_fen),
                "results": items,
            }
        )


_yuan_text = lru_cache(maxsize=4096, typed=True)(fen_to_yuan)


BATCH_ADAPTER = TypeAdapter(list[UsageRecordIn])


def parse_batch(records: list[Any]) -> list[UsageReport | InvalidReport]:
    """Validate a batch in one pass when every record is well formed (the common case);
    only when one is not, record by record, so each bad one gets its own error."""
    try:
        return [record.report() for record in BATCH_ADAPTER.validate_python(records)]
    except ValidationError:
        return [parse_record(raw) for raw in records]


def parse_record(raw: Any) -> UsageReport | InvalidReport:
    """Validate one record of a batch on its own: a bad one never blocks the others."""
    try:
        return RECORD_ADAPTER.validate_python(raw).report()
    except ValidationError as exc:
        parts = []
        for err in exc.errors():
            where = ".".join(str(p) for p in err.get("loc", ())) or "record"
            parts.append(f"{where}: {str(err.get('msg', 'invalid')).removeprefix('Value error, ')}")
        record_id = raw.get("record_id") if isinstance(raw, dict) else None
        return InvalidReport(
            record_id if isinstance(record_id, str) else None,
            "; ".join(parts),
            error_code_of(exc.errors(), ErrorCode.INVALID_RECORD),
        )
