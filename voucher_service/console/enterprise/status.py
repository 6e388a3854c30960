"""My program status (我的额度): for each program that concerns the enterprise (measure 2,
measure 3 once selected, a district top-up), the figures of
``GET /v1/enterprise/{uscc}/status?program=...`` — cap used and remaining, the subsidy
window, each voucher with its balance — and the applications still open."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from fastapi import APIRouter, Request
from sqlalchemy.orm import Session

from voucher_service.applications import service as applications
from voucher_service.applications.service import ApplicationView
from voucher_service.auth.access import ENTERPRISE_SELF
from voucher_service.console.auth import guard
from voucher_service.console.people.figures import percent, share_bp
from voucher_service.console.people.pages import notice
from voucher_service.console.tables import Column, Table
from voucher_service.console.templating import render
from voucher_service.db.tables.applications import ApplicationStatus
from voucher_service.db.tables.enterprises import Enterprise
from voucher_service.deps import SessionDep, TodayDep
from voucher_service.enterprises.service import (
    SubsidyStatus,
    get_enterprise,
    programs_for,
    subsidy_status,
)
from voucher_service.fields import parse_uscc_param
from voucher_service.pagination import PageParams
from voucher_service.programs.service import ProgramView, describe_programs
from voucher_service.routing import DatabaseRoute
from voucher_service.vouchers.service import describe_vouchers

router = APIRouter(route_class=DatabaseRoute, dependencies=[guard(ENTERPRISE_SELF)])

VOUCHER_COLUMNS = (
    Column("code", "vouchers.code", "code"),
    Column("year", "vouchers.year"),
    Column("face_value_fen", "vouchers.face_value", "money"),
    Column("balance_fen", "vouchers.balance", "money"),
    Column("subsidised_fen", "vouchers.subsidised", "money"),
    Column("valid_from", "vouchers.valid_from", "date"),
    Column("valid_to", "vouchers.valid_to", "date"),
    Column("status", "vouchers.status", "status", prefix="voucher.status."),
)


@dataclass(frozen=True)
class Standing:
    """One program's card: the program (phase, place in a stack), the enterprise's status in
    it, and its vouchers as a table."""

    program: ProgramView
    status: SubsidyStatus
    vouchers: Table

    @property
    def rate(self) -> str:
        return percent(self.status.rules.rate_bp)

    @property
    def used_bp(self) -> int:
        return share_bp(self.status.cap_used_fen, self.status.binding_cap_fen)


def _in_stack_order(views: list[ProgramView]) -> list[ProgramView]:
    """Each program followed by the top-ups declared on it, in their stack order."""
    place = {view.program.code: index for index, view in enumerate(views)}

    def key(view: ProgramView) -> tuple[int, int]:
        if view.tops_up is not None and view.tops_up.program_code in place:
            return place[view.tops_up.program_code], view.tops_up.stack_order
        return place[view.program.code], 0

    return sorted(views, key=key)


def standings(session: Session, enterprise: Enterprise, *, today: date) -> list[Standing]:
    """A card per program that concerns the enterprise (``programs_for``), top-ups after
    the program they top up."""
    views = describe_programs(session, programs_for(session, enterprise, today=today), today=today)
    cards = []
    for view in _in_stack_order(views):
        status = subsidy_status(session, enterprise, view.program, today=today)
        rows = [
            {
                "code": v.voucher.code,
                "year": v.year,
                "face_value_fen": v.voucher.face_value_fen,
                "balance_fen": v.voucher.balance_fen,
                "subsidised_fen": v.voucher.subsidised_fen,
                "valid_from": v.voucher.valid_from,
                "valid_to": v.voucher.valid_to,
                "status": v.voucher.status,
            }
            for v in describe_vouchers(session, status.vouchers)
        ]
        table = Table.whole(
            f"vouchers-{view.program.code}", "vouchers.caption", VOUCHER_COLUMNS, rows, "code"
        )
        cards.append(Standing(view, status, table))
    return cards


def open_applications(session: Session, enterprise: Enterprise) -> list[ApplicationView]:
    """The enterprise's applications still waiting: for review, or for its changes."""
    found: list[ApplicationView] = []
    for waiting in (ApplicationStatus.SUBMITTED, ApplicationStatus.RETURNED):
        views, _ = applications.list_applications(
            session, PageParams(limit=50), enterprise_id=enterprise.id, status=waiting
        )
        found += views
    return sorted(found, key=lambda v: v.application.id or 0)


@router.get("/{uscc}")
def status_page(uscc: str, request: Request, session: SessionDep, today: TodayDep) -> Any:
    enterprise = get_enterprise(session, parse_uscc_param(uscc))
    return render(
        request,
        "enterprise/status.html",
        enterprise=enterprise,
        standings=standings(session, enterprise, today=today),
        waiting=open_applications(session, enterprise),
        notice=notice(request),
        today=today,
    )
