"""API models for the audit log and audit samples."""

from __future__ import annotations

import json
from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, Field

from voucher_service.audit.sampling import METHOD, Evidence, Sample
from voucher_service.db.tables.audit import AuditEntry
from voucher_service.db.tables.ledger import LedgerPosting
from voucher_service.fields import Yuan
from voucher_service.money import fen_to_yuan


class AuditEntryOut(BaseModel):
    id: int
    seq: int | None
    occurred_at: datetime
    actor: str
    principal_id: int | None
    key_id: int | None
    action: str
    target_type: str
    target_id: str
    before: Any
    after: Any
    hash: str | None

    @classmethod
    def of(cls, row: dict[str, Any]) -> AuditEntryOut:
        return cls(
            **{k: row[k] for k in cls.model_fields if k not in ("before", "after")},
            before=json.loads(row["before"]) if row["before"] else None,
            after=json.loads(row["after"]) if row["after"] else None,
        )

    @classmethod
    def of_entry(cls, entry: AuditEntry) -> AuditEntryOut:
        return cls.of(entry.model_dump())


class PostingOut(BaseModel):
    id: int
    kind: str
    from_account: str
    to_account: str
    amount_yuan: Yuan
    usage_record_id: int | None
    memo: str
    created_at: datetime

    @classmethod
    def of(cls, posting: LedgerPosting) -> PostingOut:
        return cls(**posting.model_dump(), amount_yuan=posting.amount_fen)


class SampledRecordOut(BaseModel):
    draw: int = Field(description="1 for the first record drawn.")
    id: int
    provider_uscc: str
    provider_name: str
    record_id: str
    uscc: str
    voucher_code: str
    program_code: str
    pool_year: int
    service_date: date
    fee_yuan: Yuan
    full_subsidy_yuan: Yuan
    subsidy_yuan: Yuan
    enterprise_share_yuan: Yuan
    outcome: str
    reason: str | None
    rule_version: dict[str, Any]
    voucher: dict[str, Any]
    redemption: dict[str, Any] | None
    adjustments: list[dict[str, Any]]
    postings: list[PostingOut]
    audit_entries: list[AuditEntryOut]

    @classmethod
    def of(cls, item: Evidence) -> SampledRecordOut:
        record, voucher, rules, redemption = item.record, item.voucher, item.rules, item.redemption
        return cls(
            draw=item.draw,
            id=record.id,
            provider_uscc=item.provider.uscc,
            provider_name=item.provider.name,
            record_id=record.record_id,
            uscc=record.uscc,
            voucher_code=voucher.code,
            program_code=item.program_code,
            pool_year=item.pool_year,
            service_date=record.service_date,
            fee_yuan=record.fee_fen,
            full_subsidy_yuan=record.full_subsidy_fen,
            subsidy_yuan=record.subsidy_fen,
            enterprise_share_yuan=record.enterprise_share_fen,
            outcome=record.outcome,
            reason=record.reason,
            rule_version={
                "version": rules.version,
                "effective_from": rules.effective_from,
                "rate_bp": rules.rate_bp,
                "cap_yuan": fen_to_yuan(rules.cap_fen),
                "cap_scope": rules.cap_scope,
                "window_months": rules.window_months,
            },
            voucher={
                "code": voucher.code,
                "status": voucher.status,
                "face_value_yuan": fen_to_yuan(voucher.face_value_fen),
                "valid_from": voucher.valid_from,
                "valid_to": voucher.valid_to,
                "issued_at": voucher.issued_at,
            },
            redemption=None
            if redemption is None
            else {
                "id": redemption.id,
                "status": redemption.status,
                "created_at": redemption.created_at,
                "ended_at": redemption.ended_at,
            },
            adjustments=[
                {
                    "record_id": a.record_id,
                    "fee_yuan": fen_to_yuan(a.fee_fen),
                    "subsidy_yuan": fen_to_yuan(a.subsidy_fen),
                    "created_at": a.created_at,
                }
                for a in item.adjustments
            ],
            postings=[PostingOut.of(p) for p in item.postings],
            audit_entries=[AuditEntryOut.of_entry(e) for e in item.audit_entries],
        )


class SampleOut(BaseModel):
    seed: int
    n: int
    population: int = Field(description="Records that could be drawn.")
    program_code: str | None
    date_from: date | None
    date_to: date | None
    method: str = METHOD
    items: list[SampledRecordOut]

    @classmethod
    def of(cls, found: Sample) -> SampleOut:
        spec = found.spec
        return cls(
            seed=spec.seed,
            n=spec.n,
            population=found.population,
            program_code=spec.program_code,
            date_from=spec.date_from,
            date_to=spec.date_to,
            items=[SampledRecordOut.of(item) for item in found.items],
        )
