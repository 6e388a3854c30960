"""Public notice endpoints: the public list and objection form (no key: ``/public/v1``),
the open-data figures, and the bureau's objections queue and paperwork settings."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request, status

from voucher_service.auth.access import BUREAU_READ, PROGRAM_ADMIN, REVIEW, rule
from voucher_service.db.tables.paperwork import ObjectionStatus
from voucher_service.deps import NowDep, SessionDep, TodayDep
from voucher_service.fields import Id, ProgramCode, Year
from voucher_service.materials.kinds import parse_kinds
from voucher_service.notices import figures, service
from voucher_service.notices.schemas import (
    CellOut,
    ClosedOut,
    NoticesOut,
    ObjectionDecisionIn,
    ObjectionFiledOut,
    ObjectionIn,
    ObjectionOut,
    OpenFiguresOut,
    PaperworkIn,
    PaperworkOut,
    PublicNoticeOut,
)
from voucher_service.programs.service import get_program
from voucher_service.routing import DatabaseRoute

public_router = APIRouter(route_class=DatabaseRoute, tags=["public notice (no key)"])
admin_router = APIRouter(route_class=DatabaseRoute, tags=["applications (bureau)"])


@public_router.get("/notices")
def public_notices(session: SessionDep) -> NoticesOut:
    """What stands in public notice (公示) now: no key needed."""
    return NoticesOut(items=[PublicNoticeOut.read(n) for n in service.public_notices(session)])


@public_router.post("/notices/{application_id}/objections", status_code=status.HTTP_201_CREATED)
def object_to(
    application_id: Id,
    body: ObjectionIn,
    request: Request,
    session: SessionDep,
    today: TodayDep,
    now: NowDep,
) -> ObjectionFiledOut:
    """Object to an application in public notice; it reaches the reviewers' queue.
    Limited per address (VOUCHER_OBJECTIONS_PER_HOUR)."""
    row = service.object_to(
        session,
        application_id,
        service.ObjectionInput(body.name, body.contact, body.text),
        client=str(getattr(request.state, "client", "")),
        today=today,
        now=now,
    )
    return ObjectionFiledOut.read(row)


@public_router.get("/figures/{program_code}/{year}")
def open_figures(program_code: ProgramCode, year: Year, session: SessionDep) -> OpenFiguresOut:
    """A program's public figures for a year; cells of fewer than 3 enterprises suppressed."""
    found = figures.open_figures(session, program_code, year)
    cells = {
        name: [CellOut.read(c) for c in getattr(found, name)]
        for name in ("by_district", "by_industry", "by_month")
    }
    return OpenFiguresOut(
        program_code=found.program.code,
        program_name=found.program.name,
        year=found.year,
        pool_total_yuan=found.pool_total_fen,
        pool_available_yuan=found.pool_available_fen,
        issued_yuan=found.issued_fen,
        subsidised_yuan=found.subsidised_fen,
        enterprises_supported=found.enterprises_supported,
        **cells,
    )


@admin_router.get("/objections", dependencies=rule(BUREAU_READ))
def objections(
    session: SessionDep,
    status: Annotated[ObjectionStatus | None, Query()] = ObjectionStatus.OPEN,
    application_id: Annotated[int | None, Query(ge=1, le=2**31 - 1)] = None,
) -> list[ObjectionOut]:
    """The reviewers' queue of objections: open ones by default, oldest first."""
    rows = service.list_objections(session, status=status, application_id=application_id)
    return [ObjectionOut.read(r) for r in rows]


@admin_router.post("/objections/{objection_id}/uphold", dependencies=rule(REVIEW))
def uphold(
    objection_id: Id, body: ObjectionDecisionIn, session: SessionDep, now: NowDep
) -> ObjectionOut:
    """The objection holds: the application returns to review, its reservation released."""
    return ObjectionOut.read(service.uphold(session, objection_id, reason=body.reason, now=now))


@admin_router.post("/objections/{objection_id}/dismiss", dependencies=rule(REVIEW))
def dismiss(
    objection_id: Id, body: ObjectionDecisionIn, session: SessionDep, now: NowDep
) -> ObjectionOut:
    return ObjectionOut.read(service.dismiss(session, objection_id, reason=body.reason, now=now))


@admin_router.post("/notices/close", dependencies=rule(REVIEW))
def close_notices(session: SessionDep, today: TodayDep, now: NowDep) -> ClosedOut:
    """Issue what is due: notices ended with no open objection (what the scheduled
    ``voucher-service notices close`` does)."""
    closed = service.close_due(session, today=today, now=now)
    return ClosedOut(issued=closed.issued, held=closed.held, failed=closed.failed)


@admin_router.put("/programs/{code}/paperwork", dependencies=rule(PROGRAM_ADMIN))
def set_paperwork(code: ProgramCode, body: PaperworkIn, session: SessionDep) -> PaperworkOut:
    """A program's required materials and its public notice (on/off, working days)."""
    program = service.set_paperwork(
        session,
        get_program(session, code),
        required_materials=[k.value for k in body.required_materials],
        notice_enabled=body.notice_enabled,
        notice_working_days=body.notice_working_days,
    )
    return PaperworkOut(
        program_code=program.code,
        required_materials=parse_kinds(program.required_materials),
        notice_enabled=program.notice_enabled,
        notice_working_days=program.notice_working_days,
    )
