"""Vouchers: issuance from an annual pool, revocation and expiry.

Issuance (measure 2: 算力服务券, 最高20万元, 补助期限不超过三年) reserves the face value from the
pool in one conditional UPDATE, after checking, under a lock on the enterprise's enrolment,
that the face value fits in what the enterprise may still receive. Revocation and expiry
return the unspent balance to the pool of the voucher's year.

No voucher is issued once its program has ended, nor dated outside the program's validity;
for a program that requires selection (measure 3: 遴选), only to an enterprise selected for
the pool's year.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.orm import Session
from sqlmodel import col

from voucher_service import audit_log as audit
from voucher_service.auth.proposals import needs_second_person, propose
from voucher_service.db.statements import insert_if_absent
from voucher_service.db.tables.applications import ModelSelection, SelectionStatus
from voucher_service.db.tables.confirmations import ConfirmationKind
from voucher_service.db.tables.enterprises import Enrolment, Enterprise
from voucher_service.db.tables.grants import Funding
from voucher_service.db.tables.programs import Pool, Program
from voucher_service.db.tables.vouchers import Voucher, VoucherStatus
from voucher_service.db.types import utcnow
from voucher_service.domain.codes import new_voucher_code
from voucher_service.domain.rules import (
    ProgramMode,
    Rules,
    Window,
    issuable_fen,
    voucher_last_day,
)
from voucher_service.errors import (
    CapExceeded,
    Conflict,
    ErrorCode,
    InvalidInput,
    InvalidState,
    NotFound,
    NotSelected,
    PoolInsufficient,
    ProgramNotValid,
    WindowEnded,
)
from voucher_service.ledger import counters
from voucher_service.ledger import service as ledger
from voucher_service.money import fen_to_yuan
from voucher_service.notifications import Event, notify, of_enterprise
from voucher_service.pagination import (
    PageParams,
    Slice,
    paginate,
    paginate_sorted,
    where_given,
    where_search,
)
from voucher_service.programs.service import (
    get_pool,
    require_funding,
    require_open,
    rules_in_force,
)
from voucher_service.programs.settings import settings_of


def _locked_enrolment(
    session: Session, enterprise: Enterprise, program: Program, start: date, rules: Rules
) -> Enrolment:
    """The enterprise's enrolment in the program, created with its window at the first
    voucher, and locked for the rest of the transaction (fixed order: enrolment, then pool)."""
    window = Window.starting(start, rules.window_months)
    insert_if_absent(
        session,
        Enrolment,
        {
            "enterprise_id": enterprise.id,
            "program_id": program.id,
            "window_start": window.start,
            "window_end": window.end,
            "created_at": utcnow(),
        },
    )
    enrolment: Enrolment | None = session.scalar(
        select(Enrolment)
        .where(Enrolment.enterprise_id == enterprise.id, Enrolment.program_id == program.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    assert enrolment is not None
    return enrolment


def issue_voucher(
    session: Session,
    *,
    program: Program,
    year: int,
    enterprise: Enterprise,
    face_value_fen: int,
    today: date,
    valid_from: date | None = None,
    valid_to: date | None = None,
) -> Voucher:
    """Issue a voucher from ``program``'s ``year`` pool. Refused, with nothing written, when
    the pool lacks the amount, when it exceeds the enterprise's remaining cap less its
    unspent vouchers, when the enterprise's window has ended, or outside the program's
    validity (or once it has ended), or, for a program that requires selection, to an
    enterprise not selected for ``year``. Validity defaults to today (or the year's start)
    until the program's voucher validity says (the end of the year by default), clipped to
    the program and the subsidy window."""
    if face_value_fen <= 0:
        raise InvalidInput("face value must be greater than zero", code=ErrorCode.INVALID_AMOUNT)
    require_open(program, today, "vouchers")
    if program.mode == ProgramMode.REIMBURSEMENT:
        raise Conflict(
            "program {program_code} pays by claims after payment: it issues no vouchers",
            program_code=program.code,
            code=ErrorCode.REIMBURSEMENT_PROGRAM,
        )
    require_funding(program, Funding.VOUCHERS)
    pool = get_pool(session, program, year)
    if program.requires_selection:
        _check_selected(session, enterprise, program, year)
    start = _first_valid_day(program, year, today, valid_from)
    rules = rules_in_force(session, program, start)
    enrolment = _locked_enrolment(session, enterprise, program, start, rules)
    window = Window(enrolment.window_start, enrolment.window_end)
    end = _last_valid_day(enterprise, program, year, window, start, today, valid_to)
    _check_cap(session, enterprise, program, enrolment, window, rules, start, face_value_fen)
    voucher = _reserve(session, pool, program, enterprise, enrolment, face_value_fen, (start, end))
    audit.record(
        session,
        "voucher.issue",
        "voucher",
        voucher.code,
        after={
            "program": program.code,
            "year": year,
            "uscc": enterprise.uscc,
            "face_value_fen": face_value_fen,
            "valid_from": start,
            "valid_to": end,
        },
    )
    notify(
        session,
        Event.VOUCHER_ISSUED,
        of_enterprise(enterprise.id),
        voucher=voucher.code,
        program=program.name,
        amount=fen_to_yuan(face_value_fen),
        valid_from=start,
        valid_to=end,
    )
    return voucher


def _first_valid_day(program: Program, year: int, today: date, valid_from: date | None) -> date:
    """The voucher's first valid day: as asked, or today (or the year's or the program's
    start, if later); within ``year`` either way."""
    start = valid_from or max(today, date(year, 1, 1), program.valid_from)
    if start.year != year:
        raise InvalidInput(
            "a voucher from the {year} pool must start in {year}, not on {start}",
            year=year,
            start=start,
            code=ErrorCode.INVALID_PERIOD,
        )
    return start


def _reserve(
    session: Session,
    pool: Pool,
    program: Program,
    enterprise: Enterprise,
    enrolment: Enrolment,
    face_value_fen: int,
    validity: tuple[date, date],
) -> Voucher:
    """The voucher, from the ledger: its face value reserved from the pool and held whole;
    PoolInsufficient, with nothing written, when the pool lacks it."""
    assert enterprise.id is not None and enrolment.id is not None
    code = new_voucher_code()
    valid_from, valid_to = validity
    voucher = ledger.issue_voucher(
        session,
        pool,
        code=code,
        enterprise_id=enterprise.id,
        enrolment_id=enrolment.id,
        face_value_fen=face_value_fen,
        valid_from=valid_from,
        valid_to=valid_to,
        memo=f"issue {code} to {enterprise.uscc}",
    )
    if voucher is None:
        session.refresh(pool)
        raise PoolInsufficient(
            (
                "the {program_code} {pool_year} pool has {available_yuan} "
                "yuan available; asked {face_value_yuan}"
            ),
            program_code=program.code,
            pool_year=pool.year,
            available_yuan=fen_to_yuan(pool.available_fen),
            face_value_yuan=fen_to_yuan(face_value_fen),
        )
    return voucher


def selection_status(
    session: Session, enterprise: Enterprise, program: Program, year: int
) -> str | None:
    """Where the enterprise's model selection for the program's ``year`` stands, if any."""
    status: str | None = session.scalar(
        select(ModelSelection.status).where(
            ModelSelection.enterprise_id == enterprise.id,
            ModelSelection.program_id == program.id,
            ModelSelection.year == year,
        )
    )
    return status


def _check_selected(session: Session, enterprise: Enterprise, program: Program, year: int) -> None:
    """Measure 3 (对遴选的垂直行业模型…给予补助): vouchers only for the year's selected."""
    if selection_status(session, enterprise, program, year) != SelectionStatus.SELECTED:
        raise NotSelected(
            (
                "enterprise {enterprise_uscc} is not selected for "
                "{program_code} in {year}: only the year's selected "
                "enterprises may be issued its vouchers"
            ),
            enterprise_uscc=enterprise.uscc,
            program_code=program.code,
            year=year,
        )


def _last_valid_day(
    enterprise: Enterprise,
    program: Program,
    year: int,
    window: Window,
    start: date,
    today: date,
    valid_to: date | None,
) -> date:
    """The voucher's last valid day: as asked, or the latest it may be (as the program's
    voucher validity says: the end of its pool's year, some months on, or the window's end;
    never past the program's end nor the enterprise's subsidy window)."""
    if today >= window.end:
        raise WindowEnded(
            "enterprise {enterprise_uscc}'s subsidy window in {program_code} ended on {last_day}",
            enterprise_uscc=enterprise.uscc,
            program_code=program.code,
            last_day=window.last_day,
        )
    settings = settings_of(program)
    last_day = voucher_last_day(
        settings.voucher_validity,
        settings.voucher_validity_months,
        year=year,
        start=start,
        program_end=program.valid_to,
        window=window,
    )
    end = valid_to or last_day
    if start < window.start or end > last_day:
        raise ProgramNotValid(
            (
                "a voucher of the {year} pool starting on {start} must lie within the program's "
                "voucher validity ({validity}), the program's validity and the enterprise's "
                "subsidy window: from {first_day} to {last_day}"
            ),
            year=year,
            start=start,
            validity=settings.voucher_validity.value,
            first_day=max(window.start, date(year, 1, 1)),
            last_day=last_day,
        )
    if end < start:
        raise InvalidInput("valid_to must not be before valid_from", code=ErrorCode.INVALID_PERIOD)
    if end < today:
        raise InvalidInput(
            "the voucher would end on {end}, before today", end=end, code=ErrorCode.INVALID_PERIOD
        )
    return end


def _check_cap(
    session: Session,
    enterprise: Enterprise,
    program: Program,
    enrolment: Enrolment,
    window: Window,
    rules: Rules,
    start: date,
    face_value_fen: int,
) -> None:
    """The face value must fit in what the enterprise may still receive: its cap (the one
    that binds, beside a cap per year), less what it has used and what its unspent vouchers
    already promise (read under the enrolment's lock, so concurrent issuances never promise
    more than the cap)."""
    assert enrolment.id is not None
    cap = counters.binding_cap(session, enrolment.id, rules, window, start)
    used = cap.used_fen
    promised = counters.outstanding_fen(session, enrolment.id)
    allowed = issuable_fen(cap.cap_fen, used, promised)
    if face_value_fen > allowed:
        raise CapExceeded(
            (
                "enterprise {enterprise_uscc} may receive at most "
                "{allowed_yuan} yuan more in {program_code} (cap {cap_yuan}, "
                "used {used_yuan}, on unspent vouchers {promised_yuan}); "
                "asked {face_value_yuan}"
            ),
            enterprise_uscc=enterprise.uscc,
            allowed_yuan=fen_to_yuan(allowed),
            program_code=program.code,
            cap_yuan=fen_to_yuan(cap.cap_fen),
            used_yuan=fen_to_yuan(used),
            promised_yuan=fen_to_yuan(promised),
            face_value_yuan=fen_to_yuan(face_value_fen),
        )


def get_voucher(session: Session, code: str) -> Voucher:
    voucher: Voucher | None = session.scalar(select(Voucher).where(Voucher.code == code))
    if voucher is None:
        raise NotFound(
            "no voucher {voucher_code}", voucher_code=code, code=ErrorCode.VOUCHER_NOT_FOUND
        )
    return voucher


def _close(
    session: Session, voucher_id: int, *, status: VoucherStatus, reason: str
) -> tuple[Voucher, int]:
    """Close an active voucher; its unspent balance (returned) goes back to its pool."""
    voucher = session.scalar(
        select(Voucher)
        .where(Voucher.id == voucher_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    assert voucher is not None
    if voucher.status != VoucherStatus.ACTIVE:
        raise InvalidState(
            "voucher {voucher_code} is already {voucher_status}",
            voucher_code=voucher.code,
            voucher_status=voucher.status,
        )
    before = {"status": voucher.status, "balance_fen": voucher.balance_fen}
    unspent = ledger.release_voucher(session, voucher, memo=f"{status}: {reason}")
    voucher.status = status
    voucher.closed_at = utcnow()
    voucher.close_reason = reason
    session.flush()
    audit.record(
        session,
        "voucher.revoke" if status == VoucherStatus.REVOKED else "voucher.expire",
        "voucher",
        voucher.code,
        before=before,
        after={"status": status, "released_fen": unspent, "reason": reason},
    )
    if status == VoucherStatus.EXPIRED:
        notify(
            session,
            Event.VOUCHER_EXPIRED,
            of_enterprise(voucher.enterprise_id),
            voucher=voucher.code,
            released=fen_to_yuan(unspent),
        )
    return voucher, unspent


def revoke_voucher(
    session: Session, voucher: Voucher, *, reason: str, confirmed: bool = False
) -> Voucher:
    """Revoke a voucher; its unspent balance returns to the pool of its year. A balance
    above the program's second-review amount is only proposed (``auth.proposals``): the
    voucher stays active until a second reviewer confirms (``confirmed``)."""
    if not reason.strip():
        raise InvalidInput("a revocation needs a reason", code=ErrorCode.REASON_REQUIRED)
    if voucher.status != VoucherStatus.ACTIVE:
        raise InvalidState(
            "voucher {voucher_code} is already {voucher_status}",
            voucher_code=voucher.code,
            voucher_status=voucher.status,
        )
    program = session.get(Program, voucher.program_id)
    assert program is not None
    if not confirmed and needs_second_person(program.second_review_above_fen, voucher.balance_fen):
        propose(
            session,
            ConfirmationKind.REVOKE_VOUCHER,
            voucher.code,
            payload={"reason": reason.strip(), "balance_fen": voucher.balance_fen},
            summary=f"revoke voucher {voucher.code} of {program.code}: "
            f"{fen_to_yuan(voucher.balance_fen)} yuan back to its pool ({reason.strip()})",
            now=utcnow(),
        )
        return voucher
    closed, _ = _close(session, voucher.id, status=VoucherStatus.REVOKED, reason=reason.strip())
    return closed


@dataclass(frozen=True)
class ExpiryRun:
    expired: int
    released_fen: int


def expire_vouchers(
    session: Session,
    *,
    today: date,
    grace_days: int,
    progress: Callable[[int, int], None] | None = None,
) -> ExpiryRun:
    """Expire every active voucher whose last valid day plus the reporting grace period has
    passed, returning balances to their pools. Idempotent: a second run finds nothing.
    ``progress(done, total)`` is called after each voucher (the command line's progress bar)."""
    cutoff = today - timedelta(days=grace_days)
    ids = list(
        session.scalars(
            select(Voucher.id)
            .where(Voucher.status == VoucherStatus.ACTIVE, Voucher.valid_to < cutoff)
            .order_by(Voucher.id)
        )
    )
    expired = released = 0
    if progress is not None:
        progress(0, len(ids))
    for done, voucher_id in enumerate(ids, start=1):
        try:
            _, unspent = _close(
                session,
                voucher_id,
                status=VoucherStatus.EXPIRED,
                reason=f"expired after {grace_days} days' grace",
            )
        except InvalidState:  # closed by someone else meanwhile
            pass
        else:
            expired += 1
            released += unspent
        if progress is not None:
            progress(done, len(ids))
    return ExpiryRun(expired=expired, released_fen=released)


def list_vouchers(
    session: Session,
    params: PageParams,
    *,
    program: Program | None = None,
    pool: Pool | None = None,
    enterprise: Enterprise | None = None,
    status: str | None = None,
) -> tuple[list[Voucher], str | None]:
    if status is not None and status not in set(VoucherStatus):
        raise InvalidInput(
            "status must be one of {statuses}",
            statuses=", ".join(VoucherStatus),
            code=ErrorCode.INVALID_STATUS,
        )
    query = where_given(
        select(Voucher),
        (Voucher.program_id, program.id if program else None),
        (Voucher.pool_id, pool.id if pool else None),
        (Voucher.enterprise_id, enterprise.id if enterprise else None),
        (Voucher.status, status),
    )
    return paginate(session, query, Voucher.id, params)


@dataclass(frozen=True)
class VoucherView:
    """A voucher with the names clients know it by."""

    voucher: Voucher
    program_code: str
    year: int
    uscc: str
    enterprise_name: str = ""


def describe_vouchers(session: Session, vouchers: list[Voucher]) -> list[VoucherView]:
    """Attach program code, pool year and credit code: three IN queries, not one per row."""
    if not vouchers:
        return []
    codes: dict[int, str] = dict(
        session.execute(
            select(Program.id, Program.code).where(
                col(Program.id).in_({v.program_id for v in vouchers})
            )
        ).all()
    )
    years: dict[int, int] = dict(
        session.execute(
            select(Pool.id, Pool.year).where(col(Pool.id).in_({v.pool_id for v in vouchers}))
        ).all()
    )
    holders = {
        id: (uscc, name)
        for id, uscc, name in session.execute(
            select(Enterprise.id, Enterprise.uscc, Enterprise.name).where(
                col(Enterprise.id).in_({v.enterprise_id for v in vouchers})
            )
        )
    }
    return [
        VoucherView(v, codes[v.program_id], years[v.pool_id], *holders[v.enterprise_id])
        for v in vouchers
    ]


# What the voucher list sorts by, by the name a ``sort`` gives.
VOUCHER_SORTS: dict[str, Any] = {
    "id": Voucher.id,
    "issued_at": Voucher.issued_at,
    "enterprise": Enterprise.name,
    "face_value": Voucher.face_value_fen,
    "balance": Voucher.balance_fen,
    "valid_to": Voucher.valid_to,
    "status": Voucher.status,
}


def list_voucher_views(
    session: Session,
    params: PageParams,
    *,
    program: Program | None = None,
    pool: Pool | None = None,
    enterprise: Enterprise | None = None,
    status: str | None = None,
    q: str | None = None,
) -> Slice[VoucherView]:
    """The vouchers the filters select, each with its program's code, pool's year and
    holder's credit code and name (one query a page); ``q``: part of the voucher's code
    (with hyphens or without), the holder's name or credit code; sorted and numbered when ``params``
    asks (``VOUCHER_SORTS``)."""
    if status is not None and status not in set(VoucherStatus):
        raise InvalidInput(
            "status must be one of {statuses}",
            code=ErrorCode.INVALID_STATUS,
            statuses=", ".join(VoucherStatus),
        )
    query: Select[Any] = (
        select(Voucher, Program.code, Pool.year, Enterprise.uscc, Enterprise.name)
        .join(Program, Program.id == Voucher.program_id)
        .join(Pool, Pool.id == Voucher.pool_id)
        .join(Enterprise, Enterprise.id == Voucher.enterprise_id)
    )
    query = where_given(
        query,
        (Voucher.program_id, program.id if program else None),
        (Voucher.pool_id, pool.id if pool else None),
        (Voucher.enterprise_id, enterprise.id if enterprise else None),
        (Voucher.status, status),
    )
    query = where_search(query, q, Enterprise.name, Enterprise.uscc, codes=[Voucher.code])
    found = paginate_sorted(session, query, Voucher.id, params, VOUCHER_SORTS)
    return found.map(lambda row: VoucherView(*row))
