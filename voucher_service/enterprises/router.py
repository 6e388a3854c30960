"""Enterprise endpoints for the bureau: register, list, read.

An enterprise's subsidy status and its vouchers are served by ``vouchers/router.py``: they
show vouchers, and vouchers depend on enterprises, not the reverse."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, status

from voucher_service.auth.access import BUREAU_READ, REVIEW, rule
from voucher_service.db.tables.enterprises import Enterprise
from voucher_service.deps import SessionDep
from voucher_service.enterprises import service
from voucher_service.enterprises.schemas import EnterpriseCreate, EnterpriseOut
from voucher_service.fields import USCC, Search, parse_uscc_param
from voucher_service.pagination import Page, PageParams, sorted_pages
from voucher_service.routing import DatabaseRoute

admin_router = APIRouter(route_class=DatabaseRoute, tags=["enterprises (bureau)"])


def _out(e: Enterprise) -> EnterpriseOut:
    return EnterpriseOut.model_validate(e, from_attributes=True)


@admin_router.post("/enterprises", status_code=status.HTTP_201_CREATED, dependencies=rule(REVIEW))
def register_enterprise(body: EnterpriseCreate, session: SessionDep) -> EnterpriseOut:
    """Register an SME by its Unified Social Credit Code (checked, position by position)."""
    return _out(service.register_enterprise(session, uscc=body.uscc, name=body.name))


@admin_router.get("/enterprises", dependencies=rule(BUREAU_READ))
def list_enterprises(
    session: SessionDep,
    page: Annotated[PageParams, Depends(sorted_pages(list(service.ENTERPRISE_SORTS)))],
    district_code: Annotated[str | None, Query(pattern=r"^\d{6}$")] = None,
    q: Annotated[Search | None, Query(description="Part of the name or credit code.")] = None,
) -> Page[EnterpriseOut]:
    """The enterprises registered, oldest first (``sort``: another order, numbered pages)."""
    found = service.list_enterprises(session, page, district_code=district_code, q=q)
    return Page.of(found, _out)


@admin_router.get("/enterprises/{uscc}", dependencies=rule(BUREAU_READ))
def get_enterprise(uscc: USCC, session: SessionDep) -> EnterpriseOut:
    return _out(service.get_enterprise(session, parse_uscc_param(uscc)))
