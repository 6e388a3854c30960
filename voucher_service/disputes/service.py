"""Disputes of usage records (异议): raised by the provider, decided by a bureau reviewer.

The story: a provider thinks a record was refused wrongly (say ``uscc_mismatch`` after a
typo the enterprise has since fixed) or priced too high; it raises a dispute with a reason.
The dispute waits in the bureau's queue. A reviewer accepts it, saying which correction is
agreed, or declines it with a reason. Each step is an audit entry; both sides read the
status.

No money moves here (DESIGN.md, "one door for money"): the correction an accepted dispute
agrees goes through the ordinary paths — a refused record is posted again under a new record
id (``usage.service.ingest_usage``, priced by today's rules like any record), a record priced
too high is refunded by an adjustment (``usage.adjustments``). The reviewer may name the
record that made the correction (``correction_record_id``), which must be the provider's and
fit the correction: a usage record for a repost, an adjustment of the disputed record for a
refund. Records stay immutable (invariant 5): a dispute never changes one.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from voucher_service import audit_log
from voucher_service.db.tables.disputes import Correction, DisputeStatus, UsageDispute
from voucher_service.db.tables.usage import RecordKind
from voucher_service.disputes import repository
from voucher_service.disputes.repository import DisputeView
from voucher_service.errors import Conflict, ErrorCode, InvalidInput, InvalidState, NotFound
from voucher_service.pagination import PageParams
from voucher_service.usage import repository as records

MAX_TEXT = 1000


@dataclass(frozen=True)
class Decision:
    """A reviewer's decision: accepted (with the correction agreed, and the record that made
    it when it exists already) or declined; ``resolution`` says why, in words."""

    accept: bool
    resolution: str
    correction: Correction | None = None
    correction_record_id: str | None = None


def _text(value: str, what: str) -> str:
    text = value.strip()
    if not text:
        raise InvalidInput("give a {what}", code=ErrorCode.REASON_REQUIRED, what=what)
    if len(text) > MAX_TEXT:
        raise InvalidInput("the {what} is longer than {most} characters", what=what, most=MAX_TEXT)
    return text


def raise_dispute(
    session: Session, provider_id: int, record_id: str, reason: str, *, now: datetime
) -> DisputeView:
    """The provider disputes one of its usage records (refused or priced) with a reason.
    Another provider's record is not found; a refund or a district's layer cannot be
    disputed (dispute the usage record it belongs to); a record has one open dispute at a
    time (409 ``dispute_open``)."""
    text = _text(reason, "reason")
    record = records.get_record(session, provider_id, record_id)
    if record.kind != RecordKind.USAGE:
        raise Conflict(
            "record {record_id!r} is a {kind} record: dispute the usage record it belongs to",
            code=ErrorCode.NOT_DISPUTABLE,
            record_id=record_id,
            kind=record.kind,
        )
    existing = repository.open_dispute(session, record.id)
    if existing is not None:
        raise Conflict(
            "record {record_id!r} already has an open dispute ({dispute_id}): wait for the "
            "bureau's decision",
            code=ErrorCode.DISPUTE_OPEN,
            record_id=record_id,
            dispute_id=existing.id,
        )
    actor = audit_log.actor_of(session)
    dispute = UsageDispute(
        provider_id=provider_id,
        usage_record_id=record.id,
        reason=text,
        raised_by=actor.name,
        raised_at=now,
    )
    audit_log.created(
        session,
        dispute,
        "dispute.raise",
        "usage_dispute",
        after={"record_id": record_id, "outcome": record.outcome, "reason": text},
    )
    assert dispute.id is not None
    return get_dispute(session, dispute.id)


def get_dispute(
    session: Session, dispute_id: int, *, provider_id: int | None = None
) -> DisputeView:
    """One dispute; of this provider's when ``provider_id`` is given (another's is not
    found, as a missing one is)."""
    found = repository.find(session, dispute_id, provider_id=provider_id)
    if found is None:
        raise NotFound(
            "no dispute {dispute_id}", code=ErrorCode.DISPUTE_NOT_FOUND, dispute_id=dispute_id
        )
    return found


def list_disputes(
    session: Session,
    params: PageParams,
    *,
    provider_id: int | None = None,
    status: DisputeStatus | None = None,
) -> tuple[list[DisputeView], str | None]:
    """A page of disputes, oldest first: the bureau's queue (``status=open``), or one
    provider's own."""
    return repository.page(
        session, params, provider_id=provider_id, status=status.value if status else None
    )


def decide(session: Session, dispute_id: int, decision: Decision, *, now: datetime) -> DisputeView:
    """A reviewer ends an open dispute: accepted, with the correction agreed (and its record,
    if given, checked to be the provider's and to fit), or declined with a reason. A decided
    dispute is not decided again (409 ``invalid_state``)."""
    view = get_dispute(session, dispute_id)
    dispute = view.dispute
    if dispute.status != DisputeStatus.OPEN:
        raise InvalidState(
            "dispute {dispute_id} is already {status}", dispute_id=dispute_id, status=dispute.status
        )
    resolution = _text(decision.resolution, "resolution" if decision.accept else "reason")
    correction = decision.correction if decision.accept else None
    if decision.accept and correction is None:
        raise InvalidInput("say which correction is agreed: repost, refund or none")
    correction_record = decision.correction_record_id if decision.accept else None
    if correction_record:
        _check_correction(session, view, correction, correction_record)
    actor = audit_log.actor_of(session)
    before = {"status": dispute.status}
    dispute.status = DisputeStatus.ACCEPTED if decision.accept else DisputeStatus.DECLINED
    dispute.correction = correction.value if correction else None
    dispute.correction_record_id = correction_record or None
    dispute.resolution = resolution
    dispute.decided_by_id = actor.principal_id
    dispute.decided_by = actor.name
    dispute.decided_at = now
    session.add(dispute)
    session.flush()
    audit_log.record(
        session,
        "dispute.accept" if decision.accept else "dispute.decline",
        "usage_dispute",
        dispute_id,
        before=before,
        after={
            "status": dispute.status,
            "record_id": view.record_id,
            "correction": dispute.correction,
            "correction_record_id": dispute.correction_record_id,
            "resolution": resolution,
        },
    )
    return get_dispute(session, dispute_id)


def _check_correction(
    session: Session, view: DisputeView, correction: Correction | None, record_id: str
) -> None:
    """The record named as the correction exists among the provider's and fits it."""
    found = records.stored_records(session, view.dispute.provider_id, [record_id]).get(record_id)
    if found is None:
        raise InvalidInput(
            "the provider has no record {record_id!r} to name as the correction",
            record_id=record_id,
        )
    if correction is Correction.REFUND:
        fits = (
            found.kind == RecordKind.ADJUSTMENT
            and found.original_id == view.dispute.usage_record_id
        )
        if not fits:
            raise InvalidInput(
                "record {record_id!r} is not a refund of {disputed_id!r}",
                record_id=record_id,
                disputed_id=view.record_id,
            )
    elif correction is Correction.REPOST:
        if found.kind != RecordKind.USAGE or found.id == view.dispute.usage_record_id:
            raise InvalidInput(
                "record {record_id!r} is not a new usage record (a repost)", record_id=record_id
            )
    else:
        raise InvalidInput("a correction of 'none' names no record")
