"""Confirming, rejecting or withdrawing a proposal (``auth.proposals``). Confirming does
what the proposal says through the capability's own service, as the confirming person: an
approval issues its voucher, a revocation returns the balance to the pool, a program
proposal opens its pool, adds its rule version, declares or withdraws its top-up layer or
sets its second-review amount (``programs.proposals.carry_out``); both people are in the
audit log (``confirmation.confirm``)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime

from sqlalchemy.orm import Session

from voucher_service import audit_log
from voucher_service.applications import service as applications
from voucher_service.auth import proposals
from voucher_service.auth.proposals import ConfirmationView
from voucher_service.db.tables.auth import Principal
from voucher_service.db.tables.confirmations import (
    Confirmation,
    ConfirmationKind,
    ConfirmationStatus,
)
from voucher_service.db.types import utcnow
from voucher_service.programs import proposals as program_proposals
from voucher_service.vouchers import service as vouchers


def confirm(session: Session, confirmation_id: int, *, today: date, now: datetime) -> Confirmation:
    """A second person with the proposal's duty confirms: the action is done now (refused,
    with nothing written, as the action itself would be: checks that no longer pass, a pool
    short of money, a pool opened or a rule version added meanwhile)."""
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
    elif row.kind == ConfirmationKind.REVOKE_VOUCHER:
        voucher = vouchers.get_voucher(session, row.target_id)
        vouchers.revoke_voucher(session, voucher, reason=payload["reason"], confirmed=True)
    else:
        program_proposals.carry_out(session, row, today=today)
    return row


def by_two(
    session: Session,
    proposal: Callable[[datetime], Confirmation],
    *,
    maker: Principal,
    checker: Principal,
    today: date,
) -> Confirmation:
    """``proposal(now)`` made as ``maker`` and confirmed as ``checker``, one after the other
    (loading the demo's history, tests that call services): every rule holds as when two
    people use the API; the session acts as before afterwards."""
    before = audit_log.actor_of(session)
    try:
        audit_log.set_actor(session, audit_log.Actor(maker.id, None, f"bureau:{maker.name}"))
        row = proposal(utcnow())
        audit_log.set_actor(session, audit_log.Actor(checker.id, None, f"bureau:{checker.name}"))
        return confirm(session, row.id or 0, today=today, now=utcnow())
    finally:
        audit_log.set_actor(session, before)


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


def view(session: Session, confirmation_id: int) -> ConfirmationView:
    """One proposal, with its people's names."""
    return proposals.view(session, confirmation_id)


def waiting(session: Session, principal_id: int | None) -> list[ConfirmationView]:
    """What waits for a second person: for ``principal_id``, what they may confirm."""
    return proposals.describe(session, proposals.waiting_for(session, principal_id))
