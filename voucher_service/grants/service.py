"""Grants (专项资金) of a program funded as grants (``program.funding = 'grants'``).

Measure 2 (武政规〔2025〕3号) funds compute-network operation monitoring and quality
assessment with 每年安排不超过300万元: a yearly budget with a ceiling, spent on projects
rather than vouchers. The budget is the program's pool for the year, opened as any pool is
(a program administrator proposes it, a second confirms) and refused above the program's
``pool_maximum_fen``: the pool's total is the year's ceiling.

The story: a project (an organisation registered as an enterprise: name and credit code)
applies for a year with a title and an amount, recorded by a reviewer; a reviewer approves
an amount (at most what was asked), which the ledger holds from the year's pool at once
(pool -> grant:<g>: the year's approved total never exceeds its ceiling, under concurrent
approvals too), or rejects it with a reason. The approved grant is paid in instalments
against milestones (a description and an amount): a reviewer accepts a milestone's work,
then a person of finance who did not accept it pays its instalment (grant:<g> ->
granted:<g>), never taking the grant's instalments above its approved amount. Every step is
an audit entry; money moves only through ``ledger``.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session
from sqlmodel import col

from voucher_service import audit_log as audit
from voucher_service.auth.duties import acting_person, second_person
from voucher_service.db.tables.auth import Duty
from voucher_service.db.tables.enterprises import Enterprise
from voucher_service.db.tables.grants import (
    Funding,
    GrantMilestone,
    GrantStatus,
    MilestoneStatus,
    ProjectGrant,
)
from voucher_service.db.tables.programs import Pool, Program
from voucher_service.enterprises.service import get_enterprise
from voucher_service.errors import (
    ErrorCode,
    GrantExceeded,
    InvalidInput,
    InvalidState,
    NotFound,
    PoolInsufficient,
)
from voucher_service.ledger import service as ledger
from voucher_service.money import fen_to_yuan
from voucher_service.pagination import PageParams, paginate, where_given
from voucher_service.programs.service import (
    get_pool,
    get_program,
    require_funding,
    require_open,
    rules_in_force,
)


@dataclass(frozen=True)
class GrantView:
    """A grant with its program, year, project and milestones (oldest first)."""

    grant: ProjectGrant
    program_code: str
    year: int
    project_name: str
    project_uscc: str
    milestones: list[GrantMilestone]


@dataclass(frozen=True)
class YearBudget:
    """A grants program's year: its ceiling (the pool's total; ``maximum_fen`` the program's
    largest allowed pool), what its grants were approved for, paid and still hold, and what
    is left to approve."""

    program_code: str
    year: int
    ceiling_fen: int
    maximum_fen: int | None
    approved_fen: int
    paid_fen: int
    held_fen: int
    remaining_fen: int
    grants: int


def grants_program(session: Session, program_code: str) -> Program:
    """The program, refused (409) unless it is funded as grants."""
    program = get_program(session, program_code)
    require_funding(program, Funding.GRANTS)
    return program


def grants_programs(session: Session) -> list[Program]:
    """The programs funded as grants, by code."""
    query = select(Program).where(Program.funding == Funding.GRANTS).order_by(Program.code)
    return list(session.scalars(query))


def apply(
    session: Session,
    *,
    program_code: str,
    year: int,
    uscc: str,
    title: str,
    asked_fen: int,
    today: date,
) -> GrantView:
    """Record a project's application for a year's grant: its title and the amount asked.
    The program must be funded as grants and still open, with a pool for the year; the
    project is an enterprise already registered (by its credit code)."""
    program = grants_program(session, program_code)
    require_open(program, today, "grants")
    pool = get_pool(session, program, year)
    project = get_enterprise(session, uscc)
    text = title.strip()
    if not text:
        raise InvalidInput("give the project's title", code=ErrorCode.INVALID_INPUT)
    if asked_fen <= 0:
        raise InvalidInput("a grant asks for a positive amount", code=ErrorCode.INVALID_AMOUNT)
    grant = ProjectGrant(
        program_id=program.id,
        pool_id=pool.id,
        enterprise_id=project.id,
        title=text,
        asked_fen=asked_fen,
        applied_by=audit.actor_of(session).name,
    )
    session.add(grant)
    session.flush()
    audit.record(
        session,
        "grant.apply",
        "grant",
        grant.id,
        after={
            "program": program.code,
            "year": year,
            "uscc": project.uscc,
            "title": text,
            "asked_fen": asked_fen,
        },
    )
    return get_grant(session, grant.id or 0)


def _locked(session: Session, grant_id: int) -> ProjectGrant:
    """The grant under its row lock (concurrent decisions and payments queue on it)."""
    grant: ProjectGrant | None = session.scalar(
        select(ProjectGrant)
        .where(ProjectGrant.id == grant_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    if grant is None:
        raise NotFound("no grant {grant_id}", code=ErrorCode.GRANT_NOT_FOUND, grant_id=grant_id)
    return grant


def approve(
    session: Session, grant_id: int, *, amount_fen: int, reason: str, now: datetime
) -> GrantView:
    """Approve an application for ``amount_fen`` (at most what was asked), held at once from
    the year's pool by the ledger; refused (409 ``pool_insufficient``, nothing written) when
    the year's approved grants would exceed its ceiling."""
    person = acting_person(session, (Duty.REVIEW,), "approve a grant")
    grant = _locked(session, grant_id)
    _require(grant, GrantStatus.APPLIED)
    if not 0 < amount_fen <= grant.asked_fen:
        raise InvalidInput(
            "grant {grant_id} asked for {asked_yuan} yuan: approve more than zero and at most that",
            code=ErrorCode.INVALID_AMOUNT,
            grant_id=grant_id,
            asked_yuan=fen_to_yuan(grant.asked_fen),
        )
    if not ledger.approve_grant(session, grant, amount_fen=amount_fen):
        pool = session.get(Pool, grant.pool_id, populate_existing=True)
        assert pool is not None
        raise PoolInsufficient(
            "the {year} grants would exceed the year's ceiling of {ceiling_yuan} yuan: "
            "{remaining_yuan} yuan is left to approve",
            year=pool.year,
            ceiling_yuan=fen_to_yuan(pool.total_fen),
            remaining_yuan=fen_to_yuan(pool.available_fen),
        )
    grant.reason = reason.strip()
    grant.decided_by_id, grant.decided_at = person.id, now
    session.flush()
    audit.record(
        session,
        "grant.approve",
        "grant",
        grant_id,
        before={"status": GrantStatus.APPLIED},
        after={"status": GrantStatus.APPROVED, "approved_fen": amount_fen, "reason": grant.reason},
    )
    return get_grant(session, grant_id)


def reject(session: Session, grant_id: int, *, reason: str, now: datetime) -> GrantView:
    """Reject an application with a reason: nothing is held."""
    person = acting_person(session, (Duty.REVIEW,), "reject a grant")
    grant = _locked(session, grant_id)
    _require(grant, GrantStatus.APPLIED)
    if not reason.strip():
        raise InvalidInput("give a reason for rejecting", code=ErrorCode.REASON_REQUIRED)
    grant.status, grant.reason = GrantStatus.REJECTED, reason.strip()
    grant.decided_by_id, grant.decided_at = person.id, now
    session.flush()
    audit.record(
        session,
        "grant.reject",
        "grant",
        grant_id,
        before={"status": GrantStatus.APPLIED},
        after={"status": GrantStatus.REJECTED, "reason": grant.reason},
    )
    return get_grant(session, grant_id)


def add_milestone(
    session: Session, grant_id: int, *, description: str, amount_fen: int
) -> GrantView:
    """Declare a milestone of an approved grant: what is to be delivered and the instalment
    it earns. The grant's milestones together stay within its approved amount (409
    ``grant_exceeded``)."""
    acting_person(session, (Duty.REVIEW,), "declare a milestone")
    grant = _locked(session, grant_id)
    _require(grant, GrantStatus.APPROVED)
    text = description.strip()
    if not text:
        raise InvalidInput("describe the milestone", code=ErrorCode.INVALID_INPUT)
    if amount_fen <= 0:
        raise InvalidInput("an instalment is a positive amount", code=ErrorCode.INVALID_AMOUNT)
    declared = session.scalar(
        select(func.coalesce(func.sum(GrantMilestone.amount_fen), 0)).where(
            GrantMilestone.grant_id == grant_id
        )
    )
    _within(grant, int(declared or 0) + amount_fen)
    milestone = GrantMilestone(grant_id=grant_id, description=text, amount_fen=amount_fen)
    session.add(milestone)
    session.flush()
    audit.record(
        session,
        "grant.milestone",
        "grant",
        grant_id,
        after={"milestone": milestone.id, "description": text, "amount_fen": amount_fen},
    )
    return get_grant(session, grant_id)


def accept_milestone(
    session: Session, grant_id: int, milestone_id: int, *, now: datetime
) -> GrantView:
    """A reviewer accepts a milestone's work: its instalment may then be paid."""
    person = acting_person(session, (Duty.REVIEW,), "accept a milestone")
    grant = _locked(session, grant_id)
    milestone = _milestone(session, grant, milestone_id)
    if milestone.status != MilestoneStatus.OPEN:
        raise InvalidState(
            "milestone {milestone_id} is already {status}",
            milestone_id=milestone_id,
            status=milestone.status,
        )
    milestone.status = MilestoneStatus.ACCEPTED
    milestone.accepted_by_id, milestone.accepted_at = person.id, now
    session.flush()
    audit.record(
        session,
        "grant.milestone_accept",
        "grant",
        grant_id,
        before={"milestone": milestone_id, "status": MilestoneStatus.OPEN},
        after={"milestone": milestone_id, "status": MilestoneStatus.ACCEPTED},
    )
    return get_grant(session, grant_id)


def pay_milestone(
    session: Session, grant_id: int, milestone_id: int, *, now: datetime
) -> GrantView:
    """A person of finance who did not accept the milestone pays its instalment through the
    ledger; refused (409 ``grant_exceeded``, nothing written) when the grant's instalments
    would exceed its approved amount."""
    payer = acting_person(session, (Duty.FINANCE,), "pay an instalment")
    grant = _locked(session, grant_id)
    milestone = _milestone(session, grant, milestone_id)
    if milestone.status != MilestoneStatus.ACCEPTED:
        raise InvalidState(
            "milestone {milestone_id} is {status}: an accepted one is paid",
            milestone_id=milestone_id,
            status=milestone.status,
        )
    second_person(payer, milestone.accepted_by_id, "the person who accepted the milestone")
    before = grant.paid_fen
    paid = ledger.pay_instalment(
        session, grant, amount_fen=milestone.amount_fen, milestone_id=milestone_id
    )
    if not paid:
        _within(grant, before + milestone.amount_fen)
        raise GrantExceeded("grant {grant_id} cannot pay this instalment", grant_id=grant_id)
    milestone.status = MilestoneStatus.PAID
    milestone.paid_by_id, milestone.paid_at = payer.id, now
    session.flush()
    audit.record(
        session,
        "grant.pay",
        "grant",
        grant_id,
        before={"milestone": milestone_id, "paid_fen": before},
        after={
            "milestone": milestone_id,
            "amount_fen": milestone.amount_fen,
            "paid_fen": before + milestone.amount_fen,
        },
    )
    return get_grant(session, grant_id)


def _require(grant: ProjectGrant, status: GrantStatus) -> None:
    if grant.status != status:
        raise InvalidState(
            "grant {grant_id} is {status}: only an {wanted} one can be changed so",
            grant_id=grant.id,
            status=grant.status,
            wanted=status.value,
        )


def _within(grant: ProjectGrant, total_fen: int) -> None:
    """Refuse instalments totalling ``total_fen`` above the grant's approved amount."""
    approved = grant.approved_fen or 0
    if total_fen > approved:
        raise GrantExceeded(
            "grant {grant_id} was approved for {approved_yuan} yuan: its instalments would "
            "total {total_yuan} yuan",
            grant_id=grant.id,
            approved_yuan=fen_to_yuan(approved),
            total_yuan=fen_to_yuan(total_fen),
        )


def _milestone(session: Session, grant: ProjectGrant, milestone_id: int) -> GrantMilestone:
    milestone = session.get(GrantMilestone, milestone_id, populate_existing=True)
    if milestone is None or milestone.grant_id != grant.id:
        raise NotFound(
            "grant {grant_id} has no milestone {milestone_id}",
            code=ErrorCode.MILESTONE_NOT_FOUND,
            grant_id=grant.id,
            milestone_id=milestone_id,
        )
    return milestone


def get_grant(session: Session, grant_id: int) -> GrantView:
    grant = session.get(ProjectGrant, grant_id, populate_existing=True)
    if grant is None:
        raise NotFound("no grant {grant_id}", code=ErrorCode.GRANT_NOT_FOUND, grant_id=grant_id)
    return _views(session, [grant])[0]


def list_grants(
    session: Session,
    params: PageParams,
    *,
    program_code: str | None = None,
    year: int | None = None,
    status: GrantStatus | None = None,
) -> tuple[list[GrantView], str | None]:
    """A page of grants, oldest first: of a program and a year when given."""
    query = select(ProjectGrant)
    if program_code is not None:
        program = grants_program(session, program_code)
        query = query.where(ProjectGrant.program_id == program.id)
        if year is not None:
            query = query.where(ProjectGrant.pool_id == get_pool(session, program, year).id)
    elif year is not None:
        query = query.where(col(ProjectGrant.pool_id).in_(select(Pool.id).where(Pool.year == year)))
    query = where_given(query, (ProjectGrant.status, status.value if status else None))
    rows, cursor = paginate(session, query, ProjectGrant.id, params)
    return _views(session, rows), cursor


def _views(session: Session, grants: list[ProjectGrant]) -> list[GrantView]:
    """The views of ``grants``, in their order: three queries for any number of them."""
    if not grants:
        return []
    ids = [g.id for g in grants]
    places = {
        pool_id: (code, year)
        for pool_id, code, year in session.execute(
            select(Pool.id, Program.code, Pool.year)
            .join(Program, Program.id == Pool.program_id)
            .where(col(Pool.id).in_({g.pool_id for g in grants}))
        )
    }
    projects = {
        row.id: row
        for row in session.scalars(
            select(Enterprise).where(col(Enterprise.id).in_({g.enterprise_id for g in grants}))
        )
    }
    milestones: dict[int, list[GrantMilestone]] = defaultdict(list)
    for milestone in session.scalars(
        select(GrantMilestone)
        .where(col(GrantMilestone.grant_id).in_(ids))
        .order_by(GrantMilestone.id)
        .execution_options(populate_existing=True)
    ):
        milestones[milestone.grant_id].append(milestone)
    return [
        GrantView(
            grant=g,
            program_code=places[g.pool_id][0],
            year=places[g.pool_id][1],
            project_name=projects[g.enterprise_id].name,
            project_uscc=projects[g.enterprise_id].uscc,
            milestones=milestones[g.id or 0],
        )
        for g in grants
    ]


def year_budget(session: Session, program_code: str, year: int) -> YearBudget:
    """A grants program's year against its ceiling: approved, paid, held and remaining."""
    program = grants_program(session, program_code)
    pool = get_pool(session, program, year)
    approved, paid, count = session.execute(
        select(
            func.coalesce(func.sum(ProjectGrant.approved_fen), 0),
            func.coalesce(func.sum(ProjectGrant.paid_fen), 0),
            func.count(),
        ).where(ProjectGrant.pool_id == pool.id)
    ).one()
    first_day = max(date(year, 1, 1), program.valid_from)
    maximum = rules_in_force(session, program, first_day).pool_maximum_fen
    return YearBudget(
        program_code=program.code,
        year=year,
        ceiling_fen=pool.total_fen,
        maximum_fen=maximum,
        approved_fen=int(approved),
        paid_fen=int(paid),
        held_fen=int(approved) - int(paid),
        remaining_fen=pool.available_fen,
        grants=int(count),
    )
