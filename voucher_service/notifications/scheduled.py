"""The notifications no single change causes, found by the worker's periodic run: vouchers
about to expire, caps 80% used, a provider's refused records of the day before, and the
applications waiting for review. Each carries a dedupe key (event, subject and day), so the
run may be repeated, and run by several workers, and each person is told once."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, time, timedelta

from sqlalchemy import BigInteger, case, func, literal, select
from sqlalchemy.orm import Session

from voucher_service.config import Settings
from voucher_service.db.tables.applications import Application, ApplicationStatus
from voucher_service.db.tables.auth import Duty
from voucher_service.db.tables.enterprises import Enrolment
from voucher_service.db.tables.ledger import CapUsage
from voucher_service.db.tables.programs import Program, RuleVersion
from voucher_service.db.tables.usage import UsageRecord
from voucher_service.db.tables.vouchers import Voucher, VoucherStatus
from voucher_service.domain.usage import Outcome
from voucher_service.money import fen_to_yuan
from voucher_service.notifications.events import Event
from voucher_service.notifications.recipients import of_bureau, of_enterprise, of_provider
from voucher_service.notifications.service import notify

EXPIRY_NOTICE = timedelta(days=30)
# Told when this share of the cap is used (basis points).
CAP_WARNING_BP = 8000


def expiring_vouchers(session: Session, today: date, now: datetime) -> int:
    """Active vouchers whose last valid day is within 30 days: their enterprise is told
    once per voucher and last day."""
    rows = session.execute(
        select(Voucher, Program.name)
        .join(Program, Program.id == Voucher.program_id)
        .where(
            Voucher.status == VoucherStatus.ACTIVE,
            Voucher.valid_to >= today,
            Voucher.valid_to <= today + EXPIRY_NOTICE,
            Voucher.balance_fen > 0,
        )
        .order_by(Voucher.id)
    )
    told = 0
    for voucher, program in rows:
        told += notify(
            session,
            Event.VOUCHER_EXPIRING,
            of_enterprise(voucher.enterprise_id),
            dedupe=f"voucher.expiring:{voucher.code}:{voucher.valid_to}",
            now=now,
            voucher=voucher.code,
            program=program,
            valid_to=voucher.valid_to,
            balance=fen_to_yuan(voucher.balance_fen),
        )
    return told


def caps_nearly_used(session: Session, today: date, now: datetime) -> int:
    """Enterprises that have used 80% of a program's cap (the cap in force today; beside a
    cap per year, each year's counter against the year's cap too): told once per enrolment
    and cap period."""
    told = 0
    for program in session.scalars(select(Program).order_by(Program.id)):
        caps = session.execute(
            select(RuleVersion.cap_fen, RuleVersion.year_cap_fen)
            .where(RuleVersion.program_id == program.id, RuleVersion.effective_from <= today)
            .order_by(RuleVersion.effective_from.desc())  # type: ignore[attr-defined]
            .limit(1)
        ).first()
        if caps is None:
            continue
        lifetime_cap, year_cap = caps
        cap = case(  # bigint: a cap of fen times 10000 overflows PostgreSQL's integer
            (CapUsage.period == 0, literal(lifetime_cap, BigInteger)),
            else_=literal(year_cap or lifetime_cap, BigInteger),
        )
        rows = session.execute(
            select(Enrolment.id, Enrolment.enterprise_id, CapUsage.period, CapUsage.used_fen, cap)
            .join(CapUsage, CapUsage.enrolment_id == Enrolment.id)
            .where(
                Enrolment.program_id == program.id,
                CapUsage.used_fen * 10000 >= cap * CAP_WARNING_BP,
            )
            .order_by(Enrolment.id)
        )
        for enrolment_id, enterprise_id, period, used, counter_cap in rows:
            told += notify(
                session,
                Event.CAP_NEARLY_USED,
                of_enterprise(enterprise_id),
                dedupe=f"cap.nearly_used:{enrolment_id}:{period}",
                now=now,
                program=program.name,
                cap=fen_to_yuan(counter_cap),
                used=fen_to_yuan(used),
                percent=used * 100 // counter_cap,
            )
    return told


def refused_records(session: Session, today: date, now: datetime, settings: Settings) -> int:
    """Each provider with records refused yesterday (in the program's timezone): one digest
    a day."""
    day = today - timedelta(days=1)
    start = datetime.combine(day, time(), settings.tz)
    rows = session.execute(
        select(UsageRecord.provider_id, func.count())
        .where(
            UsageRecord.outcome == Outcome.REFUSED,
            UsageRecord.created_at >= start,
            UsageRecord.created_at < start + timedelta(days=1),
        )
        .group_by(UsageRecord.provider_id)
        .order_by(UsageRecord.provider_id)
    )
    told = 0
    for provider_id, count in rows:
        told += notify(
            session,
            Event.RECORDS_REFUSED,
            of_provider(provider_id),
            dedupe=f"records.refused:{provider_id}:{day}",
            now=now,
            day=day,
            count=count,
        )
    return told


def applications_waiting(session: Session, today: date, now: datetime, settings: Settings) -> int:
    """The reviewers, once a day, when applications wait for review."""
    count, oldest = session.execute(
        select(func.count(), func.min(Application.created_at)).where(
            Application.status == ApplicationStatus.SUBMITTED
        )
    ).one()
    if not count:
        return 0
    return notify(
        session,
        Event.APPLICATIONS_WAITING,
        of_bureau(Duty.REVIEW),
        dedupe=f"applications.waiting:{today}",
        now=now,
        day=today,
        count=count,
        oldest=settings.today(oldest),
    )


Job = Callable[[Session, date, datetime, Settings], int]


JOBS: tuple[tuple[str, Job], ...] = (
    ("voucher.expiring", lambda s, d, n, _: expiring_vouchers(s, d, n)),
    ("cap.nearly_used", lambda s, d, n, _: caps_nearly_used(s, d, n)),
    ("records.refused", refused_records),
    ("applications.waiting", applications_waiting),
)
