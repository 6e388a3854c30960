"""Settlement (结算): the bureau reimburses providers, month by month, the subsidies they
deducted at the point of sale.

Closing a provider's month freezes a statement: every usage record and correction with a
subsidy, of that provider, serviced before the month's end and not yet on any statement.
A record that arrives after the close (late usage, late corrections) has no statement yet,
so it lands on the next month's, marked late. Each record is settled at most once (a unique
key). Closing twice returns the same statement. The bureau approves a statement, then marks
it paid with a payment reference: the ledger moves its total from payable to paid. A paid
statement never changes.

Maker-checker (docs/access.md): a statement is closed, approved and paid by at least two
people. The closer (finance or review) never approves it, and the approver (finance) never
pays it; the statement names all three, the audit log too, and the database refuses the
same principal in the pairs (CHECK constraints), whichever door the request came in by.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from voucher_service import audit_log as audit
from voucher_service.auth.duties import acting_person, name_of, second_person
from voucher_service.db.base import metadata
from voucher_service.db.tables.auth import Duty
from voucher_service.db.tables.enterprises import Enterprise
from voucher_service.db.tables.programs import Program
from voucher_service.db.tables.providers import Provider
from voucher_service.db.tables.settlement import Statement, StatementLine, StatementStatus
from voucher_service.db.tables.usage import UsageRecord
from voucher_service.db.tables.vouchers import Voucher
from voucher_service.errors import ErrorCode, InvalidInput, InvalidState, NotFound
from voucher_service.ledger import service as ledger
from voucher_service.money import fen_to_yuan
from voucher_service.notifications import Event, notify, of_provider
from voucher_service.pagination import (
    PageParams,
    Slice,
    paginate_sorted,
    where_given,
    where_search,
)
from voucher_service.webhooks import events as webhooks

LINES = metadata.tables[StatementLine.__tablename__]
RECORDS = metadata.tables[UsageRecord.__tablename__]
VOUCHERS = metadata.tables[Voucher.__tablename__]
_PERIOD = re.compile(r"^(20[0-9]{2})-(0[1-9]|1[0-2])$")


def period_bounds(period: str) -> tuple[date, date]:
    """First day of the month and first day of the next, for ``YYYY-MM``."""
    match = _PERIOD.match(period)
    if match is None:
        raise InvalidInput(
            "period must be a month as YYYY-MM, not {period!r}",
            period=period,
            code=ErrorCode.INVALID_PERIOD,
        )
    year, month = int(match.group(1)), int(match.group(2))
    return date(year, month, 1), date(year + month // 12, month % 12 + 1, 1)


def close_month(
    session: Session, provider: Provider, period: str, *, today: date, now: datetime
) -> tuple[list[Statement], bool]:
    """Close ``provider``'s month: one statement per funding source (the program whose
    subsidies it bills: a district top-up is billed apart from the city's program). Returns
    the statements and whether this call made them; closing again returns the same ones. A
    month with nothing to settle gets one empty statement, so it is closed all the same."""
    first, following = period_bounds(period)
    closer = acting_person(session, (Duty.FINANCE, Duty.REVIEW), "close a month")
    if today < following:
        raise InvalidState(
            "{period} has not ended yet (today is {today})",
            period=period,
            today=today,
            code=ErrorCode.PERIOD_OPEN,
        )
    session.scalar(select(Provider.id).where(Provider.id == provider.id).with_for_update())
    existing = list(
        session.scalars(
            select(Statement)
            .where(Statement.provider_id == provider.id, Statement.period == period)
            .order_by(Statement.id)
        )
    )
    if existing:
        return existing, False
    unsettled = (
        select(RECORDS.c.id, VOUCHERS.c.program_id, RECORDS.c.service_date < first)
        .join(VOUCHERS, VOUCHERS.c.id == RECORDS.c.voucher_id)
        .where(
            RECORDS.c.provider_id == provider.id,
            RECORDS.c.service_date < following,
            RECORDS.c.subsidy_fen != 0,
            ~select(LINES.c.id).where(LINES.c.usage_record_id == RECORDS.c.id).exists(),
        )
        .order_by(RECORDS.c.id)
    )
    by_funder: dict[int | None, list[dict[str, Any]]] = {}
    for record_id, program_id, late in session.execute(unsettled):
        by_funder.setdefault(program_id, []).append({"usage_record_id": record_id, "late": late})
    statements = [
        _statement(session, provider, period, program_id, lines, now, closer.id)
        for program_id, lines in sorted(by_funder.items()) or [(None, [])]
    ]
    return statements, True


def _statement(
    session: Session,
    provider: Provider,
    period: str,
    program_id: int | None,
    lines: list[dict[str, Any]],
    now: datetime,
    closed_by_id: int | None,
) -> Statement:
    statement = Statement(
        provider_id=provider.id,
        program_id=program_id,
        period=period,
        record_count=0,
        fee_fen=0,
        subsidy_fen=0,
        enterprise_share_fen=0,
        closed_at=now,
        closed_by_id=closed_by_id,
    )
    session.add(statement)
    session.flush()
    if lines:
        session.execute(insert(LINES), [{**line, "statement_id": statement.id} for line in lines])
    count, fee, subsidy, share = session.execute(
        select(
            func.count(),
            func.coalesce(func.sum(RECORDS.c.fee_fen), 0),
            func.coalesce(func.sum(RECORDS.c.subsidy_fen), 0),
            func.coalesce(func.sum(RECORDS.c.enterprise_share_fen), 0),
        )
        .select_from(LINES.join(RECORDS, RECORDS.c.id == LINES.c.usage_record_id))
        .where(LINES.c.statement_id == statement.id)
    ).one()
    statement.record_count, statement.fee_fen = int(count), int(fee)
    statement.subsidy_fen, statement.enterprise_share_fen = int(subsidy), int(share)
    session.flush()
    audit.record(
        session,
        "statement.close",
        "statement",
        f"{provider.uscc}/{period}",
        after={
            "closed_by": name_of(session, closed_by_id),
            "program_id": program_id,
            "records": statement.record_count,
            "subsidy_fen": statement.subsidy_fen,
        },
    )
    _tell(session, statement, Event.STATEMENT_CLOSED)
    webhooks.statement_changed(session, statement, webhooks.EventType.STATEMENT_CLOSED, now=now)
    return statement


def get_statement(
    session: Session, statement_id: int, *, provider_id: int | None = None
) -> Statement:
    query = where_given(
        select(Statement), (Statement.id, statement_id), (Statement.provider_id, provider_id)
    )
    statement: Statement | None = session.scalar(query.with_for_update())
    if statement is None:
        raise NotFound(
            "no statement {statement_id}",
            statement_id=statement_id,
            code=ErrorCode.STATEMENT_NOT_FOUND,
        )
    return statement


def _require_status(statement: Statement, status: StatementStatus, only: str) -> None:
    """Refuse a step from any status but ``status`` (``only``: which statements may take it)."""
    if statement.status != status:
        raise InvalidState(
            "statement {statement_id} is {statement_status}; only {only}",
            statement_id=statement.id,
            statement_status=statement.status,
            only=only,
        )


def _moved(
    session: Session, statement: Statement, to: StatementStatus, action: str, **after: Any
) -> Statement:
    """Move ``statement`` on to ``to`` and write the step's audit entry (``after``: who did
    it, and what else the entry says). The caller sets the step's other columns just before,
    with nothing read in between: a query would flush them beside the old status, which the
    table's CHECK constraints refuse."""
    before, statement.status = statement.status, to
    session.flush()
    audit.record(
        session,
        f"statement.{action}",
        "statement",
        statement.id,
        before={"status": before},
        after={"status": to, **after},
    )
    _tell(session, statement, _TOLD[to])
    return statement


# What the provider's people are told when a statement comes to each status.
_TOLD = {
    StatementStatus.APPROVED: Event.STATEMENT_APPROVED,
    StatementStatus.PAID: Event.STATEMENT_PAID,
}


def _tell(session: Session, statement: Statement, event: Event) -> None:
    """Tell the provider's people of a statement's step (in this transaction)."""
    notify(
        session,
        event,
        of_provider(statement.provider_id),
        statement=statement.id,
        period=statement.period,
        records=statement.record_count,
        amount=fen_to_yuan(statement.subsidy_fen),
        reference=statement.payment_reference or "",
    )


def approve_statement(session: Session, statement: Statement, *, now: datetime) -> Statement:
    """closed -> approved, by a person of finance who did not close it."""
    approver = acting_person(session, (Duty.FINANCE,), "approve a statement")
    _require_status(statement, StatementStatus.CLOSED, "a closed one can be approved")
    second_person(approver, statement.closed_by_id, "the person who closed a statement")
    closed_by = name_of(session, statement.closed_by_id)
    statement.approved_at, statement.approved_by_id = now, approver.id
    approved = _moved(
        session,
        statement,
        StatementStatus.APPROVED,
        "approve",
        closed_by=closed_by,
        approved_by=approver.name,
    )
    webhooks.statement_changed(session, approved, webhooks.EventType.STATEMENT_APPROVED, now=now)
    return approved


def pay_statement(
    session: Session, statement: Statement, *, reference: str, now: datetime
) -> Statement:
    """approved -> paid: the ledger moves the total from the provider's payable to paid (a
    negative total — more corrections than subsidies — moves back the other way). By a
    person of finance who did not approve it."""
    payer = acting_person(session, (Duty.FINANCE,), "pay a statement")
    _require_status(statement, StatementStatus.APPROVED, "an approved one can be paid")
    second_person(payer, statement.approved_by_id, "the person who approved a statement")
    if not reference.strip():
        raise InvalidInput(
            "a payment needs its bank or treasury reference", code=ErrorCode.REFERENCE_REQUIRED
        )
    amount = statement.subsidy_fen
    memo = f"statement {statement.id} {statement.period} ref {reference.strip()}"
    ledger.settle(session, statement.provider_id, amount, memo=memo)
    approved_by = name_of(session, statement.approved_by_id)
    statement.paid_at = now
    statement.payment_reference, statement.paid_by_id = reference.strip(), payer.id
    paid = _moved(
        session,
        statement,
        StatementStatus.PAID,
        "pay",
        reference=reference.strip(),
        subsidy_fen=amount,
        approved_by=approved_by,
        paid_by=payer.name,
    )
    webhooks.statement_changed(session, paid, webhooks.EventType.STATEMENT_PAID, now=now)
    return paid


def list_statements(
    session: Session,
    params: PageParams,
    *,
    provider_id: int | None = None,
    period: str | None = None,
    status: StatementStatus | None = None,
    q: str | None = None,
) -> Slice[StatementView]:
    """Statements matching the filters given, oldest first, one page (one query) at a time;
    ``q``: the statement's number, part of the provider's name or credit code, or of the
    period; sorted and numbered when ``params`` asks (``STATEMENT_SORTS``)."""
    query = where_given(
        select(Statement, Provider.uscc, Program.code, Provider.name)
        .join(Provider, Provider.id == Statement.provider_id)
        .outerjoin(Program, Program.id == Statement.program_id),
        (Statement.provider_id, provider_id),
        (Statement.period, period),
        (Statement.status, status),
    )
    query = where_search(
        query, q, Provider.name, Provider.uscc, Statement.period, ids=[Statement.id]
    )
    found = paginate_sorted(session, query, Statement.id, params, STATEMENT_SORTS)
    return found.map(lambda row: StatementView(*row))


# What the statement list sorts by, by the name a ``sort`` gives.
STATEMENT_SORTS: dict[str, Any] = {
    "id": Statement.id,
    "period": Statement.period,
    "provider": Provider.name,
    "subsidy": Statement.subsidy_fen,
    "status": Statement.status,
    "closed_at": Statement.closed_at,
}


@dataclass(frozen=True)
class StatementView:
    """A statement with the credit code of the provider it pays and the code of the program
    that funds it (None: a statement closed before funders were billed apart)."""

    statement: Statement
    provider_uscc: str
    program_code: str | None = None
    provider_name: str = ""


def describe(session: Session, statement: Statement) -> StatementView:
    provider = session.execute(
        select(Provider.uscc, Provider.name).where(Provider.id == statement.provider_id)
    ).one()
    code = None
    if statement.program_id is not None:
        code = session.scalar(select(Program.code).where(Program.id == statement.program_id))
    return StatementView(statement, provider.uscc, code, provider.name)


@dataclass(frozen=True)
class StatementDetail:
    provider: Provider  # whom the statement pays
    lines: list[dict[str, Any]]  # one per record, ordered by enterprise, voucher, record
    groups: list[dict[str, Any]]  # one per enterprise and voucher, with totals


def statement_detail(session: Session, statement: Statement) -> StatementDetail:
    """The statement's records and its totals per enterprise and voucher, for the exports."""
    provider = session.get(Provider, statement.provider_id)
    assert provider is not None
    rows = session.execute(
        select(
            Enterprise.uscc,
            Enterprise.name,
            RECORDS.c.voucher_code,
            RECORDS.c.record_id,
            RECORDS.c.kind,
            RECORDS.c.service_date,
            RECORDS.c.fee_fen,
            RECORDS.c.subsidy_fen,
            RECORDS.c.enterprise_share_fen,
            LINES.c.late,
        )
        .select_from(LINES.join(RECORDS, RECORDS.c.id == LINES.c.usage_record_id))
        .join(Enterprise, Enterprise.id == RECORDS.c.enterprise_id)
        .where(LINES.c.statement_id == statement.id)
        .order_by(Enterprise.uscc, RECORDS.c.voucher_code, RECORDS.c.id)
    ).all()
    lines = [dict(row._mapping) for row in rows]
    groups: dict[tuple[str, str], dict[str, Any]] = {}
    for line in lines:
        key = (line["uscc"], line["voucher_code"])
        group = groups.setdefault(
            key,
            {
                "uscc": line["uscc"],
                "name": line["name"],
                "voucher_code": line["voucher_code"],
                "records": 0,
                "fee_fen": 0,
                "subsidy_fen": 0,
                "enterprise_share_fen": 0,
            },
        )
        group["records"] += 1
        for column in ("fee_fen", "subsidy_fen", "enterprise_share_fen"):
            group[column] += line[column]
    return StatementDetail(provider=provider, lines=lines, groups=list(groups.values()))
