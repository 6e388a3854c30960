"""Application endpoints: enterprises apply and follow; reviewers work the queue."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, status
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.orm import Session

from voucher_service.applications import service
from voucher_service.auth.access import ADMIN_ONLY, BUREAU_READ, BUREAU_STAFF, ENTERPRISE_SELF, rule
from voucher_service.db.tables.applications import Application
from voucher_service.db.tables.enterprises import Enterprise
from voucher_service.db.tables.programs import Program
from voucher_service.deps import NowDep, PageDep, SessionDep, TodayDep
from voucher_service.enterprises.service import get_enterprise
from voucher_service.fields import USCC, NonNegativeYuan, PositiveYuan, Yuan, parse_uscc_param
from voucher_service.pagination import Page
from voucher_service.programs.service import get_program

admin_router = APIRouter(tags=["applications (bureau)"])
enterprise_router = APIRouter(tags=["my subsidy (enterprise)"], dependencies=rule(ENTERPRISE_SELF))


class ApplicationIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "program_code": "WH-AI-M2",
                    "year": 2026,
                    "requested_yuan": "100000.00",
                    "planned_use": "fine-tuning a visual inspection model for steel plates",
                    "intended_providers": ["91420100MA4K00100E"],
                    "size_class": "small",
                    "headcount": 45,
                    "revenue_yuan": "12000000.00",
                    "declares_no_related_party": True,
                }
            ]
        },
    )

    program_code: str
    year: int = Field(ge=2000, le=2100)
    requested_yuan: PositiveYuan
    planned_use: str = Field(min_length=1, max_length=2000)
    intended_providers: list[USCC] = Field(default_factory=list, max_length=20)
    size_class: Literal["micro", "small", "medium"]
    headcount: int = Field(ge=0, le=10_000_000)
    revenue_yuan: NonNegativeYuan
    declares_no_related_party: bool = Field(
        description="That the enterprise has no related-party relationship with those providers."
    )

    def to_input(self, program: Program) -> service.ApplicationInput:
        return service.ApplicationInput(
            program=program,
            year=self.year,
            requested_fen=self.requested_yuan,
            planned_use=self.planned_use,
            intended_providers=list(self.intended_providers),
            size_class=self.size_class,
            headcount=self.headcount,
            revenue_fen=self.revenue_yuan,
            declares_no_related_party=self.declares_no_related_party,
        )


class CheckOut(BaseModel):
    check: str
    ok: bool
    message: str


class ApplicationOut(BaseModel):
    id: int
    uscc: str
    program_code: str
    year: int
    status: str = Field(description="submitted, returned, approved or rejected")
    eligible: bool = Field(description="Whether every automatic check passed.")
    checks: list[CheckOut]
    flags: list[str] = Field(description="For the reviewer: related parties, unknown providers.")
    requested_yuan: Yuan
    approved_yuan: Yuan | None
    voucher_code: str | None
    planned_use: str
    intended_providers: list[str]
    size_class: str
    headcount: int
    revenue_yuan: Yuan
    declares_no_related_party: bool
    decision_reason: str | None
    decided_by: str | None
    decided_at: datetime | None
    created_at: datetime
    updated_at: datetime


def _out(session: Session, row: Application) -> ApplicationOut:
    enterprise, program = (
        session.get(Enterprise, row.enterprise_id),
        session.get(Program, row.program_id),
    )
    assert enterprise is not None and program is not None
    return ApplicationOut(
        id=row.id,
        uscc=enterprise.uscc,
        program_code=program.code,
        year=row.year,
        status=row.status,
        eligible=row.eligible,
        requested_yuan=row.requested_fen,
        approved_yuan=row.approved_fen,
        voucher_code=service.voucher_code_of(session, row),
        planned_use=row.planned_use,
        size_class=row.size_class,
        headcount=row.headcount,
        revenue_yuan=row.revenue_fen,
        declares_no_related_party=row.declares_no_related_party,
        decision_reason=row.decision_reason,
        decided_by=row.decided_by,
        decided_at=row.decided_at,
        created_at=row.created_at,
        updated_at=row.updated_at,
        **service.describe(row),
    )


@enterprise_router.post("/{uscc}/applications", status_code=status.HTTP_201_CREATED)
def apply(
    uscc: str, body: ApplicationIn, session: SessionDep, today: TodayDep, now: NowDep
) -> ApplicationOut:
    """Apply for a voucher. The automatic checks answer at once, with their reasons."""
    enterprise = get_enterprise(session, parse_uscc_param(uscc))
    inp = body.to_input(get_program(session, body.program_code))
    return _out(session, service.submit(session, enterprise, inp, today=today, now=now))


@enterprise_router.get("/{uscc}/applications")
def my_applications(uscc: str, session: SessionDep, page: PageDep) -> Page[ApplicationOut]:
    enterprise = get_enterprise(session, parse_uscc_param(uscc))
    rows, cursor = service.list_applications(session, page, enterprise_id=enterprise.id)
    return Page(items=[_out(session, r) for r in rows], next_cursor=cursor)


@enterprise_router.get("/{uscc}/applications/{application_id}")
def my_application(uscc: str, application_id: int, session: SessionDep) -> ApplicationOut:
    enterprise = get_enterprise(session, parse_uscc_param(uscc))
    return _out(
        session, service.get_application(session, application_id, enterprise_id=enterprise.id)
    )


@enterprise_router.post("/{uscc}/applications/{application_id}/resubmit")
def resubmit(
    uscc: str,
    application_id: int,
    body: ApplicationIn,
    session: SessionDep,
    today: TodayDep,
    now: NowDep,
) -> ApplicationOut:
    """Resubmit a returned application with the changes asked for."""
    enterprise = get_enterprise(session, parse_uscc_param(uscc))
    row = service.get_application(session, application_id, enterprise_id=enterprise.id)
    inp = body.to_input(get_program(session, body.program_code))
    return _out(session, service.resubmit(session, row, enterprise, inp, today=today, now=now))


class DecisionIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"reason": "planned use too vague"}]}
    )

    reason: str = Field(default="", max_length=1000)


class ApproveIn(DecisionIn):
    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"amount_yuan": "80000.00"}]}
    )

    amount_yuan: PositiveYuan | None = Field(
        default=None, description="Less than requested, if need be."
    )


class BulkApproveIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"ids": [12, 13, 14]}]}
    )

    ids: list[int] = Field(min_length=1, max_length=500)
    reason: str = Field(default="", max_length=1000)


class BulkResultOut(BaseModel):
    id: int
    ok: bool
    application: ApplicationOut | None = None
    error: dict[str, str] | None = None


@admin_router.get("/applications", dependencies=rule(BUREAU_READ))
def review_queue(
    session: SessionDep,
    page: PageDep,
    status: Annotated[
        Literal["submitted", "returned", "approved", "rejected"] | None, Query()
    ] = "submitted",
    program: Annotated[str | None, Query(description="Program code.")] = None,
    year: int | None = None,
    eligible: bool | None = None,
    district_code: Annotated[str | None, Query(pattern=r"^\d{6}$")] = None,
) -> Page[ApplicationOut]:
    """The reviewers' queue: submitted applications by default, oldest first."""
    program_id = get_program(session, program).id if program else None
    rows, cursor = service.list_applications(
        session,
        page,
        status=status,
        program_id=program_id,
        year=year,
        eligible=eligible,
        district_code=district_code,
    )
    return Page(items=[_out(session, r) for r in rows], next_cursor=cursor)


@admin_router.get("/applications/{application_id}", dependencies=rule(BUREAU_READ))
def get_application(application_id: int, session: SessionDep) -> ApplicationOut:
    return _out(session, service.get_application(session, application_id))


@admin_router.post("/applications/{application_id}/approve", dependencies=rule(BUREAU_STAFF))
def approve(
    application_id: int, body: ApproveIn, session: SessionDep, today: TodayDep, now: NowDep
) -> ApplicationOut:
    """Approve: issues the voucher (for a smaller amount if given). Refused with nothing
    written if the checks no longer pass or the pool lacks the amount."""
    row = service.get_application(session, application_id)
    return _out(
        session,
        service.approve(
            session, row, amount_fen=body.amount_yuan, reason=body.reason, today=today, now=now
        ),
    )


@admin_router.post("/applications/{application_id}/return", dependencies=rule(BUREAU_STAFF))
def return_for_changes(
    application_id: int, body: DecisionIn, session: SessionDep, now: NowDep
) -> ApplicationOut:
    row = service.get_application(session, application_id)
    return _out(session, service.return_for_changes(session, row, reason=body.reason, now=now))


@admin_router.post("/applications/{application_id}/reject", dependencies=rule(BUREAU_STAFF))
def reject(
    application_id: int, body: DecisionIn, session: SessionDep, now: NowDep
) -> ApplicationOut:
    row = service.get_application(session, application_id)
    return _out(session, service.reject(session, row, reason=body.reason, now=now))


@admin_router.post("/applications/approve-bulk", dependencies=rule(BUREAU_STAFF))
def approve_bulk(
    body: BulkApproveIn, session: SessionDep, today: TodayDep, now: NowDep
) -> list[BulkResultOut]:
    """Approve a list; each approval stands or fails on its own."""
    outcomes = service.approve_many(session, body.ids, reason=body.reason, today=today, now=now)
    return [
        BulkResultOut(id=i, ok=True, application=_out(session, row))
        if row is not None
        else BulkResultOut(id=i, ok=False, error={"code": error.code, "message": error.message})  # type: ignore[union-attr]
        for i, row, error in outcomes
    ]


class BlacklistIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    uscc: USCC
    reason: str = Field(min_length=1, max_length=480)


@admin_router.post("/blacklist", status_code=status.HTTP_201_CREATED, dependencies=rule(ADMIN_ONLY))
def add_to_blacklist(body: BlacklistIn, session: SessionDep) -> dict[str, Any]:
    """Bar an enterprise from applying (its existing vouchers are not touched)."""
    entry = service.blacklist(session, get_enterprise(session, body.uscc), reason=body.reason)
    return {"uscc": body.uscc, "reason": entry.reason, "created_at": entry.created_at}
