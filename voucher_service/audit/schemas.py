"""API models for the audit log."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from pydantic import BaseModel


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
