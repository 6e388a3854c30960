"""Enterprise endpoints: registration (bureau) and subsidy status (bureau and the SME)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, status
from sqlalchemy.orm import Session

from voucher_service.auth.access import BUREAU_READ, BUREAU_STAFF, ENTERPRISE_SELF, rule
from voucher_service.deps import PageDep, SessionDep, TodayDep
from voucher_service.enterprises import service
from voucher_service.enterprises.schemas import EnterpriseCreate, EnterpriseOut, SubsidyStatusOut
from voucher_service.fields import parse_uscc_param
from voucher_service.pagination import Page
from voucher_service.programs.service import get_program
from voucher_service.vouchers.schemas import VoucherOut
from voucher_service.vouchers.service import describe_vouchers, list_vouchers

admin_router = APIRouter(tags=["enterprises (bureau)"])
enterprise_router = APIRouter(tags=["my subsidy (enterprise)"], dependencies=rule(ENTERPRISE_SELF))

ProgramQuery = Annotated[str, Query(alias="program", description="Program code, e.g. WH-AI-M2.")]


def _out(e: object) -> EnterpriseOut:
    return EnterpriseOut.model_validate(e, from_attributes=True)


def _status(session: Session, uscc: str, program_code: str, today: TodayDep) -> SubsidyStatusOut:
    enterprise = service.get_enterprise(session, parse_uscc_param(uscc))
    program = get_program(session, program_code)
    state = service.subsidy_status(session, enterprise, program, today=today)
    return SubsidyStatusOut.of(enterprise.uscc, state, describe_vouchers(session, state.vouchers))


@admin_router.post(
    "/enterprises", status_code=status.HTTP_201_CREATED, dependencies=rule(BUREAU_STAFF)
)
def register_enterprise(body: EnterpriseCreate, session: SessionDep) -> EnterpriseOut:
    """Register an SME by its Unified Social Credit Code (checked, position by position)."""
    return _out(service.register_enterprise(session, uscc=body.uscc, name=body.name))


@admin_router.get("/enterprises", dependencies=rule(BUREAU_READ))
def list_enterprises(
    session: SessionDep,
    page: PageDep,
    district_code: Annotated[str | None, Query(pattern=r"^\d{6}$")] = None,
) -> Page[EnterpriseOut]:
    rows, cursor = service.list_enterprises(session, page, district_code=district_code)
    return Page(items=[_out(e) for e in rows], next_cursor=cursor)


@admin_router.get("/enterprises/{uscc}", dependencies=rule(BUREAU_READ))
def get_enterprise(uscc: str, session: SessionDep) -> EnterpriseOut:
    return _out(service.get_enterprise(session, parse_uscc_param(uscc)))


@admin_router.get("/enterprises/{uscc}/status", dependencies=rule(BUREAU_READ))
def enterprise_status(
    uscc: str, program_code: ProgramQuery, session: SessionDep, today: TodayDep
) -> SubsidyStatusOut:
    """Cap used and remaining, subsidy window, and vouchers of an enterprise in a program."""
    return _status(session, uscc, program_code, today)


@enterprise_router.get("/{uscc}/status")
def my_status(
    uscc: str, program_code: ProgramQuery, session: SessionDep, today: TodayDep
) -> SubsidyStatusOut:
    """How much of my 200,000 CNY I have used, how much is left, and until when."""
    return _status(session, uscc, program_code, today)


@enterprise_router.get("/{uscc}/vouchers")
def my_vouchers(uscc: str, session: SessionDep, page: PageDep) -> Page[VoucherOut]:
    enterprise = service.get_enterprise(session, parse_uscc_param(uscc))
    rows, cursor = list_vouchers(session, page, enterprise=enterprise)
    return Page(
        items=[VoucherOut.of(v) for v in describe_vouchers(session, rows)], next_cursor=cursor
    )
