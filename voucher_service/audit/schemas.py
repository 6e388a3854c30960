"""API models for the audit log and audit samples."""

from __future__ import annotations

import json
from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, Field

from voucher_service.audit.history import Change, HistoryRow, ValueKind
from voucher_service.audit.sampling import METHOD, Evidence, Sample
from voucher_service.db.tables.audit import AuditEntry
from voucher_service.db.tables.ledger import LedgerPosting
from voucher_service.fields import OutModel, Yuan
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


class PostingOut(OutModel):
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
        return cls.read(posting)


class SampledRecordOut(OutModel):
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
        voucher, rules, redemption = item.voucher, item.rules, item.redemption
        return cls.read(
            item.record,
            item,
            provider_uscc=item.provider.uscc,
            provider_name=item.provider.name,
            voucher_code=voucher.code,
            rule_version={
                "version": rules.version,
                "effective_from": rules.effective_from,
                "rate_bp": rules.rate_bp,
                "cap_yuan": fen_to_yuan(rules.cap_fen),
                "cap_scope": rules.cap_scope,
                "year_cap_yuan": fen_to_yuan(rules.year_cap_fen) if rules.year_cap_fen else None,
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
            audit_entries=[AuditEntryOut.of_entry(e) for e in item.audit_entries],
        )


class SampleOut(OutModel):
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
        return cls.read(found, found.spec, items=[SampledRecordOut.of(i) for i in found.items])


class PersonOut(OutModel):
    """Who acted, by name: ``kind`` (bureau, enterprise, provider, command_line, system,
    anonymous), the bureau role, the organisation's name and the person's display name."""

    kind: str
    role: str | None
    organisation: str | None
    name: str | None


class ChangeOut(OutModel):
    """One field of an entry, old -> new; money (``kind`` money) as a yuan string, a share
    (``kind`` bp) in basis points."""

    field: str
    kind: str
    before: Any
    after: Any

    @classmethod
    def of(cls, change: Change) -> ChangeOut:
        def shown(value: Any) -> Any:
            money = change.kind is ValueKind.MONEY and value is not None
            return fen_to_yuan(value) if money else value

        return cls.read(
            change, kind=change.kind.value, before=shown(change.before), after=shown(change.after)
        )


class HistoryRowOut(OutModel):
    id: int
    occurred_at: datetime
    action: str
    target_type: str
    target_id: str
    person: PersonOut
    changes: list[ChangeOut]

    @classmethod
    def of(cls, row: HistoryRow) -> HistoryRowOut:
        person = PersonOut.read(row.person, kind=row.person.kind.value)
        return cls.read(row, person=person, changes=[ChangeOut.of(c) for c in row.changes])
