"""Proposals that wait for a second person (maker-checker, docs/access.md): one reviewer
proposes an approval or a revocation above the program's second-review amount, one program
administrator a pool, a rule version, a top-up layer or a second-review amount; it takes
effect only when another person holding the same duty confirms it, and the proposer may
withdraw it.

This module keeps the proposals (one table, below every capability that proposes);
``confirmations/`` does what a confirmed proposal says, through the capability's own
service, and serves the checker's queue.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlmodel import col

from voucher_service import audit_log
from voucher_service.auth.duties import acting_person, duties_of, name_of, second_person
from voucher_service.db.tables.auth import Duty, Principal
from voucher_service.db.tables.confirmations import (
    Confirmation,
    ConfirmationKind,
    ConfirmationStatus,
)
from voucher_service.errors import Forbidden, InvalidState, NotFound

# The duty a kind's proposer and checker both hold: review for the money of one application
# or voucher, program administration for what every later fee is priced from.
DUTY_OF: dict[ConfirmationKind, Duty] = {
    ConfirmationKind.APPROVE_APPLICATION: Duty.REVIEW,
    ConfirmationKind.REVOKE_VOUCHER: Duty.REVIEW,
    ConfirmationKind.CREATE_POOL: Duty.PROGRAM,
    ConfirmationKind.ADD_RULE_VERSION: Duty.PROGRAM,
    ConfirmationKind.DECLARE_TOP_UP: Duty.PROGRAM,
    ConfirmationKind.WITHDRAW_TOP_UP: Duty.PROGRAM,
    ConfirmationKind.SET_SECOND_REVIEW: Duty.PROGRAM,
    ConfirmationKind.SET_PROGRAM_SETTINGS: Duty.PROGRAM,
    ConfirmationKind.CREATE_PROGRAM: Duty.PROGRAM,
}


def needs_second_person(threshold_fen: int | None, amount_fen: int) -> bool:
    """Whether ``amount_fen`` is above a program's second-review amount (None: never)."""
    return threshold_fen is not None and amount_fen > threshold_fen


def pending(session: Session, kind: ConfirmationKind, target_id: object) -> Confirmation | None:
    """The proposal waiting on ``target_id`` for this action, if any."""
    found: Confirmation | None = session.scalar(
        select(Confirmation).where(
            Confirmation.kind == kind.value,
            Confirmation.target_id == str(target_id),
            Confirmation.status == ConfirmationStatus.PENDING,
        )
    )
    return found


def propose(
    session: Session,
    kind: ConfirmationKind,
    target_id: object,
    *,
    payload: dict[str, Any],
    summary: str,
    now: datetime,
) -> Confirmation:
    """Record that the acting person, who holds the kind's duty (``DUTY_OF``), proposes this
    action; nothing else changes until a second person with that duty confirms. A second
    proposal for the same action is refused (409)."""
    proposer = acting_person(session, (DUTY_OF[kind],), f"propose {kind.value}")
    waiting = pending(session, kind, target_id)
    if waiting is not None:
        raise InvalidState(
            (
                "{kind} {target_id} already waits for a second person "
                "(confirmation {waiting_id}, proposed by {proposer})"
            ),
            kind=kind.value,
            target_id=target_id,
            waiting_id=waiting.id,
            proposer=name_of(session, waiting.proposed_by_id),
        )
    row = Confirmation(
        kind=kind.value,
        target_id=str(target_id),
        payload=json.dumps(payload, sort_keys=True),
        summary=summary,
        proposed_by_id=proposer.id,
        proposed_at=now,
    )
    audit_log.created(
        session,
        row,
        "confirmation.propose",
        "confirmation",
        after={"kind": kind.value, "target": str(target_id), "summary": summary, **payload},
    )
    return row


def get(session: Session, confirmation_id: int, *, lock: bool = False) -> Confirmation:
    query = select(Confirmation).where(Confirmation.id == confirmation_id)
    row: Confirmation | None = session.scalar(query.with_for_update() if lock else query)
    if row is None:
        raise NotFound("no confirmation {confirmation_id}", confirmation_id=confirmation_id)
    return row


def decide(
    session: Session, row: Confirmation, status: ConfirmationStatus, *, now: datetime
) -> Principal:
    """Close a pending proposal: confirmed or rejected by a second person holding the kind's
    duty (never its proposer), or withdrawn by its proposer (nobody else). Recorded with both
    people."""
    if row.status != ConfirmationStatus.PENDING:
        raise InvalidState(
            "confirmation {id} is {status}, no longer pending", id=row.id, status=row.status
        )
    duty = DUTY_OF[ConfirmationKind(row.kind)]
    person = acting_person(session, (duty,), f"{_VERBS[status]} a proposal of {row.kind}")
    if status is ConfirmationStatus.WITHDRAWN:
        if person.id != row.proposed_by_id:
            raise Forbidden("only the person who proposed it withdraws a proposal")
    else:
        second_person(person, row.proposed_by_id, "the person who proposed it")
    row.status, row.decided_by_id, row.decided_at = status.value, person.id, now
    session.flush()
    audit_log.record(
        session,
        f"confirmation.{_VERBS[status]}",
        "confirmation",
        row.id,
        before={"status": ConfirmationStatus.PENDING},
        after={
            "status": status.value,
            "kind": row.kind,
            "target": row.target_id,
            "proposed_by": name_of(session, row.proposed_by_id),
            "decided_by": person.name,
        },
    )
    return person


_VERBS = {
    ConfirmationStatus.CONFIRMED: "confirm",
    ConfirmationStatus.REJECTED: "reject",
    ConfirmationStatus.WITHDRAWN: "withdraw",
}


def waiting_for(session: Session, principal_id: int | None) -> list[Confirmation]:
    """The pending proposals, oldest first; given a person, those they may confirm: not
    their own, and only of the kinds their duties check (a reviewer sees no pool, a program
    administrator no approval)."""
    query = select(Confirmation).where(Confirmation.status == ConfirmationStatus.PENDING)
    if principal_id is not None:
        person = session.get(Principal, principal_id)
        held = duties_of(person) if person is not None else frozenset()
        kinds = [kind.value for kind, duty in DUTY_OF.items() if duty in held]
        query = query.where(
            Confirmation.proposed_by_id != principal_id, col(Confirmation.kind).in_(kinds)
        )
    return list(session.scalars(query.order_by(Confirmation.id)))


def payload_of(row: Confirmation) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(row.payload)
    return loaded


@dataclass(frozen=True)
class ConfirmationView:
    """A proposal with the names of who proposed and decided it."""

    confirmation: Confirmation
    proposed_by: str
    decided_by: str | None


def describe(session: Session, rows: list[Confirmation]) -> list[ConfirmationView]:
    """The proposals with their people's names, in their order."""
    return [
        ConfirmationView(
            row, name_of(session, row.proposed_by_id) or "", name_of(session, row.decided_by_id)
        )
        for row in rows
    ]


def view(session: Session, confirmation_id: int) -> ConfirmationView:
    """One proposal, with its people's names."""
    [found] = describe(session, [get(session, confirmation_id)])
    return found
