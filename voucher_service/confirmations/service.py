"""Confirming, rejecting or withdrawing a proposal (``auth.proposals``). Confirming does
what the proposal says through the capability's own service, as the confirming person: an
approval issues its voucher, a revocation returns the balance to the pool; both people are
in the audit log (``confirmation.confirm``)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy.orm import Session

from voucher_service.applications import service as applications
from voucher_service.auth import proposals
from voucher_service.auth.duties import name_of
from voucher_service.db.tables.confirmations import (
    Confirmation,
    ConfirmationKind,
    ConfirmationStatus,
)
from voucher_service.vouchers import service as vouchers


def confirm(session: Session, confirmation_id: int, *, today: date, now: datetime) -> Confirmation:
    """A second reviewer confirms: the action is done now (refused, with nothing written,
    as the action itself would be: checks that no longer pass, a pool short of money)."""
    row = proposals.get(session, confirmation_id, lock=True)
    proposals.decide(session, row, ConfirmationStatus.CONFIRMED, now=now)
    payload = proposals.payload_of(row)
    if row.kind == ConfirmationKind.APPROVE_APPLICATION:
        application = applications.get_application(session, int(row.target_id))
        applications.approve(
            session,
            application,
            amount_fen=payload["amount_fen"],
            reason=payload["reason"],
            today=today,
            now=now,
            confirmed=True,
        )
    else:
        voucher = vouchers.get_voucher(session, row.target_id)
        vouchers.revoke_voucher(session, voucher, reason=payload["reason"], confirmed=True)
    return row


def reject(session: Session, confirmation_id: int, *, now: datetime) -> Confirmation:
    """A second reviewer refuses: nothing is done."""
    row = proposals.get(session, confirmation_id, lock=True)
    proposals.decide(session, row, ConfirmationStatus.REJECTED, now=now)
    return row


def withdraw(session: Session, confirmation_id: int, *, now: datetime) -> Confirmation:
    """The proposer takes the proposal back: nothing is done."""
    row = proposals.get(session, confirmation_id, lock=True)
    proposals.decide(session, row, ConfirmationStatus.WITHDRAWN, now=now)
    return row


@dataclass(frozen=True)
class ConfirmationView:
    """A proposal with the names of who proposed and decided it."""

    confirmation: Confirmation
    proposed_by: str
    decided_by: str | None


def describe(session: Session, rows: list[Confirmation]) -> list[ConfirmationView]:
    return [
        ConfirmationView(
            row, name_of(session, row.proposed_by_id) or "", name_of(session, row.decided_by_id)
        )
        for row in rows
    ]


def view(session: Session, confirmation_id: int) -> ConfirmationView:
    """One proposal, with its people's names."""
    [found] = describe(session, [proposals.get(session, confirmation_id)])
    return found


def waiting(session: Session, principal_id: int | None) -> list[ConfirmationView]:
    """What waits for a second person: for ``principal_id``, what they may confirm."""
    return describe(session, proposals.waiting_for(session, principal_id))
