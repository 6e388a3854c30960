"""Voucher applications (申领): an enterprise applies, automatic checks give clear reasons,
a reviewer approves (issuing the voucher, possibly for less), returns it for changes, or
rejects it.

    submitted --approve--> approved   (voucher issued; final)
    submitted --return---> returned --resubmit--> submitted
    submitted --reject---> rejected   (final)
    submitted --approve--> in_notice  (a program with public notice on: notices/)

Approval needs the program's required materials filed first (materials/).

An application failing a hard check is rejected at once by the checks themselves. Approval
re-runs the checks (the world may have changed) and issues the voucher with the same atomic
reservation as any issuance, so approvals racing for a nearly empty pool never over-commit.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, TypeVar

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session
from sqlmodel import col

from voucher_service import audit_log
from voucher_service.auth.proposals import needs_second_person, propose
from voucher_service.db.tables.applications import (
    Application,
    ApplicationStatus,
    BlacklistEntry,
    SelectionStatus,
    SizeClass,
)
from voucher_service.db.tables.confirmations import ConfirmationKind
from voucher_service.db.tables.enterprises import Enrolment, Enterprise
from voucher_service.db.tables.programs import Program
from voucher_service.db.tables.providers import Provider
from voucher_service.db.tables.vouchers import Voucher
from voucher_service.domain.rules import Window, issuable_fen
from voucher_service.enterprises.service import get_enrolment
from voucher_service.errors import (
    AlreadyExists,
    Conflict,
    ErrorCode,
    InvalidInput,
    InvalidState,
    NotEligible,
    NotFound,
    ServiceError,
)
from voucher_service.ledger import counters
from voucher_service.materials import service as materials
from voucher_service.money import fen_to_yuan
from voucher_service.notices import service as notices
from voucher_service.notifications import Event, notify, of_enterprise
from voucher_service.pagination import (
    PageParams,
    Slice,
    paginate_sorted,
    where_given,
    where_search,
)
from voucher_service.programs.service import require_open, rules_in_force
from voucher_service.vouchers.service import issue_voucher, selection_status

T = TypeVar("T")

_VERBS = {
    ApplicationStatus.APPROVED: "approve",
    ApplicationStatus.RETURNED: "return",
    ApplicationStatus.REJECTED: "reject",
}
# What the enterprise is told when its application comes to each status.
_TOLD = {
    ApplicationStatus.SUBMITTED: Event.APPLICATION_RECEIVED,
    ApplicationStatus.RETURNED: Event.APPLICATION_RETURNED,
    ApplicationStatus.APPROVED: Event.APPLICATION_APPROVED,
    ApplicationStatus.REJECTED: Event.APPLICATION_REJECTED,
    ApplicationStatus.IN_NOTICE: Event.APPLICATION_IN_NOTICE,
}


def _tell(session: Session, row: Application) -> None:
    """Tell the enterprise's people where its application now stands (in this transaction)."""
    program = session.get(Program, row.program_id)
    assert program is not None
    notify(
        session,
        _TOLD[ApplicationStatus(row.status)],
        of_enterprise(row.enterprise_id),
        application=row.id,
        program=program.name,
        year=row.year,
        amount=fen_to_yuan(row.approved_fen or row.requested_fen),
        reason=row.decision_reason or "",
        until=row.notice_end.isoformat() if row.notice_end else "",
    )


@dataclass(frozen=True)
class ApplicationInput:
    program: Program
    year: int
    requested_fen: int
    planned_use: str
    intended_providers: list[str]
    size_class: SizeClass
    headcount: int
    revenue_fen: int
    declares_no_related_party: bool


@dataclass(frozen=True)
class Check:
    """One automatic check's answer. ``message`` is English, as the API has always returned
    it; ``note`` and ``params`` say the same for a reader's language (the console shows the
    catalog's ``check.note.<note>`` filled with ``params``; ``*_fen`` params are amounts)."""

    check: str
    ok: bool
    message: str
    note: str = ""
    params: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Flag:
    """A point for the reviewer's eyes: English ``message`` (the API's), and the catalog's
    ``flag.<note>`` with ``params`` for a reader's language."""

    message: str
    note: str
    params: dict[str, Any] = field(default_factory=dict)


def region_check(program: Program, enterprise: Enterprise) -> Check:
    """Registered where the program applies (its ``region_prefix`` of the division code)."""
    prefix = program.region_prefix
    return Check(
        "region",
        not prefix or enterprise.district_code.startswith(prefix),
        f"registered in division {enterprise.district_code}"
        + ("" if not prefix else f"; the program requires {prefix}xx"),
        "region_prefix" if prefix else "region",
        {"district": enterprise.district_code, "prefix": prefix or ""},
    )


def blacklist_check(session: Session, enterprise: Enterprise) -> Check:
    barred = session.scalar(
        select(BlacklistEntry).where(BlacklistEntry.enterprise_id == enterprise.id)
    )
    return Check(
        "blacklist",
        barred is None,
        f"blacklisted: {barred.reason}" if barred else "not blacklisted",
        "blacklisted" if barred else "not_blacklisted",
        {"reason": barred.reason} if barred else {},
    )


def window_check(enrolment: Enrolment | None, today: date) -> Check:
    """The enterprise's subsidy window in the program (补助期限) has not ended."""
    if enrolment is not None and today >= enrolment.window_end:
        end = enrolment.window_end.isoformat()
        return Check(
            "window", False, f"subsidy window ended on {end}", "window_ended", {"end": end}
        )
    return Check(
        "window",
        True,
        "subsidy window open" if enrolment else "first voucher: the window starts with it",
        "window_open" if enrolment else "window_first",
    )


def selection_check(session: Session, enterprise: Enterprise, program: Program, year: int) -> Check:
    """Measure 3: the enterprise's model is selected (遴选) for the year's batch."""
    status = selection_status(session, enterprise, program, year)
    return Check(
        "selection",
        status == SelectionStatus.SELECTED,
        f"selection for {year}: {status or 'not applied for'}",
        f"selection_{status or 'none'}",
        {"year": year},
    )


def evaluate(
    session: Session,
    enterprise: Enterprise,
    application: ApplicationInput,
    *,
    amount_fen: int,
    today: date,
) -> tuple[list[Check], list[Flag]]:
    """The hard checks (all must pass) and the flags (for the reviewer's eyes)."""
    program = application.program
    checks = [region_check(program, enterprise)]
    sme_ok = (
        application.size_class in set(SizeClass)
        and application.headcount <= program.sme_max_headcount
        and application.revenue_fen <= program.sme_max_revenue_fen
    )
    checks.append(
        Check(
            "sme",
            sme_ok,
            f"declared {application.size_class}, {application.headcount} staff, revenue "
            f"{fen_to_yuan(application.revenue_fen)} yuan; the program's SME limits are "
            f"{program.sme_max_headcount} staff and "
            f"{fen_to_yuan(program.sme_max_revenue_fen)} yuan",
            "sme",
            {
                "size_class": str(application.size_class),
                "headcount": application.headcount,
                "revenue_fen": application.revenue_fen,
                "max_headcount": program.sme_max_headcount,
                "max_revenue_fen": program.sme_max_revenue_fen,
            },
        )
    )
    checks.append(blacklist_check(session, enterprise))
    enrolment = get_enrolment(session, enterprise.id, program.id)
    checks.append(window_check(enrolment, today))
    if program.requires_selection:
        checks.append(selection_check(session, enterprise, program, application.year))
    try:
        rules = rules_in_force(session, program, max(today, date(application.year, 1, 1)))
        used = outstanding = 0
        cap_fen = rules.own_cap_fen  # a first voucher: its first year's cap binds
        if enrolment is not None:
            window = Window(enrolment.window_start, enrolment.window_end)
            cap = counters.binding_cap(
                session, enrolment.id, rules, window, max(today, window.start)
            )
            cap_fen, used = cap.cap_fen, cap.used_fen
            outstanding = counters.outstanding_fen(session, enrolment.id)
        allowed = issuable_fen(cap_fen, used, outstanding)
        checks.append(
            Check(
                "amount",
                amount_fen <= allowed,
                f"may still receive {fen_to_yuan(allowed)} yuan; asks {fen_to_yuan(amount_fen)}",
                "amount",
                {"allowed_fen": allowed, "asked_fen": amount_fen},
            )
        )
    except Conflict as exc:
        checks.append(Check("amount", False, exc.message))
    flags = []
    for uscc in application.intended_providers:
        if uscc == enterprise.uscc:
            message = f"intended provider {uscc} shares the applicant's credit code"
            flags.append(Flag(message, "own_uscc", {"uscc": uscc}))
        elif session.scalar(select(Provider.id).where(Provider.uscc == uscc)) is None:
            message = f"intended provider {uscc} is not a registered provider"
            flags.append(Flag(message, "unknown_provider", {"uscc": uscc}))
    if not application.declares_no_related_party:
        message = "the applicant did not declare the absence of related-party relationships"
        flags.append(Flag(message, "no_related_party_declaration"))
    return checks, flags


def _failed(checks: list[Check]) -> str:
    return "; ".join(f"{c.check}: {c.message}" for c in checks if not c.ok)


def _fields(
    session: Session, enterprise: Enterprise, inp: ApplicationInput, *, today: date, now: datetime
) -> dict[str, Any]:
    """An application's columns from its input and its checks; failing a hard check rejects
    it at once, with the reasons."""
    if inp.requested_fen <= 0:
        raise InvalidInput(
            "the requested amount must be greater than zero", code=ErrorCode.INVALID_AMOUNT
        )
    checks, flags = evaluate(session, enterprise, inp, amount_fen=inp.requested_fen, today=today)
    eligible = all(c.ok for c in checks)
    return {
        "program_id": inp.program.id,
        "year": inp.year,
        "requested_fen": inp.requested_fen,
        "planned_use": inp.planned_use,
        "intended_providers": json.dumps(inp.intended_providers),
        "size_class": inp.size_class,
        "headcount": inp.headcount,
        "revenue_fen": inp.revenue_fen,
        "declares_no_related_party": inp.declares_no_related_party,
        "checks": json.dumps([c.__dict__ for c in checks], ensure_ascii=False),
        "flags": json.dumps([f.__dict__ for f in flags], ensure_ascii=False),
        "eligible": eligible,
        "status": ApplicationStatus.SUBMITTED if eligible else ApplicationStatus.REJECTED,
        "decision_reason": None if eligible else _failed(checks),
        "decided_by": None if eligible else "automatic checks",
        "decided_at": None if eligible else now,
        "updated_at": now,
    }


def submit(
    session: Session, enterprise: Enterprise, inp: ApplicationInput, *, today: date, now: datetime
) -> Application:
    """File an application; one that fails a hard check is rejected at once, with reasons.
    Refused, with nothing written, once the program has ended."""
    require_open(inp.program, today, "applications")
    if inp.year < today.year:
        raise InvalidInput(
            "applications for {year} are closed", year=inp.year, code=ErrorCode.INVALID_YEAR
        )
    open_one = session.scalar(
        select(Application.id).where(
            Application.enterprise_id == enterprise.id,
            Application.program_id == inp.program.id,
            col(Application.status).in_(
                (
                    ApplicationStatus.SUBMITTED,
                    ApplicationStatus.RETURNED,
                    ApplicationStatus.IN_NOTICE,
                )
            ),
        )
    )
    if open_one is not None:
        raise AlreadyExists(
            "application {application_id} is still open: resubmit or wait for it",
            application_id=open_one,
        )
    fields = _fields(session, enterprise, inp, today=today, now=now)
    row = Application(enterprise_id=enterprise.id, created_at=now, **fields)
    session.add(row)
    session.flush()
    audit_log.record(
        session,
        "application.submit",
        "application",
        row.id,
        after={"status": row.status, "requested_fen": row.requested_fen, "eligible": row.eligible},
    )
    _tell(session, row)
    return row


def resubmit(
    session: Session,
    row: Application,
    enterprise: Enterprise,
    inp: ApplicationInput,
    *,
    today: date,
    now: datetime,
) -> Application:
    """returned -> submitted, with the changes the reviewer asked for (checks run again)."""
    if row.status != ApplicationStatus.RETURNED:
        raise InvalidState(
            "application {id} is {status}; only a returned one can be resubmitted",
            id=row.id,
            status=row.status,
        )
    for column, value in _fields(session, enterprise, inp, today=today, now=now).items():
        setattr(row, column, value)
    session.flush()
    audit_log.record(
        session, "application.resubmit", "application", row.id, after={"status": row.status}
    )
    _tell(session, row)
    return row


def _decide(
    session: Session, row: Application, status: ApplicationStatus, reason: str, now: datetime
) -> None:
    if row.status != ApplicationStatus.SUBMITTED:
        raise InvalidState(
            "application {id} is {status}; only a submitted one can be decided",
            id=row.id,
            status=row.status,
        )
    if status is not ApplicationStatus.APPROVED and not reason.strip():
        raise InvalidInput("a reason is required", code=ErrorCode.REASON_REQUIRED)
    before = row.status
    row.status, row.decision_reason = status, reason.strip() or None
    row.decided_by, row.decided_at, row.updated_at = audit_log.actor_of(session).name, now, now
    session.flush()
    audit_log.record(
        session,
        f"application.{_VERBS[status]}",
        "application",
        row.id,
        before={"status": before},
        after={"status": status, "reason": row.decision_reason, "approved_fen": row.approved_fen},
    )
    _tell(session, row)


def approve(
    session: Session,
    row: Application,
    *,
    amount_fen: int | None,
    reason: str,
    today: date,
    now: datetime,
    confirmed: bool = False,
) -> Application:
    """Approve and issue the voucher (for ``amount_fen`` if smaller than requested). Refused,
    with nothing written, when the checks no longer pass or the pool lacks the amount. An
    amount above the program's second-review amount is only proposed (``auth.proposals``):
    the application stays submitted until a second reviewer confirms (``confirmed``)."""
    if row.status != ApplicationStatus.SUBMITTED:
        raise InvalidState(
            "application {id} is {status}; only a submitted one can be approved",
            id=row.id,
            status=row.status,
        )
    amount = row.requested_fen if amount_fen is None else amount_fen
    if not 0 < amount <= row.requested_fen:
        raise InvalidInput(
            "the approved amount must be between 0.01 and {requested_yuan} yuan",
            requested_yuan=fen_to_yuan(row.requested_fen),
            code=ErrorCode.INVALID_AMOUNT,
        )
    enterprise = session.get(Enterprise, row.enterprise_id)
    program = session.get(Program, row.program_id)
    assert enterprise is not None and program is not None
    checks, _ = evaluate(
        session, enterprise, _input_of(row, program), amount_fen=amount, today=today
    )
    if not all(c.ok for c in checks):
        raise NotEligible(
            "application {id} no longer passes its checks: {failed}",
            id=row.id,
            failed=_failed(checks),
        )
    materials.require_complete(session, program, row)
    if not confirmed and needs_second_person(program.second_review_above_fen, amount):
        propose(
            session,
            ConfirmationKind.APPROVE_APPLICATION,
            row.id,
            payload={"amount_fen": amount, "reason": reason},
            summary=f"approve application {row.id} of {enterprise.uscc} ({enterprise.name}) "
            f"for {fen_to_yuan(amount)} yuan of {program.code} {row.year}, above "
            f"{fen_to_yuan(program.second_review_above_fen or 0)} yuan",
            now=now,
        )
        return row
    if program.notice_enabled:
        in_notice = notices.enter_notice(
            session, row, program, amount_fen=amount, reason=reason, today=today, now=now
        )
        _tell(session, in_notice)
        return in_notice
    voucher = issue_voucher(
        session,
        program=program,
        year=row.year,
        enterprise=enterprise,
        face_value_fen=amount,
        today=today,
    )
    row.voucher_id, row.approved_fen = voucher.id, amount
    _decide(session, row, ApplicationStatus.APPROVED, reason, now)
    return row


@dataclass(frozen=True)
class BulkOutcome:
    """One application of a bulk approval: approved, or the error that refused it."""

    application_id: int
    approved: ApplicationView | None = None
    error: ServiceError | None = None


def each_in_savepoint(
    session: Session, ids: list[int], act: Callable[[int], T]
) -> tuple[dict[int, T], dict[int, ServiceError]]:
    """Bulk review: ``act`` on each id in its own savepoint, so a refusal rolls back only
    itself. What each returned, and the errors of those refused."""
    done: dict[int, T] = {}
    errors: dict[int, ServiceError] = {}
    for item_id in ids:
        savepoint = session.begin_nested()
        try:
            result = act(item_id)
        except ServiceError as exc:
            savepoint.rollback()
            errors[item_id] = exc
            continue
        savepoint.commit()
        done[item_id] = result
    return done, errors


def approve_many(
    session: Session, ids: list[int], *, reason: str, today: date, now: datetime
) -> list[BulkOutcome]:
    """Bulk approval: each stands or fails on its own."""
    approved, errors = each_in_savepoint(
        session,
        ids,
        lambda i: approve(
            session,
            get_application(session, i),
            amount_fen=None,
            reason=reason,
            today=today,
            now=now,
        ),
    )
    views = dict(zip(approved, describe(session, list(approved.values())), strict=True))
    return [BulkOutcome(i, views.get(i), errors.get(i)) for i in ids]


def return_for_changes(
    session: Session, row: Application, *, reason: str, now: datetime
) -> Application:
    _decide(session, row, ApplicationStatus.RETURNED, reason, now)
    return row


def reject(session: Session, row: Application, *, reason: str, now: datetime) -> Application:
    _decide(session, row, ApplicationStatus.REJECTED, reason, now)
    return row


def _input_of(row: Application, program: Program) -> ApplicationInput:
    return ApplicationInput(
        program=program,
        year=row.year,
        requested_fen=row.requested_fen,
        planned_use=row.planned_use,
        intended_providers=json.loads(row.intended_providers),
        size_class=SizeClass(row.size_class),
        headcount=row.headcount,
        revenue_fen=row.revenue_fen,
        declares_no_related_party=row.declares_no_related_party,
    )


def get_application(
    session: Session, application_id: int, *, enterprise_id: int | None = None
) -> Application:
    query = where_given(
        select(Application),
        (Application.id, application_id),
        (Application.enterprise_id, enterprise_id),
    )
    row: Application | None = session.scalar(query.with_for_update())
    if row is None:
        raise NotFound(
            "no application {application_id}",
            application_id=application_id,
            code=ErrorCode.APPLICATION_NOT_FOUND,
        )
    return row


@dataclass(frozen=True)
class ApplicationView:
    """An application with what it is known by (the applicant's credit code, the program's
    code, the voucher's once issued), and its JSON columns read back."""

    application: Application
    uscc: str
    program_code: str
    voucher_code: str | None
    enterprise_name: str = ""

    @property
    def checks(self) -> list[dict[str, Any]]:
        return list(json.loads(self.application.checks))

    @property
    def flags(self) -> list[str]:
        """The flags' English messages (as the API returns them)."""
        return [f if isinstance(f, str) else f["message"] for f in self.flag_notes]

    @property
    def flag_notes(self) -> list[Any]:
        """The flags as stored: ``{message, note, params}`` (a bare English string before
        flags had notes)."""
        return list(json.loads(self.application.flags))

    @property
    def intended_providers(self) -> list[str]:
        return list(json.loads(self.application.intended_providers))


def _viewed() -> Select[Any]:
    """Applications joined with what they are known by (see ApplicationView)."""
    query: Select[Any] = (
        select(Application, Enterprise.uscc, Program.code, Voucher.code, Enterprise.name)
        .join(Enterprise, Enterprise.id == Application.enterprise_id)
        .join(Program, Program.id == Application.program_id)
        .outerjoin(Voucher, Voucher.id == Application.voucher_id)
    )
    return query


def views_of(
    session: Session, viewed: Select[Any], id_column: Any, rows: list[Any], view: Callable[..., T]
) -> list[T]:
    """The views of ``rows``, in their order: one query (``viewed``, a row and what it is
    known by) for any number of them."""
    if not rows:
        return []
    query = viewed.where(col(id_column).in_([r.id for r in rows]))
    views = {found[0].id: view(*found) for found in session.execute(query)}
    return [views[r.id] for r in rows]


def describe(session: Session, rows: list[Application]) -> list[ApplicationView]:
    """The views of ``rows``, in their order: one query for any number of them."""
    return views_of(session, _viewed(), Application.id, rows, ApplicationView)


def list_applications(
    session: Session,
    params: PageParams,
    *,
    enterprise_id: int | None = None,
    status: ApplicationStatus | None = None,
    program_id: int | None = None,
    year: int | None = None,
    eligible: bool | None = None,
    district_code: str | None = None,
    q: str | None = None,
) -> Slice[ApplicationView]:
    """Applications matching the filters given, oldest first, one page (one query) at a time;
    ``q``: part of the applicant's name or credit code, or of the program's code; sorted and
    numbered when ``params`` asks (``APPLICATION_SORTS``)."""
    query = where_given(
        _viewed(),
        (Application.enterprise_id, enterprise_id),
        (Application.status, status),
        (Application.program_id, program_id),
        (Application.year, year),
        (Application.eligible, eligible),
        (Enterprise.district_code, district_code),
    )
    query = where_search(query, q, Enterprise.name, Enterprise.uscc, Program.code)
    found = paginate_sorted(session, query, Application.id, params, APPLICATION_SORTS)
    return found.map(lambda row: ApplicationView(*row))


def waiting_count(session: Session) -> int:
    """How many applications wait for a reviewer (submitted): the menu's count."""
    count = session.scalar(
        select(func.count())
        .select_from(Application)
        .where(Application.status == ApplicationStatus.SUBMITTED)
    )
    return int(count or 0)


# What the queue sorts by, by the name a ``sort`` gives.
APPLICATION_SORTS: dict[str, Any] = {
    "id": Application.id,
    "submitted_at": Application.created_at,
    "enterprise": Enterprise.name,
    "requested": Application.requested_fen,
    "year": Application.year,
    "status": Application.status,
}


def latest_size_classes(program_id: int, year: int) -> Select[Any]:
    """(enterprise id, size class) as each enterprise declared it on its latest application
    to the program for ``year`` or an earlier one: a query, for the reports to join or run."""
    latest = (
        select(func.max(Application.id))
        .where(Application.program_id == program_id, Application.year <= year)
        .group_by(Application.enterprise_id)
    )
    query: Select[Any] = select(Application.enterprise_id, Application.size_class).where(
        col(Application.id).in_(latest)
    )
    return query


def blacklist(session: Session, enterprise: Enterprise, *, reason: str) -> BlacklistEntry:
    if not reason.strip():
        raise InvalidInput("a reason is required", code=ErrorCode.REASON_REQUIRED)
    if session.scalar(
        select(BlacklistEntry.id).where(BlacklistEntry.enterprise_id == enterprise.id)
    ):
        raise AlreadyExists(
            "enterprise {enterprise_uscc} is already blacklisted", enterprise_uscc=enterprise.uscc
        )
    entry = BlacklistEntry(enterprise_id=enterprise.id, reason=reason.strip())
    session.add(entry)
    session.flush()
    audit_log.record(
        session,
        "enterprise.blacklist",
        "enterprise",
        enterprise.uscc,
        after={"reason": reason.strip()},
    )
    return entry
