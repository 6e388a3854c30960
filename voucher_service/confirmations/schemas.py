"""API models for the checker's queue."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field

from voucher_service.auth.proposals import payload_of
from voucher_service.confirmations.service import ConfirmationView
from voucher_service.db.tables.confirmations import ConfirmationKind, ConfirmationStatus
from voucher_service.money import fen_to_yuan


class ConfirmationOut(BaseModel):
    id: int
    kind: ConfirmationKind
    target: str = Field(description="The application's id or the voucher's code.")
    summary: str = Field(description="What confirming does: the difference it makes.")
    amount_yuan: str = Field(description="The money it moves.")
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
        amount = payload.get("amount_fen", payload.get("balance_fen", 0))
        return cls(
            id=row.id or 0,
            kind=ConfirmationKind(row.kind),
            target=row.target_id,
            summary=row.summary,
            amount_yuan=fen_to_yuan(amount),
            reason=payload.get("reason", ""),
            status=ConfirmationStatus(row.status),
            proposed_by=view.proposed_by,
            proposed_at=row.proposed_at,
            decided_by=view.decided_by,
            decided_at=row.decided_at,
        )
