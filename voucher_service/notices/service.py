"""Public notice (公示): an approval under a program with notice on stands for a number of
working days on a public page before the voucher is issued.

    submitted --approve--> in_notice   (the pool reserves the amount: ledger.reserve)
    in_notice --period ends, no open or upheld objection--> approved   (voucher issued)
    in_notice --objection upheld--> submitted   (reservation released, back to review)

Anyone may object through the public form while the notice runs; an objection waits in the
reviewers' queue, and an application with an open objection is not issued until it is
decided. ``close_due`` (``voucher-service notices close``, run by cron or the worker) issues
what is due; it locks each application's row and re-reads it, so several processes running
it at once issue each voucher once, and running it again does nothing new.

What the public sees: the enterprise's name, its unified social credit code (public in
China: the national enterprise credit system publishes it, and subsidy notices name it so
that an objector can tell two companies of one name apart), its district, the program, the
amount, and the notice's first and last day. Nothing from the application's form (staff,
revenue, planned use, providers) and nothing of its materials.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session
from sqlmodel import col

from voucher_service import audit_log
from voucher_service.accounts.sessions import signing_secret
from voucher_service.config import get_settings
from voucher_service.db.tables.applications import Application, ApplicationStatus
from voucher_service.db.tables.enterprises import Enterprise
from voucher_service.db.tables.paperwork import Objection, ObjectionStatus
from voucher_service.db.tables.programs import Program
from voucher_service.domain.divisions import division_name
from voucher_service.domain.paperwork import notice_period
from voucher_service.errors import (
    ErrorCode,
    InvalidInput,
    InvalidState,
    NotFound,
    PoolInsufficient,
    ServiceError,
    TooManyObjections,
)
from voucher_service.ledger import service as ledger
from voucher_service.materials.kinds import MaterialKind
from voucher_service.money import fen_to_yuan
from voucher_service.notifications import Event, notify, of_enterprise
from voucher_service.programs.service import get_pool
from voucher_service.vouchers.service import issue_voucher

RATE_WINDOW = timedelta(hours=1)
NOTICE_DAYS_MAX = 30


def enter_notice(
    session: Session,
    row: Application,
    program: Program,
    *,
    amount_fen: int,
    reason: str,
    today: date,
    now: datetime,
) -> Application:
    """Approval under notice: reserve the amount from the pool (refused with nothing
    written when the pool lacks it) and publish the application for the program's period."""
    assert row.id is not None
    pool = get_pool(session, program, row.year)
    if not ledger.reserve(session, pool, application_id=row.id, amount_fen=amount_fen):
        raise PoolInsufficient(
            "the {program_code} pool for {year} has {available} "
            "yuan available; {amount} yuan cannot be reserved",
            program_code=program.code,
            year=row.year,
            available=fen_to_yuan(pool.available_fen),
            amount=fen_to_yuan(amount_fen),
        )
    start, end = notice_period(today, program.notice_working_days, get_settings().holidays)
    before = row.status
    row.status, row.approved_fen = ApplicationStatus.IN_NOTICE, amount_fen
    row.notice_start, row.notice_end = start, end
    row.decision_reason = reason.strip() or None
    row.decided_by, row.decided_at, row.updated_at = audit_log.actor_of(session).name, now, now
    session.flush()
    audit_log.record(
        session,
        "application.notice",
        "application",
        row.id,
        before={"status": before},
        after={
            "status": row.status,
            "approved_fen": amount_fen,
            "notice_start": start,
            "notice_end": end,
            "reason": row.decision_reason,
        },
    )
    return row


def set_paperwork(
    session: Session,
    program: Program,
    *,
    required_materials: list[str],
    notice_enabled: bool,
    notice_working_days: int,
) -> Program:
    """A program's paperwork settings: the kinds of material an approval needs, and public
    notice (on or off, and its period in working days, 1 to 30)."""
    known = {k.value for k in MaterialKind}
    unknown = [k for k in required_materials if k not in known]
    if unknown:
        raise InvalidInput(
            "unknown kinds of material: {kinds}",
            code=ErrorCode.INVALID_DOCUMENT_KIND,
            kinds=", ".join(unknown)[:200],
        )
    if not 1 <= notice_working_days <= NOTICE_DAYS_MAX:
        raise InvalidInput(
            "a notice lasts 1 to {most} working days, not {days}",
            code=ErrorCode.INVALID_PERIOD,
            most=NOTICE_DAYS_MAX,
            days=notice_working_days,
        )
    before = {
        "required_materials": program.required_materials,
        "notice_enabled": program.notice_enabled,
        "notice_working_days": program.notice_working_days,
    }
    program.required_materials = ",".join(dict.fromkeys(required_materials))
    program.notice_enabled = notice_enabled
    program.notice_working_days = notice_working_days
    session.flush()
    audit_log.record(
        session,
        "program.paperwork",
        "program",
        program.code,
        before=before,
        after={
            "required_materials": program.required_materials,
            "notice_enabled": notice_enabled,
            "notice_working_days": notice_working_days,
        },
    )
    return program


@dataclass(frozen=True)
class PublicNotice:
    """One application in public notice, as the public sees it (nothing private)."""

    application_id: int
    enterprise_name: str
    uscc: str
    district_code: str
    program_code: str
    program_name: str
    amount_fen: int
    notice_start: date
    notice_end: date

    @property
    def district_name(self) -> str:
        return division_name(self.district_code)


def public_notices(session: Session) -> list[PublicNotice]:
    """Every application now in public notice, the earliest ending first."""
    query = (
        select(
            Application.id,
            Enterprise.name,
            Enterprise.uscc,
            Enterprise.district_code,
            Program.code,
            Program.name,
            Application.approved_fen,
            Application.notice_start,
            Application.notice_end,
        )
        .join(Enterprise, Enterprise.id == Application.enterprise_id)
        .join(Program, Program.id == Application.program_id)
        .where(Application.status == ApplicationStatus.IN_NOTICE)
        .order_by(col(Application.notice_end), col(Application.id))
    )
    return [PublicNotice(*row) for row in session.execute(query)]


def client_key(session: Session, client: str) -> str:
    """What the rate limit counts of an objector: a hash of the address keyed with the
    installation's console secret (the database never holds the address itself)."""
    secret = signing_secret(session)
    return hmac.new(secret, f"objector|{client}".encode(), hashlib.sha256).hexdigest()


def _locked_in_notice(session: Session, application_id: int) -> Application | None:
    """The application, read afresh under its row lock, while it is in public notice; None
    once it is not (or does not exist)."""
    row: Application | None = session.scalar(
        select(Application)
        .where(Application.id == application_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    return row if row is not None and row.status == ApplicationStatus.IN_NOTICE else None


def _in_notice(session: Session, application_id: int) -> Application:
    row = _locked_in_notice(session, application_id)
    if row is None:
        raise NotFound(
            "application {application_id} is not in public notice",
            code=ErrorCode.APPLICATION_NOT_FOUND,
            application_id=application_id,
        )
    return row


@dataclass(frozen=True)
class ObjectionInput:
    name: str
    contact: str
    text: str


def _bounded(value: str, field: str, most: int) -> str:
    value = value.strip()
    if (
        not value
        or len(value) > most
        or any(not ch.isprintable() and ch not in "\r\n" for ch in value)
    ):
        raise InvalidInput(
            "{field}: 1 to {most} characters, no control characters",
            code=ErrorCode.INVALID_INPUT,
            field=field,
            most=most,
        )
    return value


def object_to(
    session: Session,
    application_id: int,
    objection: ObjectionInput,
    *,
    client: str,
    today: date,
    now: datetime,
) -> Objection:
    """File a public objection to an application in notice, for the reviewers' queue.
    Refused when the application is not in notice (404), the notice has ended, the fields
    are empty or too long (422), or this address sent ``VOUCHER_OBJECTIONS_PER_HOUR``
    within the hour (429)."""
    name = _bounded(objection.name, "name", 100)
    contact = _bounded(objection.contact, "contact", 200)
    text = _bounded(objection.text, "text", 2000)
    key = client_key(session, client)
    sent = session.scalar(
        select(func.count())
        .select_from(Objection)
        .where(Objection.client_key == key, Objection.created_at > now - RATE_WINDOW)
    )
    if (sent or 0) >= get_settings().objections_per_hour:
        raise TooManyObjections(
            "too many objections from this address: try again in an hour",
            retry_after=int(RATE_WINDOW.total_seconds()),
        )
    row = _in_notice(session, application_id)
    assert row.notice_end is not None
    if today > row.notice_end:
        raise InvalidState(
            "the notice of application {application_id} ended on {notice_end}",
            application_id=application_id,
            notice_end=row.notice_end,
        )
    filed = Objection(
        application_id=application_id,
        name=name,
        contact=contact,
        text=text,
        client_key=key,
        status=ObjectionStatus.OPEN,
        created_at=now,
    )
    audit_log.created(
        session,
        filed,
        "objection.file",
        "objection",
        after={"application": application_id, "length": len(text)},
    )
    return filed


def list_objections(
    session: Session, *, status: ObjectionStatus | None = None, application_id: int | None = None
) -> list[Objection]:
    """Objections, oldest first: the reviewers' queue is ``status=open``."""
    query = select(Objection).order_by(col(Objection.id))
    if status is not None:
        query = query.where(Objection.status == status)
    if application_id is not None:
        query = query.where(Objection.application_id == application_id)
    return list(session.scalars(query))


def _open_objection(session: Session, objection_id: int) -> Objection:
    row: Objection | None = session.scalar(
        select(Objection)
        .where(Objection.id == objection_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    if row is None:
        raise NotFound(
            "no objection {objection_id}",
            code=ErrorCode.OBJECTION_NOT_FOUND,
            objection_id=objection_id,
        )
    if row.status != ObjectionStatus.OPEN:
        raise InvalidState(
            "objection {objection_id} was already {status}",
            objection_id=objection_id,
            status=row.status,
        )
    return row


def _decide(
    session: Session, row: Objection, status: ObjectionStatus, reason: str, now: datetime
) -> None:
    if not reason.strip():
        raise InvalidInput("a reason is required", code=ErrorCode.REASON_REQUIRED)
    row.status, row.decision_reason = status, reason.strip()[:1000]
    row.decided_by, row.decided_at = audit_log.actor_of(session).name, now
    session.flush()
    audit_log.record(
        session,
        "objection.uphold" if status is ObjectionStatus.UPHELD else "objection.dismiss",
        "objection",
        row.id,
        before={"status": ObjectionStatus.OPEN},
        after={"status": status, "reason": row.decision_reason},
    )


def dismiss(session: Session, objection_id: int, *, reason: str, now: datetime) -> Objection:
    """The objection does not hold: the notice runs on (and ends in issuance)."""
    row = _open_objection(session, objection_id)
    _decide(session, row, ObjectionStatus.DISMISSED, reason, now)
    return row


def uphold(session: Session, objection_id: int, *, reason: str, now: datetime) -> Objection:
    """The objection holds: the application leaves the notice and goes back to review
    (submitted), and its reservation returns to the pool."""
    row = _open_objection(session, objection_id)
    application = _in_notice(session, row.application_id)
    assert application.id is not None and application.approved_fen is not None
    program = session.get(Program, application.program_id)
    assert program is not None
    pool = get_pool(session, program, application.year)
    assert pool.id is not None
    ledger.unreserve(
        session,
        pool.id,
        application_id=application.id,
        amount_fen=application.approved_fen,
        memo=f"objection {row.id} upheld",
    )
    application.status, application.approved_fen = ApplicationStatus.SUBMITTED, None
    application.notice_start = application.notice_end = None
    application.decided_by = application.decided_at = None
    application.decision_reason = f"objection upheld: {reason.strip()}"[:1000]
    application.updated_at = now
    _decide(session, row, ObjectionStatus.UPHELD, reason, now)
    audit_log.record(
        session,
        "application.notice_withdrawn",
        "application",
        application.id,
        before={"status": ApplicationStatus.IN_NOTICE},
        after={"status": ApplicationStatus.SUBMITTED, "objection": row.id},
    )
    return row


@dataclass(frozen=True)
class Closed:
    """What one run of ``close_due`` did: applications issued, and those it could not."""

    issued: list[int]
    held: list[int]  # an open objection waits for a reviewer
    failed: dict[int, str]


def close_due(session: Session, *, today: date, now: datetime) -> Closed:
    """Issue the voucher of every application whose notice ended before ``today`` with no
    open objection (an upheld one already took it out of notice). Each in a savepoint of its
    own: one that can no longer be issued (the program ended, the cap changed) stays in
    notice, named in ``failed``, and the others go on."""
    due = session.scalars(
        select(Application.id)
        .where(
            Application.status == ApplicationStatus.IN_NOTICE,
            col(Application.notice_end) < today,
        )
        .order_by(col(Application.id))
    ).all()
    closed = Closed([], [], {})
    for application_id in due:
        savepoint = session.begin_nested()
        try:
            outcome = _close_one(session, application_id, today=today, now=now)
        except ServiceError as exc:
            savepoint.rollback()
            closed.failed[application_id] = exc.message
            continue
        savepoint.commit()
        if outcome == "issued":
            closed.issued.append(application_id)
        elif outcome == "held":
            closed.held.append(application_id)
    return closed


def _close_one(session: Session, application_id: int, *, today: date, now: datetime) -> str:
    """Close one application's notice: "gone" when it is no longer in notice, "held" while
    an objection is open, else "issued" (its voucher issued)."""
    row = _locked_in_notice(session, application_id)
    if row is None:
        return "gone"  # another process closed it, or a reviewer upheld an objection
    open_objections = session.scalar(
        select(func.count())
        .select_from(Objection)
        .where(Objection.application_id == application_id, Objection.status == ObjectionStatus.OPEN)
    )
    if open_objections:
        return "held"
    _issue_after_notice(session, row, today=today, now=now)
    return "issued"


def _issue_after_notice(session: Session, row: Application, *, today: date, now: datetime) -> None:
    """The notice of ``row`` (locked, in notice) ended unopposed: its reservation goes back
    to the pool and its voucher is issued from it, approved, audited and told."""
    application_id = row.id
    assert application_id is not None
    program = session.get(Program, row.program_id)
    enterprise = session.get(Enterprise, row.enterprise_id)
    assert program is not None and enterprise is not None and row.approved_fen is not None
    pool = get_pool(session, program, row.year)
    assert pool.id is not None
    ledger.unreserve(
        session,
        pool.id,
        application_id=application_id,
        amount_fen=row.approved_fen,
        memo=f"application {application_id}: notice ended, issued",
    )
    voucher = issue_voucher(
        session,
        program=program,
        year=row.year,
        enterprise=enterprise,
        face_value_fen=row.approved_fen,
        today=today,
    )
    row.voucher_id, row.status, row.updated_at = voucher.id, ApplicationStatus.APPROVED, now
    session.flush()
    audit_log.record(
        session,
        "application.approve",
        "application",
        row.id,
        before={"status": ApplicationStatus.IN_NOTICE},
        after={
            "status": ApplicationStatus.APPROVED,
            "approved_fen": row.approved_fen,
            "voucher": voucher.code,
            "notice_end": row.notice_end,
        },
    )
    notify(
        session,
        Event.APPLICATION_APPROVED,
        of_enterprise(row.enterprise_id),
        application=row.id,
        program=program.name,
        year=row.year,
        amount=fen_to_yuan(row.approved_fen),
        reason=row.decision_reason or "",
        until=row.notice_end.isoformat() if row.notice_end else "",
    )
