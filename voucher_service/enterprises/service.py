"""Enterprises (SMEs) and their subsidy status in a program."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from voucher_service import audit_log
from voucher_service.db.tables.applications import ModelSelection, SelectionStatus
from voucher_service.db.tables.enterprises import Enrolment, Enterprise
from voucher_service.db.tables.programs import Program
from voucher_service.db.tables.vouchers import Voucher
from voucher_service.domain.rules import (
    ProgramPhase,
    Rules,
    Window,
    issuable_fen,
    program_phase,
)
from voucher_service.domain.uscc import division_code
from voucher_service.errors import AlreadyExists, ErrorCode, NotFound, ProgramNotValid
from voucher_service.ledger import counters
from voucher_service.pagination import PageParams, Slice, paginate_sorted, where_given, where_search
from voucher_service.programs.service import rule_versions, rules_in_force, to_rules


def register_enterprise(session: Session, *, uscc: str, name: str) -> Enterprise:
    """Register an SME by its (already validated) credit code."""
    if session.scalar(select(Enterprise.id).where(Enterprise.uscc == uscc)) is not None:
        raise AlreadyExists("enterprise {uscc} is already registered", uscc=uscc)
    enterprise = Enterprise(uscc=uscc, name=name, district_code=division_code(uscc))
    session.add(enterprise)
    session.flush()
    audit_log.record(session, "enterprise.register", "enterprise", uscc, after={"name": name})
    return enterprise


def get_enterprise(session: Session, uscc: str) -> Enterprise:
    enterprise: Enterprise | None = session.scalar(
        select(Enterprise).where(Enterprise.uscc == uscc)
    )
    if enterprise is None:
        raise NotFound(
            "no enterprise with credit code {uscc}", uscc=uscc, code=ErrorCode.ENTERPRISE_NOT_FOUND
        )
    return enterprise


def list_enterprises(
    session: Session,
    params: PageParams,
    *,
    district_code: str | None = None,
    q: str | None = None,
) -> Slice[Enterprise]:
    """The enterprises registered, oldest first; ``q``: part of the name or credit code;
    sorted and numbered when ``params`` asks (``ENTERPRISE_SORTS``)."""
    query = where_given(select(Enterprise), (Enterprise.district_code, district_code))
    query = where_search(query, q, Enterprise.name, Enterprise.uscc)
    found = paginate_sorted(session, query, Enterprise.id, params, ENTERPRISE_SORTS)
    return found.map(lambda row: row[0])


# What the enterprise list sorts by, by the name a ``sort`` gives.
ENTERPRISE_SORTS: dict[str, Any] = {
    "id": Enterprise.id,
    "name": Enterprise.name,
    "uscc": Enterprise.uscc,
    "district": Enterprise.district_code,
    "created_at": Enterprise.created_at,
}


def get_enrolment(session: Session, enterprise_id: int, program_id: int) -> Enrolment | None:
    return session.scalar(
        select(Enrolment).where(
            Enrolment.enterprise_id == enterprise_id, Enrolment.program_id == program_id
        )
    )


@dataclass(frozen=True)
class SubsidyStatus:
    """How much of its cap an enterprise has used in a program, what is left, until when."""

    program_code: str
    rules: Rules
    enrolled: bool
    window: Window | None
    window_ended: bool
    cap_period: int
    binding_cap_fen: int  # the cap that binds today: the year's or the lifetime one
    cap_used_fen: int
    cap_remaining_fen: int
    outstanding_fen: int
    issuable_fen: int
    vouchers: list[Voucher] = field(default_factory=list)


def subsidy_status(
    session: Session, enterprise: Enterprise, program: Program, *, today: date
) -> SubsidyStatus:
    """The enterprise's standing in ``program`` today (program timezone)."""
    day = min(max(today, program.valid_from), program.valid_to)
    try:
        rules = rules_in_force(session, program, day)
    except ProgramNotValid:
        rules = to_rules(rule_versions(session, program.id)[0])
    enrolment = get_enrolment(session, enterprise.id, program.id)
    if enrolment is None:
        cap = counters.binding_cap(
            session, None, rules, Window.starting(today, rules.window_months), today
        )
        return SubsidyStatus(
            program_code=program.code,
            rules=rules,
            enrolled=False,
            window=None,
            window_ended=False,
            cap_period=cap.period,
            binding_cap_fen=cap.cap_fen,
            cap_used_fen=0,
            cap_remaining_fen=cap.cap_fen,
            outstanding_fen=0,
            issuable_fen=cap.cap_fen,
        )
    window = Window(enrolment.window_start, enrolment.window_end)
    cap = counters.binding_cap(session, enrolment.id, rules, window, max(today, window.start))
    outstanding = counters.outstanding_fen(session, enrolment.id)
    ended = today >= window.end
    vouchers = list(
        session.scalars(
            select(Voucher).where(Voucher.enrolment_id == enrolment.id).order_by(Voucher.id)
        )
    )
    return SubsidyStatus(
        program_code=program.code,
        rules=rules,
        enrolled=True,
        window=window,
        window_ended=ended,
        cap_period=cap.period,
        binding_cap_fen=cap.cap_fen,
        cap_used_fen=cap.used_fen,
        cap_remaining_fen=cap.left_fen,
        outstanding_fen=outstanding,
        issuable_fen=0 if ended else issuable_fen(cap.cap_fen, cap.used_fen, outstanding),
        vouchers=vouchers,
    )


def programs_for(session: Session, enterprise: Enterprise, *, today: date) -> list[Program]:
    """The programs that concern an enterprise, in the order they were created: each one it
    is enrolled in (it holds or held a voucher there), and each one not yet ended that it
    may apply to: registered in the program's region, and, for a program of selected models
    (measure 3: 对遴选的垂直行业模型), selected for one of its years."""
    enrolled = set(
        session.scalars(
            select(Enrolment.program_id).where(Enrolment.enterprise_id == enterprise.id)
        )
    )
    selected = set(
        session.scalars(
            select(ModelSelection.program_id).where(
                ModelSelection.enterprise_id == enterprise.id,
                ModelSelection.status == SelectionStatus.SELECTED,
            )
        )
    )

    def concerns(program: Program) -> bool:
        if program.id in enrolled:
            return True
        return (
            program_phase(program.valid_from, program.valid_to, today) is not ProgramPhase.ENDED
            and enterprise.district_code.startswith(program.region_prefix)
            and (not program.requires_selection or program.id in selected)
        )

    return [p for p in session.scalars(select(Program).order_by(Program.id)) if concerns(p)]
