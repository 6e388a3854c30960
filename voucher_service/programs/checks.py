"""The stacks' part of the whole-books check (``voucher_service.books``): a top-up
program's layers of a usage record within their own rates, the fee and the stack's
combined ceiling."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, aliased
from sqlmodel import col

from voucher_service.db.tables.programs import RuleVersion
from voucher_service.db.tables.usage import RecordKind, UsageRecord
from voucher_service.db.tables.vouchers import Voucher


def check_stacks(session: Session) -> list[str]:
    """A stacked record's layers: each top-up within its own rate of the usage record's fee,
    and all of them together within the fee and the stack's combined ceiling."""
    usage = aliased(UsageRecord)
    layers = (
        select(
            usage.provider_id,
            usage.record_id,
            usage.fee_fen,
            usage.subsidy_fen,
            usage.ceiling_bp,
            col(UsageRecord.record_id).label("layer_id"),
            col(UsageRecord.subsidy_fen).label("layer_fen"),
            RuleVersion.rate_bp,
        )
        .join(usage, usage.id == UsageRecord.original_id)
        .join(Voucher, Voucher.id == UsageRecord.voucher_id)
        .join(
            RuleVersion,
            (RuleVersion.program_id == Voucher.program_id)
            & (RuleVersion.version == UsageRecord.rule_version),
        )
        .where(UsageRecord.kind == RecordKind.TOP_UP)
    )
    violations: list[str] = []
    stacks: dict[tuple[int, str], list[Any]] = defaultdict(list)
    for row in session.execute(layers):
        stacks[(row.provider_id, row.record_id)].append(row)
        if row.layer_fen * 10_000 > row.fee_fen * row.rate_bp:
            violations.append(f"top-up record {row.layer_id!r}: subsidy above its rate")
    for (provider_id, record_id), rows in stacks.items():
        first = rows[0]
        total = first.subsidy_fen + sum(row.layer_fen for row in rows)
        if total * 10_000 > first.fee_fen * (first.ceiling_bp or 10_000):
            violations.append(
                f"usage record {record_id!r} of provider {provider_id}: its layers together "
                f"({total}) above the fee's combined ceiling"
            )
    return violations
