"""A dispute as the provider's pages and the bureau's queue show it: its row, its columns,
and the coded values of it and its record named in the page's language."""

from __future__ import annotations

from typing import Any

from voucher_service.console.i18n import Translator
from voucher_service.console.tables import Column
from voucher_service.disputes.repository import DisputeView

COLUMNS = (
    Column("id", "disputes.id", "number"),
    Column("record_id", "records.record_id", "code"),
    Column("record_outcome", "records.outcome", "status", prefix="usage.outcome."),
    Column("reason", "disputes.reason"),
    Column("status", "disputes.status", "status", prefix="dispute.status."),
    Column("raised_at", "disputes.raised_at", "datetime"),
    Column("correction", "disputes.correction", "label", prefix="dispute.correction."),
    Column("resolution", "disputes.resolution"),
    Column("decided_at", "disputes.decided_at", "datetime"),
)


def dispute_row(view: DisputeView) -> dict[str, Any]:
    """A dispute as a table row (both sides' tables)."""
    d = view.dispute
    return {
        "id": d.id,
        "record_id": view.record_id,
        "record_outcome": view.outcome,
        "record_reason": view.record_reason,
        "provider": view.provider_name,
        "provider_uscc": view.provider_uscc,
        "fee_fen": view.fee_fen,
        "subsidy_fen": view.subsidy_fen,
        "reason": d.reason,
        "status": d.status,
        "raised_at": d.raised_at,
        "raised_by": d.raised_by,
        "correction": d.correction,
        "correction_record_id": d.correction_record_id,
        "resolution": d.resolution or None,
        "decided_by": d.decided_by,
        "decided_at": d.decided_at,
    }


def labels(
    t: Translator, outcome: str, reason: str | None, correction: str | None
) -> dict[str, Any]:
    """The coded values of a record and its dispute, named in the page's language."""
    return {
        "outcome": t(f"usage.outcome.{outcome}"),
        "reason": t(f"usage.reason.{reason}") if reason else None,
        "correction": t(f"dispute.correction.{correction}") if correction else None,
    }
