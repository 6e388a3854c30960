"""Printable documents as PDF downloads: the bureau reads every one, an enterprise its own
approval notices, a provider its own statements."""

from __future__ import annotations

from fastapi import APIRouter, Response

from voucher_service.auth.access import BUREAU_READ, ENTERPRISE_SELF, PROVIDER_SELF, rule
from voucher_service.deps import SessionDep
from voucher_service.documents import service
from voucher_service.fields import USCC, Id, parse_uscc_param
from voucher_service.routing import DatabaseRoute, downloads

PDF = downloads(service.PDF)
# An approval notice exists once the application is approved: before, 409 invalid_state.
NOTICE_PDF = {
    **PDF,
    409: {"description": "The application is not approved (yet): there is no notice to print."},
}

admin_router = APIRouter(route_class=DatabaseRoute, tags=["documents (bureau)"])
enterprise_router = APIRouter(
    route_class=DatabaseRoute, tags=["my subsidy (enterprise)"], dependencies=rule(ENTERPRISE_SELF)
)
provider_router = APIRouter(
    route_class=DatabaseRoute, tags=["metering (provider)"], dependencies=rule(PROVIDER_SELF)
)


@admin_router.get(
    "/applications/{application_id}/approval-notice.pdf",
    dependencies=rule(BUREAU_READ),
    response_class=Response,
    responses=NOTICE_PDF,
)
def approval_notice(application_id: Id, session: SessionDep) -> Response:
    """The approval notice (审批通知书) of an approved application, as a PDF."""
    return service.approval_notice(session, application_id).response()


@admin_router.get(
    "/statements/{statement_id}/statement.pdf",
    dependencies=rule(BUREAU_READ),
    response_class=Response,
    responses=PDF,
)
def statement_pdf(statement_id: Id, session: SessionDep) -> Response:
    """The settlement statement (结算单), as a PDF, with the subsidy in Chinese capitals."""
    return service.settlement_statement(session, statement_id).response()


@enterprise_router.get(
    "/{uscc}/applications/{application_id}/approval-notice.pdf",
    response_class=Response,
    responses=NOTICE_PDF,
)
def my_approval_notice(uscc: USCC, application_id: Id, session: SessionDep) -> Response:
    """My approval notice (审批通知书), as a PDF."""
    owner = parse_uscc_param(uscc)
    return service.approval_notice(session, application_id, enterprise_uscc=owner).response()


@provider_router.get(
    "/{uscc}/statements/{statement_id}/statement.pdf", response_class=Response, responses=PDF
)
def my_statement_pdf(uscc: USCC, statement_id: Id, session: SessionDep) -> Response:
    """My settlement statement (结算单), as a PDF."""
    owner = parse_uscc_param(uscc)
    return service.settlement_statement(session, statement_id, provider_uscc=owner).response()
