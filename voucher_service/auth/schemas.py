"""API models for keys and for proposals waiting for a second person."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, JsonValue

from voucher_service.auth.proposals import ConfirmationView, payload_of
from voucher_service.auth.service import KeyView, NewKey
from voucher_service.db.tables.auth import Duty, Role, parse_duties
from voucher_service.db.tables.confirmations import ConfirmationKind, ConfirmationStatus
from voucher_service.fields import USCC, Instant, Name, OutModel, Yuan


class SelfKeyCreate(BaseModel):
    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"name": "billing system, 2026"}]}
    )

    name: Name = Field(min_length=1, max_length=200, description="What the key is for.")
    expires_at: Instant | None = None


KEY_EXAMPLES: list[JsonValue] = [
    {"role": "bureau", "duties": ["review"], "holder": "张三", "name": "laptop"},
    {"role": "enterprise", "uscc": "91420106MA4K00005Y", "name": "portal"},
]


class KeyCreate(SelfKeyCreate):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": KEY_EXAMPLES})

    role: Role
    holder: Name | None = Field(
        default=None, max_length=200, description="Bureau keys: the person or system."
    )
    uscc: USCC | None = Field(default=None, description="Enterprise and provider keys.")
    duties: list[Duty] = Field(
        default=[],
        max_length=len(Duty),
        description="A new bureau person's duties (role bureau); an existing one keeps theirs.",
    )


class KeyOut(OutModel):
    prefix: str = Field(description="Public part of the key: how it appears in lists and logs.")
    name: str
    role: Role
    holder: str
    duties: list[Duty] = Field(description="The holder's bureau duties (docs/access.md).")
    created_at: datetime
    last_used_at: datetime | None
    expires_at: datetime | None
    revoked_at: datetime | None

    @classmethod
    def of(cls, view: KeyView) -> KeyOut:
        principal = view.principal
        return cls.read(
            view.key,
            role=principal.role,
            holder=principal.name,
            duties=sorted(parse_duties(principal.duties)),
        )


class NewKeyOut(KeyOut):
    key: str = Field(description="The key itself. Shown only now: store it safely.")

    @classmethod
    def of_new(cls, new: NewKey) -> NewKeyOut:
        return cls.read(KeyOut.of(new.view), key=new.key)


class ConfirmationOut(OutModel):
    id: int
    kind: ConfirmationKind
    target: str = Field(
        description="The application's id, the voucher's code, the pool (program/year) or the "
        "program's code."
    )
    summary: str = Field(description="What confirming does: the difference it makes.")
    amount_yuan: Yuan = Field(description="The money it moves (a pool: its total; a rule: 0).")
    reason: str
    status: ConfirmationStatus
    proposed_by: str
    proposed_at: datetime
    decided_by: str | None
    decided_at: datetime | None

    @classmethod
    def of(cls, view: ConfirmationView) -> ConfirmationOut:
        row = view.confirmation
        payload: dict[str, Any] = payload_of(row)
        amount = next((payload[k] for k in _AMOUNTS if payload.get(k) is not None), 0)
        return cls.read(
            view, row, target=row.target_id, amount_fen=amount, reason=payload.get("reason", "")
        )


# Where a proposal's payload keeps the money it moves, by kind.
_AMOUNTS = ("amount_fen", "balance_fen", "total_fen", "second_review_above_fen")
