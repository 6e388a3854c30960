"""A usage record's dispute (异议) as both sides' tables show it: the provider's pages
(``console/provider/disputes.py``) and the bureau's queue (``console/bureau/disputes.py``)."""

from __future__ import annotations

from typing import Any

from voucher_service.console.i18n import Translator
from voucher_service.disputes.repository import DisputeView


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
