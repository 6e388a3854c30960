"""Listing applications, one call for the API and the console: an ``ApplicationQuery`` holds
the queue's filters as a caller has them (a program code, a year, a district) and
``find_applications`` resolves them."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from voucher_service.applications.service import ApplicationView, list_applications
from voucher_service.db.tables.applications import ApplicationStatus
from voucher_service.enterprises.service import get_enterprise
from voucher_service.fields import parse_uscc_param
from voucher_service.pagination import PageParams, Slice
from voucher_service.programs.service import get_program


@dataclass(frozen=True)
class ApplicationQuery:
    """The reviewers' queue filters: submitted ones unless another status is asked for
    (``status=None``: every status); ``enterprise`` (a credit code): only its applications."""

    status: ApplicationStatus | None = ApplicationStatus.SUBMITTED
    program: str | None = None
    year: int | None = None
    eligible: bool | None = None
    district_code: str | None = None
    enterprise: str | None = None
    q: str | None = None  # part of the applicant's name or credit code, or the program code


def find_applications(
    session: Session, page: PageParams, query: ApplicationQuery
) -> Slice[ApplicationView]:
    """A page of the applications ``query`` selects, oldest first unless ``page`` sorts; an
    unknown program or enterprise is NotFound."""
    program_id = get_program(session, query.program).id if query.program else None
    holder = None
    if query.enterprise:
        holder = get_enterprise(session, parse_uscc_param(query.enterprise))
    return list_applications(
        session,
        page,
        enterprise_id=holder.id if holder else None,
        status=query.status,
        program_id=program_id,
        year=query.year,
        eligible=query.eligible,
        district_code=query.district_code,
        q=query.q,
    )
