"""Batches: up to 10,000 usage records in one request, each with its own outcome.

A record that fails validation on its own is reported as invalid and never blocks or rolls
back the others; the valid ones go through the one ingest path (``usage.service``)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from voucher_service.domain.usage import UsageReport
from voucher_service.errors import ErrorCode
from voucher_service.usage import repository
from voucher_service.usage.rows import UsageRow
from voucher_service.usage.service import PostingProvider, ingest_usage


class ItemStatus(StrEnum):
    CREATED = "created"
    REPLAYED = "replayed"
    CONFLICT = "conflict"
    INVALID = "invalid"


@dataclass(frozen=True)
class InvalidReport:
    """A record of a batch that failed validation on its own."""

    record_id: str | None
    message: str
    code: ErrorCode = ErrorCode.INVALID_RECORD


@dataclass(frozen=True)
class BatchItem:
    index: int
    record_id: str | None
    status: ItemStatus
    record: UsageRow[int] | None = None
    error_code: ErrorCode | None = None
    error: str | None = None
    top_up_fen: int = 0  # a stacked record's top-up layers, together


@dataclass(frozen=True)
class BatchResult:
    items: list[BatchItem]

    def count(self, status: ItemStatus) -> int:
        return sum(1 for item in self.items if item.status is status)

    @property
    def subsidy_fen(self) -> int:
        """Subsidy on the records this request created, every program's (replays cost
        nothing new)."""
        return sum(
            item.record.subsidy_fen + item.top_up_fen
            for item in self.items
            if item.status is ItemStatus.CREATED and item.record is not None
        )


def ingest_batch(
    session: Session,
    provider: PostingProvider,
    entries: Sequence[UsageReport | InvalidReport],
    *,
    now: datetime,
    tz: ZoneInfo,
    grace_days: int,
) -> BatchResult:
    """Price a batch: each record gets its own outcome, and an invalid record never blocks
    or rolls back the others."""
    valid = [(i, e) for i, e in enumerate(entries) if isinstance(e, UsageReport)]
    results = ingest_usage(
        session, provider, [r for _, r in valid], now=now, tz=tz, grace_days=grace_days
    )
    by_index = dict(zip((i for i, _ in valid), results, strict=True))
    items: list[BatchItem] = []
    for index, entry in enumerate(entries):
        if isinstance(entry, InvalidReport):
            items.append(
                BatchItem(
                    index,
                    entry.record_id,
                    ItemStatus.INVALID,
                    error_code=entry.code,
                    error=entry.message,
                )
            )
            continue
        result = by_index[index]
        if result.conflict is not None:
            items.append(
                BatchItem(
                    index,
                    result.record_id,
                    ItemStatus.CONFLICT,
                    error_code=ErrorCode.RECORD_ID_CONFLICT,
                    error=result.conflict,
                )
            )
            continue
        status = ItemStatus.REPLAYED if result.replayed else ItemStatus.CREATED
        items.append(BatchItem(index, result.record_id, status, record=result.record))
    return BatchResult(_with_top_ups(session, items))


def _with_top_ups(session: Session, items: list[BatchItem]) -> list[BatchItem]:
    """Stacked records' top-up layers, in one query (none at all when nothing is stacked)."""
    stacked = {
        item.record.id
        for item in items
        if item.record is not None and item.record.ceiling_bp is not None
    }
    if not stacked:
        return items
    layers = repository.top_up_records(session, stacked)
    return [
        replace(item, top_up_fen=sum(layer.subsidy_fen for layer in layers[item.record.id]))
        if item.record is not None and item.record.id in layers
        else item
        for item in items
    ]
